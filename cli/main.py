"""The `aiivr` command: one Typer sub-app per noun, errors as one clear line.

Exit codes (docs/cli.md): 0 done · 1 bad input or not found · 2 usage error ·
3 not logged in or permission denied · 4 the PBX or `aiivr serve` did not answer.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated, Optional

import typer

from aiivr.errors import AiivrError
from cli import agents, audit_cmd, auth_cmd, config_cmd, queries, queues, serve_cmd, setup_cmd, tokens, users
from cli import calls, demo, monitor, queue_log_cmd, recordings, reports
from cli import agent_actions, call_actions, call_log  # noqa: F401 - they add commands to agents.app / calls.app
from cli import lab as lab_cmd
from cli.output import stderr
from cli import runtime

app = typer.Typer(
    name="aiivr",
    help="AIIVR: a terminal-first contact-centre console for Asterisk.\n\n"
    "Start with `aiivr init`, then `aiivr login NAME`. Every command takes --help.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts name config sections like [ami]: no markup
    context_settings={"help_option_names": ["-h", "--help"]},
)

@app.callback()
def _global(
    config: Annotated[Optional[str], typer.Option("--config", metavar="FILE",
                      help="Config file (else $AIIVR_CONFIG, else ~/.config/aiivr/aiivr.toml).")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", help="Output format for every command: table, json or csv.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    rt = runtime.current()
    rt.config_path = config
    rt.debug = debug
    rt.fmt = "json" if as_json else fmt


setup_cmd.register(app)
auth_cmd.register(app)
serve_cmd.register(app)
app.add_typer(users.app)
app.add_typer(tokens.app)
app.add_typer(config_cmd.app)
app.add_typer(audit_cmd.app)
app.add_typer(queries.app)
app.add_typer(setup_cmd.db_app)
app.add_typer(agents.app)
app.add_typer(queues.app)
app.add_typer(calls.app)
app.add_typer(monitor.app)
app.add_typer(recordings.app)
app.add_typer(reports.app)
app.add_typer(queue_log_cmd.import_app)
app.add_typer(queue_log_cmd.export_app)
demo.register(app)
app.add_typer(lab_cmd.app)


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (tests call this directly)."""
    runtime.reset()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        # Standalone mode: Typer prints usage errors itself and ends with SystemExit.
        app(args=args, prog_name="aiivr")
        return 0
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except AiivrError as error:
        if debug:
            traceback.print_exc()
        stderr.print(f"error: {error}", highlight=False, markup=False)
        return error.exit_code
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if debug:
            traceback.print_exc()
        stderr.print(f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)",
                     highlight=False, markup=False)
        return 1
    finally:
        runtime.current().close()


def run() -> None:
    sys.exit(main())
