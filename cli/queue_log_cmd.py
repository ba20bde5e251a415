"""`aiivr import queue-log FILE` (admin) and `aiivr export queue-log` (supervisor).

The progress bar (Rich) is drawn only when stderr is a terminal; the core reports progress
through a plain callback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from aiivr.db import utcnow
from aiivr.errors import BadInput
from aiivr.services import queue_log_io
from aiivr.timerange import parse_range
from cli.output import FormatOpt, JsonOpt, choose, done, emit_object, stderr
from cli.runtime import current

import_app = typer.Typer(name="import", help="Bring data in from other tools.", no_args_is_help=True)
export_app = typer.Typer(name="export", help="Write data out for other tools.", no_args_is_help=True)


@import_app.command("queue-log")
def import_queue_log(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="An Asterisk queue_log file.")],
    system: Annotated[Optional[str], typer.Option("--system", help="The PBX's SystemName (default: read from the call ids).")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load an Asterisk queue_log: queue entries, calls, missed rings and status history.

    Importing the same file again changes nothing. A malformed line is reported with its
    number and skipped. Members map to users by member name or interface; unknown ones are
    kept under their queue_log name.

    Examples:

    aiivr import queue-log /var/log/asterisk/queue_log

    aiivr import queue-log old-pbx.queue_log --system oldpbx --json
    """
    ctx = current().ctx()
    try:
        size = path.stat().st_size
        handle = path.open(encoding="utf-8", errors="replace", newline="")
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    with handle, _progress() as progress:
        result = queue_log_io.import_queue_log(ctx, handle, system=system, size=size, progress=progress)
    for problem in result.skipped:
        stderr.print(f"skipped {problem}", highlight=False, markup=False)
    emit_object(result, fmt=choose(fmt, as_json), title=f"imported {path.name}")
    done(f"{result.imported} of {result.entries} queue entries imported, {result.status_rows} status rows, "
         f"{len(result.skipped)} lines skipped")


@export_app.command("queue-log")
def export_queue_log(
    start: Annotated[Optional[str], typer.Option("--from", help="ISO date/time, today, yesterday, Nd, Nh.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="End (exclusive; a date-only --to includes that day).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="FILE", help="Write here instead of to stdout.")] = None,
) -> None:
    """Write the calls and status history of a range in Asterisk's queue_log format.

    Examples:

    aiivr export queue-log --from 2026-11-01 --to 2026-11-30 --out nov.queue_log

    aiivr export queue-log --from yesterday --to yesterday > yesterday.queue_log
    """
    ctx = current().ctx()
    lo, hi = parse_range(start, end, ctx.config.tz, now=utcnow())
    if out is None:
        result = queue_log_io.export_queue_log(ctx, sys.stdout, start=lo, end=hi)
    else:
        try:
            with out.open("w", encoding="utf-8") as handle:
                result = queue_log_io.export_queue_log(ctx, handle, start=lo, end=hi)
        except OSError as error:
            raise BadInput(f"cannot write {out}: {error.strerror}") from None
    done(f"{result.lines} lines written ({result.entries} queue entries, {result.status_changes} status changes)")


class _progress:
    """A Rich progress bar on a terminal; a silent callback otherwise."""

    LABELS = {"lines": "reading", "entries": "recording"}

    def __enter__(self):
        if not stderr.is_terminal or os.environ.get("AIIVR_NO_PROGRESS"):
            self.bar = None
            return lambda phase, done_, total: None
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=stderr,
                            transient=True)
        self.bar.start()
        self.tasks: dict[str, int] = {}

        def update(phase: str, done_: int, total: int) -> None:
            if phase not in self.tasks:
                self.tasks[phase] = self.bar.add_task(self.LABELS.get(phase, phase), total=total or None)
            self.bar.update(self.tasks[phase], completed=done_, total=total or None)

        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
