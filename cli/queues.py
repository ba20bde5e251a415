"""`aiivr queue ...`: queues live (an agent sees its own queues)."""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr.services import queues
from cli.output import FormatOpt, JsonOpt, choose, emit_list, emit_object, stdout
from cli.runtime import current

app = typer.Typer(name="queue", help="Queues live: waiting callers, longest wait, available agents.",
                  no_args_is_help=True)

# Two-line headers over numbers: a number column is as wide as its header's longest line.
COLUMNS = [("name", "Queue"), ("waiting", "Waiting"), ("longest_wait_seconds", "Longest\nwait"),
           ("available", "Available"), ("logged_in", "Logged\nin"), ("answered_today", "Answered\ntoday"),
           ("abandoned_today", "Abandoned\ntoday"), ("timed_out_today", "Timed out\ntoday")]


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Every queue you may see, live."""
    emit_list(queues.list_queues(current().ctx()), COLUMNS, fmt=choose(fmt, as_json), empty="no queues yet")


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="The queue's name, e.g. support.")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One queue: its figures, the callers waiting (longest first) and its members."""
    detail = queues.show_queue(current().ctx(), name)
    chosen = choose(fmt, as_json)
    if chosen != "table":
        emit_object(detail, fmt=chosen)
        return
    summary = {k: v for k, v in detail.__dict__.items() if k not in ("callers", "members")}
    emit_object(summary, fmt=chosen, title=f"queue {name}")
    emit_list(detail.callers, [("position", "Pos"), ("caller_num", "Caller"), ("caller_name", "Name"),
                               ("waiting_seconds", "Waiting")], fmt=chosen, title="waiting", empty="nobody waiting")
    emit_list(detail.members, [("member_name", "Member"), ("status", "Status"), ("paused_reason", "Pause reason"),
                               ("penalty", "Penalty"), ("interface", "Interface")], fmt=chosen, title="members",
              empty="no members")
    stdout.print()
