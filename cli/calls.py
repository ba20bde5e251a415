"""`aiivr call ...`: the Typer sub-app. Its commands live beside it, one file per job:
cli/call_log.py (list, show, resolve) and cli/call_actions.py (dial, callback)."""

from __future__ import annotations

import typer

app = typer.Typer(name="call", help="The call log, call detail, and calls you place.", no_args_is_help=True)
