"""`aiivr audit list|verify` (admin)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr.db import utcnow
from aiivr.services import audit_log
from aiivr.timerange import parse_range
from cli.output import FormatOpt, JsonOpt, choose, done, emit_list
from cli.runtime import current

app = typer.Typer(name="audit", help="The tamper-evident audit log.", no_args_is_help=True)

COLUMNS = [("seq", "#"), ("at", "When"), ("actor", "Who"), ("action", "Action"), ("target", "Target"),
           ("outcome", "Outcome"), ("detail", "Detail")]


@app.command("list")
def list_(
    start: Annotated[Optional[str], typer.Option("--from", help="ISO date/time, today, yesterday, Nd, Nh.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="End (exclusive; a date-only --to includes that day).")] = None,
    actor: Annotated[Optional[str], typer.Option("--actor", help="Only this user's entries.")] = None,
    action: Annotated[Optional[str], typer.Option("--action", help="Only actions starting with this, e.g. user.")] = None,
    outcome: Annotated[Optional[str], typer.Option("--outcome", help="ok, denied or failed.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Entries per page.")] = 50,
    after: Annotated[Optional[str], typer.Option("--after", help="Cursor from the previous page's `next`.")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit entries, newest first."""
    ctx = current().ctx()
    lo, hi = parse_range(start, end, ctx.config.tz, now=utcnow())
    page = audit_log.list_entries(ctx, start=lo, end=hi, actor=actor, action=action, outcome=outcome,
                                  limit=limit, after=after)
    emit_list(page.items, COLUMNS, fmt=choose(fmt, as_json), next_cursor=page.next, empty="no audit entries")


@app.command("verify")
def verify() -> None:
    """Check the hash chain, and the chain heads `aiivr serve` anchored outside the database.

    Names the first edited, deleted or reordered entry, or a rebuilt chain (exit 1)."""
    result = audit_log.verify_log(current().ctx())
    anchors = f", {result.anchors_checked} anchored heads matched" if result.anchors_checked else ""
    if result.ok:
        done(f"audit log intact: {result.checked} entries verified{anchors}")
        return
    problem = result.broken or result.anchor_broken
    done(f"audit log BROKEN at {problem} ({result.checked} entries read)")
    raise typer.Exit(1)
