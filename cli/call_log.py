"""`aiivr call list|show|resolve`: the call log (agents: their own calls; supervisors: all).

Registered on the `call` sub-app (cli/calls.py); importing this module adds the commands.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr.db import utcnow
from aiivr.services import calls
from aiivr.timerange import parse_range
from cli.calls import app
from cli.output import FormatOpt, JsonOpt, choose, done, emit_list, emit_object, plain
from cli.runtime import current

COLUMNS = [("id", "ID"), ("started_at", "Started"), ("direction", "Dir"), ("caller_num", "Number"),
           ("caller_name", "Caller"), ("queue", "Queue"), ("agent", "Agent"), ("disposition", "Disposition"),
           ("wait_seconds", "Wait"), ("talk_seconds", "Talk"), ("duration_seconds", "Length"),
           ("resolved", "Resolved")]
# What a narrow terminal's table leaves out first (the number, times and outcome stay).
NARROW_DROPS = ("resolved", "direction", "caller_name", "queue")
LEG_COLUMNS = [("queue", "Queue"), ("entered_at", "Entered"), ("outcome", "Outcome"), ("wait_seconds", "Wait"),
               ("talk_seconds", "Talk"), ("agent", "Agent"), ("completed_by", "Ended by")]
TIMELINE_COLUMNS = [("at", "When"), ("kind", "What"), ("queue", "Queue"), ("agent", "Agent"), ("detail", "Detail")]
QUERY_COLUMNS = [("id", "ID"), ("status", "Status"), ("subject", "Subject"), ("assignee", "Assignee")]
NESTED = ("queues", "timeline", "queries")

IdArg = Annotated[int, typer.Argument(metavar="ID", help="The call's ID (from `aiivr call list`).")]


@app.command("list")
def list_(
    start: Annotated[Optional[str], typer.Option("--from", help="Started from: ISO date/time, today, yesterday, Nd, Nh (site time zone).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Started before (a date-only --to includes that day).")] = None,
    call_type: Annotated[Optional[str], typer.Option("--type", help="inbound, outbound, internal, answered, missed or abandoned.")] = None,
    agent: Annotated[Optional[str], typer.Option("--agent", metavar="USER", help="Calls this agent took, missed or made (supervisors).")] = None,
    queue: Annotated[Optional[str], typer.Option("--queue", help="Calls that went through this queue.")] = None,
    caller: Annotated[Optional[str], typer.Option("--caller", help="The caller's number or name: its beginning is enough.")] = None,
    min_duration: Annotated[Optional[float], typer.Option("--min-duration", metavar="SECONDS", help="Only calls at least this long.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Calls per page.")] = 50,
    after: Annotated[Optional[str], typer.Option("--after", help="Cursor from the previous page's `next`.")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The call log, newest first: your own calls, or everyone's for a supervisor.

    --type missed: for an agent (or with --agent) the calls the queue rang it for without an
    answer; for the whole centre the inbound calls that ended unanswered.

    Examples:

    aiivr call list --from today

    aiivr call list --type abandoned --queue support --from 7d

    aiivr call list --caller "+49 30 123" --json
    """
    ctx = current().ctx()
    lo, hi = parse_range(start, end, ctx.config.tz, now=utcnow())
    page = calls.list_calls(ctx, start=lo, end=hi, call_type=call_type, agent=agent, queue=queue, caller=caller,
                            min_duration=min_duration, limit=limit, after=after)
    emit_list(page.items, COLUMNS, fmt=choose(fmt, as_json), next_cursor=page.next, empty="no calls",
              droppable=NARROW_DROPS)


@app.command("show")
def show(call_id: IdArg, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """One call: times, caller, queues, agents, wait/talk/hold/wrap-up, disposition, the
    timeline, the recording and the queries linked to it.

    Example: aiivr call show 4711
    """
    _emit(calls.show_call(current().ctx(), call_id, now=utcnow()), choose(fmt, as_json), full=True)


@app.command("resolve")
def resolve(call_id: IdArg, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Mark a call resolved: the customer's issue was settled on this call (first contact
    resolution counts it unless the same number calls again within [kpi] fcr_window_days).

    Example: aiivr call resolve 4711
    """
    detail, changed = calls.resolve_call(current().ctx(), call_id, now=utcnow())
    _emit(detail, choose(fmt, as_json), full=False)
    if changed:
        done(f"call {detail.id} marked resolved")
    else:
        done(f"call {detail.id} was already resolved (by {detail.resolved_by} at {detail.resolved_at})")


def _emit(detail: calls.CallDetail, fmt: str, *, full: bool) -> None:
    """JSON: the whole call. Table and CSV: its fields; the table adds its legs, timeline
    and queries below."""
    if fmt == "json":
        emit_object(detail, fmt=fmt)
        return
    flat = {k: v for k, v in plain(detail).items() if k not in NESTED}
    emit_object(flat, fmt=fmt, title=f"call {detail.id}")
    if full and fmt == "table":
        emit_list(detail.queues, LEG_COLUMNS, fmt=fmt, title="queues", empty="no queue")
        emit_list(detail.timeline, TIMELINE_COLUMNS, fmt=fmt, title="timeline", empty="no timeline")
        emit_list(detail.queries, QUERY_COLUMNS, fmt=fmt, title="queries", empty="no queries")
