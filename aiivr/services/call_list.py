"""The call log: `call list` with filters and cursor paging, newest first.

Supervisors see every call (call.view_all). An agent sees the calls it took, missed or
made (call.view_own):
- took: it answered the call (calls.agent_user_id), or one of its queue legs, maybe
  transferring the caller on (queue_entries.agent_user_id);
- missed: a queue rang it for its whole timeout (a `ring_no_answer` event with its user);
- made: an outbound call from its extension (calls.caller_num_norm).
A supervisor's --agent NAME filter means the same set for that agent.

Pages are newest first, keyed by (started_at, id): the cursor is the last row's key, so
a call recorded while someone pages never shifts the pages. Every set above is read as a
stream already in that order (an index per stream) and the streams are merged, so a
page costs about its own size whatever the filters. One call's detail and resolving it
are in aiivr.services.calls.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from aiivr import audit
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.kpi_sql import Dialect
from aiivr.models.calls import Call, CallEvent, QueueEntry
from aiivr.models.users import User
from aiivr.numbers import normalise_number
from aiivr.paging import Page
from aiivr.permissions import allowed
from aiivr.principal import Ctx

C, V, E = Call.__table__, CallEvent.__table__, QueueEntry.__table__
TYPES = ("inbound", "outbound", "internal", "answered", "missed", "abandoned")
# A call's queue legs and ring events come after it started, and within this long of it
# (a caller transferred from queue to queue for six hours is not a call any more): how far
# past a page's end an agent's legs and rings are read to find that page's calls.
EVENT_LAG = dt.timedelta(hours=6)
PHONE_CHARS = re.compile(r"^[\d\s+()./-]+$")
UTC = dt.timezone.utc


@dataclass(frozen=True)
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
    with ctx.db.read() as session:
        who = None
        if agent is not None or not sees_all:
            who = _whose(session, agent, ctx.actor.user_id)
        request = _Request.make(session, who, start=start, end=end, call_type=call_type, queue=queue,
                                caller=caller, min_duration=min_duration, cursor=cursor, need=limit + 1)
        if who is None:
            rows = list(session.execute(request.statement("page", _page), request.params))
        else:
            rows = _by_id(session, [call_id for _, call_id in request.agent_keys(session)])
    page = rows[:limit]
    return Page(items=[summary(row, ctx) for row in page],
                    next=_cursor(page[-1]) if len(rows) > limit else None)


def _whose(session: Session, name: str | None, user_id: int | None):
    """(id, extension) of the named user, or of the actor."""
    query = sa.select(USERS.c.id, USERS.c.extension)
    row = session.execute(query.where(USERS.c.name == name) if name is not None
                          else query.where(USERS.c.id == user_id)).first()
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
    batch: int

    @classmethod
    def make(cls, session: Session, who, *, start, end, call_type, queue, caller, min_duration,
             cursor, need: int) -> "_Request":
        caller_kind, caller_params = _caller(caller)
        extension = normalise_number(who.extension or "") if who is not None else ""
        ceiling = min([t for t in (cursor[0] + EVENT_LAG if cursor else None, end + EVENT_LAG if end else None) if t],
                      default=None)
        params = {"start": start, "end": end, "kind": call_type, "queue": queue, "min_ms": int((min_duration or 0) * 1000),
                  "cur_at": cursor[0] if cursor else None, "cur_id": cursor[1] if cursor else None, "need": need,
                  "batch": need + 8, "user_id": who.id if who else None, "ext": extension, "ceiling": ceiling,
                  **caller_params}
        shape = (who is None, call_type, bool(queue), caller_kind, min_duration is not None, start is not None,
                 end is not None, cursor is not None, bool(extension))
        postgres = session.get_bind().dialect.name == "postgresql"
        # A call seldom has two rows of one stream: one batch is nearly always enough.
        return cls(shape + (postgres,), params, postgres, need + 8)

    def statement(self, name: str, build, *args) -> sa.Executable:
        key = (name, *self.shape, *args)
        statement = _STATEMENTS.get(key)
        if statement is None:
            if len(_STATEMENTS) > 1000:
                _STATEMENTS.clear()
            statement = _STATEMENTS[key] = build(self, *args)
        return statement

    def filters(self) -> list:
        everyone, call_type, queue, caller, min_duration, start, end, cursor, _ = self.shape[:9]
        out = []
        if start:
            out.append(C.c.started_at >= P("start"))
        if end:
            out.append(C.c.started_at < P("end"))
        if call_type in ("inbound", "outbound", "internal"):
            out.append(C.c.direction == P("kind"))
        elif call_type in ("answered", "abandoned"):
            out.append(C.c.disposition == P("kind"))
        elif call_type == "missed" and everyone:
            # For the whole centre a missed call is an inbound call that ended unanswered
            # (abandoned, timed out, unanswered, cut by a PBX restart); see docs/kpis.md.
            out += [C.c.direction == "inbound", C.c.answered_at.is_(None), C.c.ended_at.is_not(None)]
        if queue:
            leg = E.alias("leg")  # not the outer queue_entries of an agent's stream
            out.append(sa.exists().where(leg.c.call_id == C.c.id, leg.c.queue == P("queue")))
        if caller == "number":
            # A range, not LIKE: both databases walk the (caller_num_norm, started_at) index.
            out += [C.c.caller_num_norm >= P("num_lo"), C.c.caller_num_norm < P("num_hi")]
        elif caller == "name":
            out.append(sa.func.lower(C.c.caller_name).like(P("name_like"), escape="\\"))
        if min_duration:
            duration = Dialect("postgresql" if self.postgres else "sqlite").duration_ms(C.c.started_at, C.c.ended_at)
            out += [C.c.ended_at.is_not(None), duration >= P("min_ms")]
        if cursor:
            # started_at <= cursor first, so the database walks the index from the cursor down.
            out += [C.c.started_at <= P("cur_at"), sa.or_(C.c.started_at < P("cur_at"), C.c.id < P("cur_id"))]
        return out

    def agent_keys(self, session: Session) -> list[tuple]:
        """(started_at, id) of the newest calls the agent took, missed or made. Times stay as
        the driver gives them (text on SQLite, in one sortable format) until the end."""
        lagged = self.statement("lagged", lambda request: tuple(s.is_lagged for s in _streams(request)))
        rows: dict[int, list] = {i: [] for i in range(len(lagged))}
        for stream_no, *row in session.execute(self.statement("streams", _union), self.params):
            rows[stream_no].append(row)
        found: set[tuple] = set()
        for number, is_lagged in enumerate(lagged):
            found.update((started, call_id) for _, _, started, call_id in rows[number])
            if is_lagged:
                self._more(session, number, rows[number], found)
        keys = sorted(found, reverse=True)[:self.params["need"]]
        return [(_moment(started), call_id) for started, call_id in keys]

    def _more(self, session: Session, number: int, rows: list, found: set) -> None:
        """A lagged stream whose batch was full may still hide a newer call further down."""
        need = self.params["need"]
        while len(rows) == self.batch:
            below_at, below_tie = rows[-1][0], rows[-1][1]
            best = sorted(found, reverse=True)
            if len(best) >= need and below_at < best[need - 1][0]:
                return
            statement = self.statement("more", lambda request, n: _streams(request)[n].query(request, below=True), number)
            rows = session.execute(statement, {**self.params, "below_at": _moment(below_at), "below_tie": below_tie}).all()
            found.update((started, call_id) for _, _, started, call_id in rows)


def _caller(text: str | None) -> tuple[str, dict]:
    """A number (prefix of the digits, as stored normalised) or a name (prefix, any case)."""
    text = (text or "").strip()
    if not text:
        return "", {}
    digits = normalise_number(text)
    if PHONE_CHARS.match(text) and digits:
        return "number", {"num_lo": digits, "num_hi": digits[:-1] + chr(ord(digits[-1]) + 1)}
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "name", {"name_like": escaped + "%"}


def _page(request: _Request):
    """Every call (a supervisor without --agent): one walk down the best index."""
    return (sa.select(*SUMMARY_COLUMNS).select_from(WITH_USER).where(*request.filters())
            .order_by(C.c.started_at.desc(), C.c.id.desc()).limit(P("need")))


def _streams(request: _Request) -> list["_Stream"]:
    """The calls an agent took, missed or made, as streams of (started_at, id)."""
    missed = _Stream.lagged(V, V.c.at, V.c.id, V.c.call_id, V.c.kind == "ring_no_answer", V.c.user_id == P("user_id"))
    if request.shape[1] == "missed":
        return [missed]
    streams = [
        _Stream.ordered(C.c.agent_user_id == P("user_id")),
        # A queue leg it answered, also when it transferred the caller on (the call's agent is then another).
        _Stream.lagged(E, E.c.entered_at, E.c.id, E.c.call_id, E.c.agent_user_id == P("user_id")),
        missed,
    ]
    if request.shape[8]:  # it has an extension: the outbound calls made from it
        streams.append(_Stream.ordered(C.c.direction == "outbound", C.c.caller_num_norm == P("ext")))
    return streams


def _union(request: _Request):
    parts = [sa.select(sa.literal(i).label("stream"), q.c.t, q.c.tie, q.c.started_at, q.c.id)
             for i, stream in enumerate(_streams(request)) for q in [stream.query(request).subquery()]]
    return sa.union_all(*parts)


@dataclass
class _Stream:
    """One set of calls, read newest first through one index. `lagged` streams are read by
    the time of a row that comes at or after the call's start (a queue leg, an event), so
    they are read in batches until no later row can change the page."""

    table: sa.Table | None
    time: sa.ColumnElement
    tie: sa.ColumnElement
    call_id: sa.ColumnElement
    where: tuple
    is_lagged: bool

    @classmethod
    def ordered(cls, *where) -> "_Stream":
        return cls(None, C.c.started_at, C.c.id, C.c.id, where, False)

    @classmethod
    def lagged(cls, table, time, tie, call_id, *where) -> "_Stream":
        return cls(table, time, tie, call_id, where, True)

    def query(self, request: _Request, *, below: bool = False):
        query = sa.select(_raw(self.time).label("t"), self.tie.label("tie"), _raw(C.c.started_at), C.c.id)
        if self.table is not None:
            query = query.select_from(self.table).join(C, C.c.id == self.call_id)
        query = query.where(*self.where, *request.filters())
        if self.is_lagged:
            _, _, _, _, _, start, end, cursor, _ = request.shape[:9]
            if cursor or end:
                query = query.where(self.time < P("ceiling"))
            if start:
                query = query.where(self.time >= P("start"))
            if below:  # the next batch: older than the last row read
                query = query.where(sa.or_(self.time < P("below_at"),
                                           sa.and_(self.time == P("below_at"), self.tie < P("below_tie"))))
        limit = P("batch") if self.is_lagged else P("need")
        return query.order_by(self.time.desc(), self.tie.desc()).limit(limit)


def _raw(column):
    """A time column as the driver returns it: on SQLite the stored text, which
    _moment parses in C; SQLAlchemy's own parsing costs more than the query itself."""
    return sa.type_coerce(column, sa.String).label(column.name)


def _moment(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value.astimezone(UTC) if value is not None else None
    return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)


USERS = User.__table__
SUMMARY_COLUMNS = [C.c.id, _raw(C.c.started_at), _raw(C.c.ended_at), C.c.direction, C.c.caller_num,
                   C.c.caller_name, C.c.queue, C.c.agent_user_id, C.c.agent_name, C.c.disposition,
                   C.c.wait_seconds, C.c.talk_seconds, C.c.resolved, USERS.c.name.label("user_name")]
WITH_USER = C.outerjoin(USERS, USERS.c.id == C.c.agent_user_id)


def _by_id(session: Session, ids: list[int]) -> list:
    if not ids:
        return []
    query = sa.select(*SUMMARY_COLUMNS).select_from(WITH_USER).where(C.c.id.in_(ids))
    rows = {row.id: row for row in session.execute(query)}
    return [rows[call_id] for call_id in ids]


def _cursor(row) -> str:
    return f"{round(_moment(row.started_at).timestamp() * 1_000_000)}-{row.id}"


def _parse_cursor(text: str) -> tuple[dt.datetime, int]:
    match = re.fullmatch(r"(\d{1,19})-(\d{1,19})", text.strip())
    if not match:
        raise BadInput(f"bad cursor {text!r}: pass the `next` value of the previous page")
    micros, call_id = int(match.group(1)), int(match.group(2))
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=micros), call_id


def summary(row, ctx: Ctx, user_name: str | None = None) -> CallSummary:
    started, ended = _moment(row.started_at), _moment(row.ended_at)
    user_name = user_name or getattr(row, "user_name", None)
    return CallSummary(
        id=row.id, started_at=started.astimezone(ctx.config.tz).isoformat(timespec="seconds"), direction=row.direction,
        caller_num=row.caller_num, caller_name=row.caller_name, queue=row.queue,
        agent=user_name if row.agent_user_id is not None else row.agent_name,
        disposition=row.disposition, wait_seconds=row.wait_seconds, talk_seconds=row.talk_seconds,
        duration_seconds=round((ended - started).total_seconds(), 3) if ended else None,
        resolved=bool(row.resolved),
    )
