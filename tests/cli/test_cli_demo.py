"""`aiivr demo`: one command, a simulated centre, and a throwaway AIIVR that records it.

Runs the real thing in-process: the simulator on loopback, `serve` (transport, translator,
recorder, and whatever components serve has) against it, a fresh SQLite database. The headless
run takes a few seconds: --duration is simulated seconds, compressed 10x.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from aiivr.db import Database
from cli.main import main


def _run(capsys, monkeypatch, *args: str, stdin: str = "") -> tuple[int, str, str]:
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def headless(tmp_path_factory):
    """One 30-second demo (seed 7) shared by the checks below."""
    folder = tmp_path_factory.mktemp("demo-tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(folder))  # the demo's temp folder goes here
        patch.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
        patch.setenv("XDG_DATA_HOME", str(folder / "xdg-data"))
        patch.setenv("AIIVR_DATABASE_URL", f"sqlite:///{folder / 'the-users-real.db'}")  # must be ignored
        out, err = io.StringIO(), io.StringIO()
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        code = main(["--json", "demo", "--headless", "--duration", "30", "--seed", "7"])
    return code, json.loads(out.getvalue() or "null"), err.getvalue(), folder


def test_the_headless_demo_ends_with_answered_and_abandoned_calls(headless):
    code, result, err, _ = headless
    assert code == 0, err
    summary = result["summary"]
    assert summary["queue_outcomes"].get("answered", 0) > 0 and summary["queue_outcomes"].get("abandoned", 0) > 0
    assert summary["dispositions"].get("answered", 0) > 0 and summary["dispositions"].get("abandoned", 0) > 0
    assert summary["by_direction"] == {"inbound": summary["calls"]}
    assert result["simulator"]["simulated_seconds"] == 30  # held exactly at --duration
    assert summary["csat_scores"] > 0


def test_pauses_with_reasons_were_recorded(headless):
    _, result, _, _ = headless
    named = {reason for reason in result["summary"]["pauses"] if reason and reason != "acw"}
    assert named  # breaks the simulated people took (lunch, bathroom...)
    assert named <= {"lunch", "bathroom", "smoke", "case_work"}


def test_recordings_reach_the_spool_and_the_vault(headless):
    _, result, _, _ = headless
    spool = Path(result["demo"]["spool_dir"])
    written = result["simulator"]["recordings_written"]
    assert written > 0
    assert result["summary"]["recordings_named"] > 0
    if result["vault_wired"]:  # issue 5's vault is part of serve: the files end up in it
        assert result["summary"]["recordings_vaulted"] > 0
        assert list(Path(result["demo"]["vault_dir"]).rglob("*.wav"))
    else:
        assert len(list(spool.glob("*.wav"))) == written


def test_everything_stays_in_the_demos_own_folder(headless):
    code, result, err, folder = headless
    root = Path(result["demo"]["root"])
    assert root.parent == folder and (root / "aiivr.db").exists()
    assert result["demo"]["database_url"] == f"sqlite:///{root / 'aiivr.db'}"
    assert not (folder / "the-users-real.db").exists()  # AIIVR_DATABASE_URL was not followed
    assert not (folder / "xdg-data" / "aiivr").exists()  # nor the default database, nor its anchor
    # the banner tells a second terminal what to run
    assert f"aiivr --config {root / 'aiivr.toml'} call list" in err and result["demo"]["password"] in err


def test_call_list_against_the_demo_database_shows_them(headless, capsys, monkeypatch):
    _, result, _, _ = headless
    config = result["demo"]["config"]
    code, _, err = _run(capsys, monkeypatch, "--config", config, "login", "sue", "--password-stdin",
                        stdin=result["demo"]["password"] + "\n")
    assert code == 0, err
    code, out, err = _run(capsys, monkeypatch, "--config", config, "--json", "call", "list", "--limit", "500")
    assert code == 0, err
    dispositions = Counter(item["disposition"] for item in json.loads(out)["items"])
    assert dispositions["answered"] > 0 and dispositions["abandoned"] > 0


def test_bad_options_are_usage_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for args in (["--agents", "0"], ["--queues", "0"], ["--duration", "-1"], ["--speed", "0"]):
        code, _, err = _run(capsys, monkeypatch, "demo", "--headless", *args)
        assert code == 2, (args, err)
    assert list(tmp_path.iterdir()) == []  # refused before anything was created


def test_the_recorder_saw_every_agent_state_change(headless):
    """serve learns the staffing from live events and every call moves an agent to on_call:
    nothing the simulator said was dated before what serve already knew."""
    from sqlmodel import select

    from aiivr.models.agents import AgentStatus

    _, result, _, _ = headless
    db = Database(result["demo"]["database_url"])
    with db.read() as session:
        statuses = Counter(session.exec(select(AgentStatus.status)).all())
    db.dispose()
    on_call, wrap_up = statuses["on_call"], statuses["wrap_up"]
    assert on_call == result["summary"]["queue_outcomes"]["answered"]
    assert wrap_up > 0 and result["summary"]["pauses"].get("acw", 0) == wrap_up
