"""Customer queries: add, list, show, update, assign, escalate and close, linked to calls.

Agents work their own queries (query.work_own) and may open one from a call they
handled; supervisors see and work anyone's, the escalation pool included
(query.work_all), and assign them (query.assign). An agent's own escalated query is
read-only to it until a supervisor assigns it. The moves between statuses are
aiivr.queries_rules.MOVES; docs/queries.md gives the decisions.

Every change writes one history row per thing changed (who, when, what, old, new, why),
one audit entry per command and bumps the "queries" change counter, all in one
transaction. Every function takes `now`, so the caller (and a test) decides the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr import audit, changes
from aiivr import queries_rules as rules
from aiivr.db import utcnow
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.models.calls import Call
from aiivr.models.queries import Query, QueryCall, QueryHistory
from aiivr.models.users import User
from aiivr.numbers import normalise_number
from aiivr.paging import Page
from aiivr.permissions import allowed
from aiivr.principal import SYSTEM, Ctx, Principal
from aiivr.services.users import get_user
from aiivr.timerange import iso


@dataclass(frozen=True)
class QuerySummary:
    id: int
    status: str
    priority: str
    customer_num: str
    customer_name: str
    subject: str
    assignee: str | None
    due_at: str | None
    overdue: bool
    created_at: str


@dataclass(frozen=True)
class HistoryView:
    at: str
    actor: str
    what: str  # created | status | priority | due | assignee | note | call
    old: str | None
    new: str | None
    why: str


@dataclass(frozen=True)
class QueryDetail(QuerySummary):
    description: str
    created_by: str
    updated_at: str
    calls: list[int]
    history: list[HistoryView]


# ---- commands ----------------------------------------------------------------------------

def add_query(ctx: Ctx, *, subject: str, customer_num: str | None = None, customer_name: str | None = None,
              description: str = "", call_id: int | None = None, priority: str = "normal",
              due: dt.datetime | None = None, now: dt.datetime | None = None) -> QueryDetail:
    """Open a query assigned to its creator. With a call, the customer defaults to the caller."""
    audit.authorize(ctx, "query.work_own", target="query:new")
    now = now or utcnow()
    subject = _text(subject, "subject", limit=200)
    if not subject:
        raise BadInput("a query needs a subject: --subject TEXT")
    priority = rules.parse_priority(priority)
    if due is not None:
        rules.check_due(due, now, ctx.config.tz)
    number = _text(customer_num, "customer number", limit=64)
    if call_id is None and not number:
        raise BadInput("a query needs a customer: give --customer NUMBER, or --call ID to take it from the call")
    with _audited_refusals(ctx), ctx.db.write() as session:
        call = _call_for(ctx, session, call_id) if call_id is not None else None
        name = customer_name
        if not number:  # the caller is the customer
            number = call.caller_num
            name = call.caller_name if customer_name is None else customer_name
            if not number:
                raise BadInput(f"call {call_id} has no caller number (withheld): give --customer NUMBER")
        query = Query(customer_num=number, customer_num_norm=normalise_number(number),
                      customer_name=_text(name, "customer name", limit=128), subject=subject,
                      description=_text(description, "description"), priority=priority,
                      status=rules.OPEN, due_at=due, assignee_user_id=ctx.actor.user_id,
                      created_by=ctx.actor.name, created_at=now, updated_at=now)
        session.add(query)
        session.flush()
        change = _Change(session, query, ctx.actor, now)
        change.add("created", None, rules.OPEN)
        if call is not None:
            change.link_call(call.id)
        change.finish("query.add")
        return _detail(session, query, ctx, now)


def update_query(ctx: Ctx, query_id: int, *, status: str | None = None, priority: str | None = None,
                 due: dt.datetime | None = None, call_id: int | None = None, note: str | None = None,
                 now: dt.datetime | None = None) -> QueryDetail:
    """Change status, priority or due time, link a call, or add a note.

    A note given with other changes is their `why`; given alone it is a note of its own.
    """
    audit.authorize(ctx, "query.work_own", target=f"query:{query_id}")
    now = now or utcnow()
    new_status = rules.parse_status(status) if status is not None else None
    new_priority = rules.parse_priority(priority) if priority is not None else None
    note = _text(note, "note")
    if due is not None:
        rules.check_due(due, now, ctx.config.tz)
    if new_status is None and new_priority is None and due is None and call_id is None and not note:
        raise BadInput("nothing to change: give --status, --priority, --due, --call or --note")
    with _working_on(ctx, query_id) as (session, query):
        change = _Change(session, query, ctx.actor, now, why=note)
        if new_status is not None:
            change.move(new_status, via=rules.UPDATE)  # names the allowed states if refused
        else:
            rules.check_changeable(query.id, query.status)
        if new_priority is not None and new_priority != query.priority:
            change.add("priority", query.priority, new_priority)
            query.priority = new_priority
        if due is not None and due != query.due_at:
            change.add("due", iso(query.due_at, ctx.config.tz), iso(due, ctx.config.tz))
            query.due_at = due
        if call_id is not None:
            change.link_call(_call_for(ctx, session, call_id).id)
        if note and not change.rows:
            change.why = ""  # a note on its own is the change, not the reason for one
            change.add("note", None, note)
        change.finish("query.update")
        return _detail(session, query, ctx, now)


def close_query(ctx: Ctx, query_id: int, *, note: str | None = None, now: dt.datetime | None = None) -> QueryDetail:
    """The same as update_query(status="closed")."""
    return update_query(ctx, query_id, status=rules.CLOSED, note=note, now=now)


def escalate_query(ctx: Ctx, query_id: int, *, reason: str, now: dt.datetime | None = None) -> QueryDetail:
    """Send a query to the supervisors' pool. It keeps its assignee, for the record."""
    audit.authorize(ctx, "query.work_own", target=f"query:{query_id}")
    now = now or utcnow()
    reason = _text(reason, "reason")
    if not reason:
        raise BadInput("escalating needs a reason: --reason TEXT")
    with _working_on(ctx, query_id) as (session, query):
        change = _Change(session, query, ctx.actor, now, why=reason)
        change.move(rules.ESCALATED, via=rules.ESCALATE)
        change.finish("query.escalate")
        return _detail(session, query, ctx, now)


def assign_query(ctx: Ctx, query_id: int, *, to: str, now: dt.datetime | None = None) -> QueryDetail:
    """Give a query to someone (supervisors). An escalated one leaves the pool: in_progress."""
    audit.authorize(ctx, "query.assign", target=f"query:{query_id}")
    now = now or utcnow()
    with _working_on(ctx, query_id) as (session, query):
        rules.check_changeable(query.id, query.status)
        user = get_user(session, to)
        if not user.active:
            raise BadInput(f"user {to!r} is disabled")
        change = _Change(session, query, ctx.actor, now)
        if user.id != query.assignee_user_id:
            change.add("assignee", _user_name(session, query.assignee_user_id), user.name)
            query.assignee_user_id = user.id
        if query.status == rules.ESCALATED:
            change.move(rules.IN_PROGRESS, via=rules.ASSIGN, why=f"assigned to {user.name}")
        change.finish("query.assign")
        return _detail(session, query, ctx, now)


_QUERIES = Query.__table__
# Built once and run on the session's connection: the recorder asks this for every batch with
# new inbound calls, and an ORM select cost it ~1 ms a batch in building and result handling.
_RESOLVED_NUMBERS = (sa.select(_QUERIES.c.customer_num_norm).distinct()
                     .where(_QUERIES.c.customer_num_norm.in_(sa.bindparam("numbers", expanding=True)),
                            _QUERIES.c.status == rules.RESOLVED))


def numbers_with_resolved_queries(session: Session, numbers: set[str]) -> set[str]:
    """Which of these customer numbers have a resolved query: one query for a batch of new
    calls, so the recorder asks reopen_on_callback only about those (most callers have none)."""
    wanted = sorted(n for n in numbers if n)
    found: set[str] = set()
    if not wanted:
        return found
    connection = session.connection()
    for start in range(0, len(wanted), 500):
        found.update(connection.execute(_RESOLVED_NUMBERS, {"numbers": wanted[start:start + 500]}).scalars())
    return found


def reopen_on_callback(session: Session, *, caller_num_norm: str, call_id: int, at: dt.datetime) -> list[int]:
    """The recorder calls this, inside its own transaction, for a new inbound call: each
    resolved query of that customer moves back to in_progress with the call linked.
    Returns the reopened query ids. A withheld number ("") matches nothing; a replayed
    call finds the queries already in_progress and changes nothing."""
    if not caller_num_norm:
        return []
    resolved = session.exec(
        select(Query).where(Query.customer_num_norm == caller_num_norm, Query.status == rules.RESOLVED)
        .order_by(Query.id).with_for_update()
    ).all()
    for query in resolved:
        change = _Change(session, query, SYSTEM, at, why="customer called back")
        change.move(rules.IN_PROGRESS, via=rules.CALLBACK)
        change.link_call(call_id)
        change.finish("query.reopen")
    return [query.id for query in resolved]


# ---- reading -----------------------------------------------------------------------------

def show_query(ctx: Ctx, query_id: int, *, now: dt.datetime | None = None) -> QueryDetail:
    audit.authorize(ctx, "query.work_own", target=f"query:{query_id}")
    with _audited_refusals(ctx), ctx.db.read() as session:
        query = _load(session, query_id, lock=False)
        _check_scope(ctx, query, writing=False)
        return _detail(session, query, ctx, now or utcnow())


def list_queries(ctx: Ctx, *, statuses: Sequence[str] = (), assignee: str | None = None, overdue: bool = False,
                 start: dt.datetime | None = None, end: dt.datetime | None = None, limit: int = 50,
                 after: str | None = None, now: dt.datetime | None = None) -> Page[QuerySummary]:
    """Newest first, cursor-paged (`after` is the last id already seen). Agents get their own;
    supervisors everyone's. `start`/`end` bound the creation time, half-open."""
    audit.authorize(ctx, "query.work_own")
    now = now or utcnow()
    if not 1 <= limit <= 1000:
        raise BadInput("--limit must be between 1 and 1000")
    if assignee and assignee != ctx.actor.name and not _sees_all(ctx):
        audit.record_refusal(ctx, "query.work_all", target=f"user:{assignee}", reason="others' queries")
        raise PermissionDenied("you see only your own queries: leave out --assignee")
    stmt = _visible(ctx, _summaries()).order_by(Query.id.desc()).limit(limit + 1)
    if after:
        if not after.isdigit():
            raise BadInput(f"bad cursor {after!r}: pass the `next` value of the previous page")
        stmt = stmt.where(Query.id < int(after))
    if statuses:
        stmt = stmt.where(Query.status.in_([rules.parse_status(s) for s in statuses]))
    if overdue:  # rules.is_overdue, in SQL
        stmt = stmt.where(Query.due_at < now, Query.status.not_in(rules.DONE))
    if start:
        stmt = stmt.where(Query.created_at >= start)
    if end:
        stmt = stmt.where(Query.created_at < end)
    with ctx.db.read() as session:
        if assignee:
            stmt = stmt.where(Query.assignee_user_id == get_user(session, assignee).id)
        rows = session.exec(stmt).all()
    page = rows[:limit]
    return Page(items=[_summary(query, name, ctx, now) for query, name in page],
                     next=str(page[-1][0].id) if len(rows) > limit else None)


def queries_for_call(ctx: Ctx, call_id: int, *, now: dt.datetime | None = None) -> list[QuerySummary]:
    """The queries linked to a call, oldest first, for `call show`: an agent gets only its
    own. Whether the actor may see the call itself is the caller's check."""
    audit.authorize(ctx, "query.work_own", target=f"call:{call_id}")
    now = now or utcnow()
    stmt = (_visible(ctx, _summaries()).join(QueryCall, QueryCall.query_id == Query.id)
            .where(QueryCall.call_id == call_id).order_by(Query.id))
    with ctx.db.read() as session:
        return [_summary(query, name, ctx, now) for query, name in session.exec(stmt).all()]


# ---- inside ------------------------------------------------------------------------------

class _Change:
    """The history rows one command writes; finish() adds its one audit entry."""

    def __init__(self, session: Session, query: Query, actor: Principal, at: dt.datetime, *, why: str = "") -> None:
        self.session, self.query, self.actor, self.at, self.why = session, query, actor, at, why
        self.rows: dict[str, str | None] = {}

    def add(self, what: str, old: str | None, new: str | None, *, why: str | None = None) -> None:
        self.session.add(QueryHistory(query_id=self.query.id, at=self.at, actor=self.actor.name, what=what,
                                      old=old, new=new, why=self.why if why is None else why))
        self.rows[what] = new

    def move(self, new: str, *, via: str, why: str | None = None) -> None:
        rules.check_move(self.query.id, self.query.status, new, via=via)
        self.add("status", self.query.status, new, why=why)
        self.query.status = new

    def link_call(self, call_id: int) -> None:
        if self.session.get(QueryCall, (self.query.id, call_id)) is None:
            self.session.add(QueryCall(query_id=self.query.id, call_id=call_id, linked_at=self.at,
                                       linked_by=self.actor.name))
            self.add("call", None, str(call_id))

    def finish(self, action: str) -> None:
        if not self.rows:
            return  # nothing changed: no audit entry, no bump
        self.query.updated_at = self.at
        self.session.add(self.query)
        detail = dict(self.rows, why=self.why) if self.why else dict(self.rows)
        audit.append(self.session, self.actor, action, target=f"query:{self.query.id}", detail=detail)
        changes.bump(self.session, "queries")


class _Refused(PermissionDenied):
    """A refusal found inside a transaction. It is audited once that transaction has rolled
    back: the audit entry needs a write of its own, which on SQLite would wait for ours."""

    def __init__(self, message: str, *, action: str, target: str, reason: str) -> None:
        super().__init__(message)
        self.action, self.target, self.reason = action, target, reason


@contextmanager
def _audited_refusals(ctx: Ctx) -> Iterator[None]:
    try:
        yield
    except _Refused as refused:
        audit.record_refusal(ctx, refused.action, target=refused.target, reason=refused.reason)
        raise PermissionDenied(str(refused)) from None


@contextmanager
def _working_on(ctx: Ctx, query_id: int) -> Iterator[tuple[Session, Query]]:
    """A write transaction holding one query the actor may change."""
    with _audited_refusals(ctx), ctx.db.write() as session:
        query = _load(session, query_id, lock=True)
        _check_scope(ctx, query, writing=True)
        yield session, query


def _sees_all(ctx: Ctx) -> bool:
    return allowed(ctx.actor.role, "query.work_all")


def _check_scope(ctx: Ctx, query: Query, *, writing: bool) -> None:
    if _sees_all(ctx):
        return
    target = f"query:{query.id}"
    if query.assignee_user_id != ctx.actor.user_id:
        # No more than that: neither whose it is nor what it is about.
        raise _Refused(f"query {query.id} is not yours", action="query.work_all", target=target, reason="not yours")
    if writing and query.status == rules.ESCALATED:
        raise _Refused(f"query {query.id} is escalated: it is read-only to you until a supervisor assigns it",
                       action="query.work_all", target=target, reason="escalated")


def _call_for(ctx: Ctx, session: Session, call_id: int) -> Call:
    """A call the actor may open or discuss a query from: an agent's own, anyone's for supervisors."""
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call with id {call_id}")
    if call.agent_user_id != ctx.actor.user_id and not _sees_all(ctx):
        raise _Refused(f"call {call_id} is not yours: link only calls you handled", action="call.view_all",
                       target=f"call:{call_id}", reason="not your call")
    return call


def _load(session: Session, query_id: int, *, lock: bool) -> Query:
    stmt = select(Query).where(Query.id == query_id)
    query = session.exec(stmt.with_for_update() if lock else stmt).first()
    if query is None:
        raise NotFound(f"no query with id {query_id}")
    return query


def _summaries():
    return select(Query, User.name).outerjoin(User, User.id == Query.assignee_user_id)


def _visible(ctx: Ctx, stmt):
    return stmt if _sees_all(ctx) else stmt.where(Query.assignee_user_id == ctx.actor.user_id)


def _user_name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else None


def _text(value: str | None, what: str, *, limit: int | None = None) -> str:
    text = (value or "").strip()
    if limit is not None and len(text) > limit:
        raise BadInput(f"the {what} is too long: at most {limit} characters")
    return text


def _summary(query: Query, assignee: str | None, ctx: Ctx, now: dt.datetime) -> QuerySummary:
    tz = ctx.config.tz
    return QuerySummary(
        id=query.id, status=query.status, priority=query.priority, customer_num=query.customer_num,
        customer_name=query.customer_name, subject=query.subject, assignee=assignee,
        due_at=iso(query.due_at, tz), overdue=rules.is_overdue(query.status, query.due_at, now),
        created_at=iso(query.created_at, tz),
    )


def _detail(session: Session, query: Query, ctx: Ctx, now: dt.datetime) -> QueryDetail:
    tz = ctx.config.tz
    calls = session.exec(select(QueryCall.call_id).where(QueryCall.query_id == query.id)
                         .order_by(QueryCall.linked_at, QueryCall.call_id)).all()
    history = session.exec(select(QueryHistory).where(QueryHistory.query_id == query.id)
                           .order_by(QueryHistory.id)).all()
    summary = _summary(query, _user_name(session, query.assignee_user_id), ctx, now)
    return QueryDetail(
        **dataclasses.asdict(summary), description=query.description, created_by=query.created_by,
        updated_at=iso(query.updated_at, tz), calls=list(calls),
        history=[HistoryView(at=iso(h.at, tz), actor=h.actor, what=h.what, old=h.old, new=h.new, why=h.why)
                 for h in history],
    )
