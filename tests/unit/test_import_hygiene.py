"""aiivr/ is pure: importing every core module loads no UI or transport library."""

import json
import pkgutil
import subprocess
import sys

import aiivr

FORBIDDEN = ("textual", "typer", "rich", "panoramisk", "plotext", "textual_plotext", "click")


def all_core_modules() -> list[str]:
    names = ["aiivr"]
    for info in pkgutil.walk_packages(aiivr.__path__, prefix="aiivr."):
        if ".migrations" in info.name:  # alembic scripts run only inside alembic
            continue
        names.append(info.name)
    return names


def test_core_modules_are_found():
    modules = all_core_modules()
    assert "aiivr.config" in modules and "aiivr.services.users" in modules and "aiivr.audit" in modules


def test_importing_the_core_loads_no_ui_or_transport_library():
    code = (
        "import importlib, json, sys\n"
        f"for name in {all_core_modules()!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_the_check_would_catch_a_forbidden_import():
    # Guard against a check that can never fail: importing the CLI does load typer.
    code = "import json, sys, cli.main\nprint(json.dumps('typer' in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) is True
