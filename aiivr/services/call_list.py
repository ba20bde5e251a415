"""The call log: `call list` with filters and cursor paging, newest first.

Supervisors see every call (call.view_all). An agent sees the calls it took, missed or
made (call.view_own):
- took: it answered the call (calls.agent_user_id), or one of its queue legs, maybe
  transferring the caller on (queue_entries.agent_user_id);
- missed: a queue rang it for its whole timeout (a `ring_no_answer` event with its user);
- made: an outbound call from its extension (calls.caller_num_norm).
A supervisor's --agent NAME filter means the same set for that agent.

Who took or missed a call is read from the user ids those rows were recorded with: a call
answered by a member no user matched (an unmapped queue_log member) is nobody's until a
writer sets the user on those rows. Made follows the user's extension as it is when the
list is read: give a user an extension and the outbound calls ever made from it are its
own; move the extension to another user and they move with it.

Pages are newest first, keyed by (started_at, id): the cursor is the last row's key, so
a call recorded while someone pages never shifts the pages. Took and missed are kept by
triggers in agent_calls, keyed (user, started_at, call) (migration 0007), and made is an
ordered walk of ix_calls_outbound_caller: an agent's page is two walks of adjacent index
rows merged, then the page's calls read by id, whatever the size of the database. One
call's detail and resolving it are in aiivr.services.calls.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa

from aiivr import audit
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.kpi_sql import Dialect
from aiivr.models.calls import OUTBOUND_BY_CALLER, AgentCall, Call, QueueEntry
from aiivr.models.users import User
from aiivr.numbers import normalise_number
from aiivr.paging import Page
from aiivr.permissions import allowed
from aiivr.principal import Ctx

C, A, E = Call.__table__, AgentCall.__table__, QueueEntry.__table__
TYPES = ("inbound", "outbound", "internal", "answered", "missed", "abandoned")
PHONE_CHARS = re.compile(r"^[\d\s+()./-]+$")
UTC = dt.timezone.utc


@dataclass(frozen=True, slots=True)  # slots: a page builds 50, and slots halve the cost
class CallSummary:
    id: int
    started_at: str
    direction: str
    caller_num: str
    caller_name: str
    queue: str | None
    agent: str | None
    disposition: str
    wait_seconds: float
    talk_seconds: float
    duration_seconds: float | None
    resolved: bool


# ---------------------------------------------------------------------------- listing

def list_calls(ctx: Ctx, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
               call_type: str | None = None, agent: str | None = None, queue: str | None = None,
               caller: str | None = None, min_duration: float | None = None, limit: int = 50,
               after: str | None = None) -> Page[CallSummary]:
    """Newest first; `after` is the previous page's `next`. start/end: half-open, UTC."""
    audit.authorize(ctx, "call.view_own")
    if not 1 <= limit <= 1000:
        raise BadInput("--limit must be between 1 and 1000")
    if call_type is not None and call_type not in TYPES:
        raise BadInput(f"unknown --type {call_type!r}: use {', '.join(TYPES)}")
    if min_duration is not None and min_duration < 0:
        raise BadInput("--min-duration must not be negative")
    cursor = _parse_cursor(after) if after else None
    sees_all = allowed(ctx.actor.role, "call.view_all")
    if agent is not None and agent != ctx.actor.name and not sees_all:
        audit.record_refusal(ctx, "call.view_all", target=f"user:{agent}", reason="others' calls")
        raise PermissionDenied("you see only your own calls: leave out --agent")
    # A plain connection, not a Session: a page needs no ORM objects, and a Session's own
    # machinery cost as much as the page's SQL (bench/calllog.py).
    with ctx.db.read_connection() as connection:
        who = None
        if agent is not None or not sees_all:
            who = _whose(connection, agent, ctx.actor.user_id)
        request = _Request.make(connection, who, start=start, end=end, call_type=call_type, queue=queue,
                                caller=caller, min_duration=min_duration, cursor=cursor, need=limit + 1)
        rows = list(connection.execute(request.statement("page", _page if who is None else _agent_page), request.params))
    page = rows[:limit]
    tz = ctx.config.tz  # once a page: the property builds a ZoneInfo on each use
    return Page(items=[summary(row, tz) for row in page],
                    next=_cursor(page[-1]) if len(rows) > limit else None)


def _whose(connection: sa.Connection, name: str | None, user_id: int | None):
    """(id, extension) of the named user, or of the actor."""
    if name is not None:
        row = connection.execute(_USER_BY_NAME, {"name": name}).first()
    else:
        row = connection.execute(_USER_BY_ID, {"id": user_id}).first()
    if row is None:
        raise NotFound(f"no user named {name!r}" if name is not None else "your user is gone")
    return row


# Statements are built once per shape of request (which filters, a cursor or not, whose
# calls) and cached, the values bound as parameters: building and keying a statement
# costs more than SQLite takes to run it (bench/calllog.py).
_STATEMENTS: dict[tuple, sa.Executable] = {}
P = sa.bindparam


@dataclass
class _Request:
    shape: tuple
    params: dict
    postgres: bool

    @classmethod
    def make(cls, connection: sa.Connection, who, *, start, end, call_type, queue, caller, min_duration,
             cursor, need: int) -> "_Request":
        if cursor is not None and end is not None:
            # One upper bound, the tighter: SQLite bounds its index walk by one of them and
            # filters on the other, which read a whole --from/--to range for an empty page.
            # A cursor at or past --to excludes nothing (every row is before it).
            if cursor[0] < end:
                end = None
            else:
                cursor = None
        caller_kind, caller_params = _caller(caller)
        extension = normalise_number(who.extension or "") if who is not None else ""
        params = {"start": start, "end": end, "kind": call_type, "queue": queue, "min_ms": int((min_duration or 0) * 1000),
                  "cur_at": cursor[0] if cursor else None, "cur_id": cursor[1] if cursor else None, "need": need,
                  "user_id": who.id if who else None, "ext": extension,
                  **caller_params}
        shape = (who is None, call_type, bool(queue), caller_kind, min_duration is not None, start is not None,
                 end is not None, cursor is not None, bool(extension))
        postgres = connection.dialect.name == "postgresql"
        return cls(shape + (postgres,), params, postgres)

    def statement(self, name: str, build, *args) -> sa.Executable:
        key = (name, *self.shape, *args)
        statement = _STATEMENTS.get(key)
        if statement is None:
            if len(_STATEMENTS) > 1000:
                _STATEMENTS.clear()
            statement = _STATEMENTS[key] = build(self, *args)
        return statement

    def filters(self) -> list:
        return self.span(C.c.started_at, C.c.id) + self.of_call()

    def span(self, time, tie) -> list:
        """--from/--to and the cursor, on the (started_at, id) key of the index walked."""
        start, end, cursor = self.shape[5:8]
        out = []
        if start:
            out.append(time >= P("start"))
        if end:
            out.append(time < P("end"))
        if cursor:
            # started_at <= cursor first, so the database walks the index from the cursor down.
            out += [time <= P("cur_at"), sa.or_(time < P("cur_at"), tie < P("cur_id"))]
        return out

    def of_call(self) -> list:
        """The other filters: on the call's own columns."""
        everyone, call_type, queue, caller, min_duration = self.shape[:5]
        out = []
        if call_type in ("inbound", "outbound", "internal"):
            out.append(C.c.direction == P("kind"))
        elif call_type in ("answered", "abandoned"):
            out.append(C.c.disposition == P("kind"))
        elif call_type == "missed" and everyone:
            # For the whole centre a missed call is an inbound call that ended unanswered
            # (abandoned, timed out, unanswered, cut by a PBX restart); see docs/kpis.md.
            out += [C.c.direction == "inbound", C.c.answered_at.is_(None), C.c.ended_at.is_not(None)]
        if queue:
            leg = E.alias("leg")
            out.append(sa.exists().where(leg.c.call_id == C.c.id, leg.c.queue == P("queue")))
        if caller == "number":
            # A range, not LIKE: both databases walk the (caller_num_norm, started_at) index.
            out += [C.c.caller_num_norm >= P("num_lo"), C.c.caller_num_norm < P("num_hi")]
        elif caller == "name":
            # A range too, on ix_calls_caller_name (migration 0008): LIKE would read every call.
            # PostgreSQL's index compares bytes (COLLATE "C"), so a prefix is a contiguous range.
            name = sa.func.lower(C.c.caller_name)
            if self.postgres:
                name = name.collate("C")
            out += [name >= P("name_lo"), name < P("name_hi")]
        if min_duration:
            duration = Dialect("postgresql" if self.postgres else "sqlite").duration_ms(C.c.started_at, C.c.ended_at)
            out += [C.c.ended_at.is_not(None), duration >= P("min_ms")]
        return out

def _caller(text: str | None) -> tuple[str, dict]:
    """A number (prefix of the digits, as stored normalised) or a name (prefix, any case)."""
    text = (text or "").strip()
    if not text:
        return "", {}
    digits = normalise_number(text)
    if PHONE_CHARS.match(text) and digits:
        return "number", {"num_lo": digits, "num_hi": _next_prefix(digits)}
    prefix = text.lower()
    return "name", {"name_lo": prefix, "name_hi": _next_prefix(prefix)}


def _next_prefix(prefix: str) -> str:
    """The first string after every string starting with `prefix` (for a range)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _page(request: _Request):
    """Every call (a supervisor without --agent): one walk down the best index."""
    if not request.shape[3]:  # no --caller
        return (sa.select(*SUMMARY_COLUMNS).select_from(WITH_USER).where(*request.filters())
                .order_by(C.c.started_at.desc(), C.c.id.desc()).limit(P("need")))
    # --caller is a range on a caller index, then sorted by time. Sort only the keys, which
    # the index holds, then read the page's calls: sorting whole rows read every match's
    # row first (a 3-digit prefix matches ~20,000 calls of 5 M: 140 ms instead of a few).
    keys = (sa.select(C.c.started_at.label("key_at"), C.c.id.label("key_id")).where(*request.filters())
            .order_by(C.c.started_at.desc(), C.c.id.desc()).limit(P("need")).subquery("keys"))
    return _rows_of(keys)


def _agent_page(request: _Request):
    """The calls an agent took or missed (agent_calls) and made (outbound from its
    extension), each one walk down its own index, merged; then the page's calls by id."""
    call_type, extension = request.shape[1], request.shape[8]
    on_call = bool(call_type not in (None, "missed") or any(request.shape[2:5]))
    took_or_missed = sa.select(_raw(A.c.started_at), A.c.call_id.label("id")).where(
        A.c.user_id == P("user_id"), *request.span(A.c.started_at, A.c.call_id))
    if call_type == "missed":
        took_or_missed = took_or_missed.where(A.c.missed.is_(True))
    if on_call:  # --type, --queue, --caller or --min-duration: the calls' own columns
        took_or_missed = took_or_missed.join(C, C.c.id == A.c.call_id).where(*request.of_call())
    parts = [took_or_missed.order_by(A.c.started_at.desc(), A.c.call_id.desc()).limit(P("need"))]
    if extension and call_type not in ("missed", "inbound", "internal"):
        # 'outbound' written out, not bound: a partial index serves only the literal. SQLite
        # is told the index: its statistics average over every caller number (4 calls
        # each) and would pick ix_calls_caller_started, reading each call for its direction.
        parts.append(sa.select(_raw(C.c.started_at), C.c.id).with_hint(C, f"INDEXED BY {OUTBOUND_BY_CALLER.name}", "sqlite")
                     .where(C.c.direction == sa.literal_column("'outbound'"), C.c.caller_num_norm == P("ext"),
                            *request.filters())
                     .order_by(C.c.started_at.desc(), C.c.id.desc()).limit(P("need")))
    merged = sa.union(*[sa.select(q.c.started_at, q.c.id) for q in (part.subquery() for part in parts)]).subquery()
    keys = (sa.select(merged.c.started_at.label("key_at"), merged.c.id.label("key_id"))
            .order_by(merged.c.started_at.desc(), merged.c.id.desc()).limit(P("need")).subquery("keys"))
    return _rows_of(keys)


def _rows_of(keys):
    """The summary rows of the calls a keys subquery (key_at, key_id) names, in its order."""
    return (sa.select(*SUMMARY_COLUMNS).select_from(keys.join(C, C.c.id == keys.c.key_id)
                                                     .outerjoin(USERS, USERS.c.id == C.c.agent_user_id))
            .order_by(keys.c.key_at.desc(), keys.c.key_id.desc()))


def _raw(column):
    """A time column as the driver returns it: on SQLite the stored text, which
    _moment parses in C; SQLAlchemy's own parsing costs more than the query itself."""
    return sa.type_coerce(column, sa.String).label(column.name)


def _moment(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value.astimezone(UTC) if value is not None else None
    # The stored text is naive UTC; appending the offset is 5x cheaper than replace(tzinfo=).
    return dt.datetime.fromisoformat(value + "+00:00")


USERS = User.__table__
# Built once, the values bound: building a statement costs more than running it.
_USER_BY_NAME = sa.select(USERS.c.id, USERS.c.extension).where(USERS.c.name == P("name"))
_USER_BY_ID = sa.select(USERS.c.id, USERS.c.extension).where(USERS.c.id == P("id"))
SUMMARY_COLUMNS = [C.c.id, _raw(C.c.started_at), _raw(C.c.ended_at), C.c.direction, C.c.caller_num,
                   C.c.caller_name, C.c.queue, C.c.agent_user_id, C.c.agent_name, C.c.disposition,
                   C.c.wait_seconds, C.c.talk_seconds, C.c.resolved, USERS.c.name.label("user_name")]
WITH_USER = C.outerjoin(USERS, USERS.c.id == C.c.agent_user_id)


def _cursor(row) -> str:
    return f"{round(_moment(row.started_at).timestamp() * 1_000_000)}-{row.id}"


def _parse_cursor(text: str) -> tuple[dt.datetime, int]:
    match = re.fullmatch(r"(\d{1,19})-(\d{1,19})", text.strip())
    if not match:
        raise BadInput(f"bad cursor {text!r}: pass the `next` value of the previous page")
    micros, call_id = int(match.group(1)), int(match.group(2))
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=micros), call_id


def summary(row, tz) -> CallSummary:
    """One call-log line from a row of SUMMARY_COLUMNS, in that order. A page builds 50 of
    them, which cost more than the page's SQL did: the row is unpacked by position (each
    named attribute of a Row costs about a microsecond) and the times parsed once."""
    (call_id, started_at, ended_at, direction, caller_num, caller_name, queue, agent_user_id, agent_name,
     disposition, wait_seconds, talk_seconds, resolved, user_name) = row
    started, ended = _moment(started_at), _moment(ended_at)
    return CallSummary(
        call_id, started.astimezone(tz).isoformat(timespec="seconds"), direction, caller_num, caller_name, queue,
        user_name if agent_user_id is not None else agent_name, disposition, wait_seconds, talk_seconds,
        round((ended - started).total_seconds(), 3) if ended else None, bool(resolved))
