"""`aiivr query ...`: customer queries (agents their own; supervisors all, assign, the pool)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr import queries_rules as rules
from aiivr.db import utcnow
from aiivr.services import queries
from aiivr.timerange import parse_range
from cli.output import FormatOpt, JsonOpt, choose, emit_list, emit_object, plain
from cli.runtime import current

app = typer.Typer(
    name="query",
    help="Customer queries: open one from a call, work it, escalate it, close it.\n\n"
    "Statuses: open -> in_progress -> resolved -> closed; open or in_progress -> escalated "
    "(the supervisors' pool) -> in_progress when a supervisor assigns it; a resolved query "
    "reopens when the customer calls back. Agents see their own queries, supervisors all.",
    no_args_is_help=True,
)

COLUMNS = [("id", "ID"), ("status", "Status"), ("priority", "Priority"), ("customer_num", "Number"),
           ("customer_name", "Customer"), ("subject", "Subject"), ("assignee", "Assignee"),
           ("due_at", "Due"), ("overdue", "Overdue")]
HISTORY_COLUMNS = [("at", "When"), ("actor", "Who"), ("what", "What"), ("old", "From"), ("new", "To"),
                   ("why", "Why")]

IdArg = Annotated[int, typer.Argument(metavar="ID", help="The query's ID (from `aiivr query list`).")]
DueOpt = Annotated[Optional[str], typer.Option(
    "--due", metavar="WHEN", help="When it is due: 30m, 2h or 1d from now, an ISO date-time such as "
    "2026-11-30T17:00 (site time zone unless it has an offset), or a date for the end of that day.")]
PriorityOpt = Annotated[Optional[str], typer.Option("--priority", help="low, normal, high or urgent.")]
CallOpt = Annotated[Optional[int], typer.Option("--call", metavar="CALL_ID", help="A call you handled (supervisors: any call).")]


@app.command("list")
def list_(
    status: Annotated[Optional[str], typer.Option("--status", help="Comma-separated: open, in_progress, escalated, resolved, closed.")] = None,
    assignee: Annotated[Optional[str], typer.Option("--assignee", metavar="USER", help="Only this user's queries (supervisors).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only queries past their due time and not yet resolved or closed.")] = False,
    start: Annotated[Optional[str], typer.Option("--from", help="Created from: ISO date/time, today, yesterday, Nd, Nh.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Created before (a date-only --to includes that day).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Queries per page.")] = 50,
    after: Annotated[Optional[str], typer.Option("--after", help="Cursor from the previous page's `next`.")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List queries, newest first: your own, or everyone's for a supervisor.

    Examples:

    aiivr query list --status open,in_progress

    aiivr query list --status escalated   (the supervisors' escalation pool)

    aiivr query list --overdue --from 7d --json
    """
    ctx = current().ctx()
    now = utcnow()
    lo, hi = parse_range(start, end, ctx.config.tz, now=now)
    statuses = [s for s in (status or "").split(",") if s.strip()]
    page = queries.list_queries(ctx, statuses=statuses, assignee=assignee, overdue=overdue, start=lo, end=hi,
                                limit=limit, after=after, now=now)
    emit_list(page.items, COLUMNS, fmt=choose(fmt, as_json), next_cursor=page.next, empty="no queries")


@app.command("show")
def show(query_id: IdArg, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Show a query with its calls and its full history (who, when, what, why).

    Example: aiivr query show 12
    """
    detail = queries.show_query(current().ctx(), query_id, now=utcnow())
    _emit(detail, choose(fmt, as_json), title=f"query {detail.id}", history=True)


@app.command("add")
def add(
    subject: Annotated[str, typer.Option("--subject", help="What it is about, in one line.")],
    customer: Annotated[Optional[str], typer.Option("--customer", metavar="NUMBER", help="The customer's phone number (default: the caller of --call).")] = None,
    customer_name: Annotated[Optional[str], typer.Option("--customer-name", metavar="NAME", help="The customer's name (default: the caller's name of --call).")] = None,
    description: Annotated[str, typer.Option("--description", help="The details.")] = "",
    call_id: CallOpt = None,
    priority: Annotated[str, typer.Option("--priority", help="low, normal, high or urgent.")] = "normal",
    due: DueOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a query; it is assigned to you.

    Examples:

    aiivr query add --call 4711 --subject "Refund not received" --due 1d

    aiivr query add --customer "+49 30 1234567" --customer-name "Max Muster" --subject "Wrong invoice" --priority high
    """
    ctx = current().ctx()
    now = utcnow()
    detail = queries.add_query(ctx, subject=subject, customer_num=customer, customer_name=customer_name,
                               description=description, call_id=call_id, priority=priority,
                               due=_due(ctx, due, now), now=now)
    _emit(detail, choose(fmt, as_json), title=f"query {detail.id} added")


@app.command("update")
def update(
    query_id: IdArg,
    status: Annotated[Optional[str], typer.Option("--status", help="in_progress, resolved or closed (escalate with `query escalate`).")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="A note; with other changes it is their reason.")] = None,
    priority: PriorityOpt = None,
    due: DueOpt = None,
    call_id: CallOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a query's status, priority or due time, link a call, or add a note.

    Examples:

    aiivr query update 12 --status in_progress

    aiivr query update 12 --status resolved --note "replacement shipped"

    aiivr query update 12 --note "customer will send photos" --due 2h
    """
    ctx = current().ctx()
    now = utcnow()
    detail = queries.update_query(ctx, query_id, status=status, priority=priority, due=_due(ctx, due, now),
                                  call_id=call_id, note=note, now=now)
    _emit(detail, choose(fmt, as_json), title=f"query {detail.id} updated")


@app.command("assign")
def assign(
    query_id: IdArg,
    to: Annotated[str, typer.Option("--to", metavar="USER", help="Who works it from now on.")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a query to someone (supervisors). An escalated query leaves the pool as in_progress.

    Example: aiivr query assign 12 --to alice
    """
    detail = queries.assign_query(current().ctx(), query_id, to=to, now=utcnow())
    _emit(detail, choose(fmt, as_json), title=f"query {detail.id} assigned to {detail.assignee}")


@app.command("escalate")
def escalate(
    query_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it needs a supervisor.")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a query to the supervisors' pool; it is read-only to you until one assigns it.

    Example: aiivr query escalate 12 --reason "customer asks for a refund above my limit"
    """
    detail = queries.escalate_query(current().ctx(), query_id, reason=reason, now=utcnow())
    _emit(detail, choose(fmt, as_json), title=f"query {detail.id} escalated")


@app.command("close")
def close(
    query_id: IdArg,
    note: Annotated[Optional[str], typer.Option("--note", help="Why it is closed.")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a query for good (the same as `query update ID --status closed`).

    Example: aiivr query close 12 --note "customer confirmed the refund"
    """
    detail = queries.close_query(current().ctx(), query_id, note=note, now=utcnow())
    _emit(detail, choose(fmt, as_json), title=f"query {detail.id} closed")


def _due(ctx, text: str | None, now):
    return rules.parse_due(text, ctx.config.tz, now=now) if text else None


def _emit(detail: queries.QueryDetail, fmt: str, *, title: str, history: bool = False) -> None:
    """JSON gets the whole query; a table or CSV row the fields, and `show` adds the history."""
    if fmt == "json":
        emit_object(detail, fmt=fmt)
        return
    emit_object({k: v for k, v in plain(detail).items() if k != "history"}, fmt=fmt, title=title)
    if history and fmt == "table":
        emit_list(detail.history, HISTORY_COLUMNS, fmt=fmt, title="history", empty="no history")
