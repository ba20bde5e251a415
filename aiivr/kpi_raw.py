"""KPI sums straight from the recorded rows, for any range, per local day or hour.

compute() returns {(local_date, local_hour or None, queue, agent): Sums}; queue and agent
are "" where a figure has none. What is attributed where (docs/kpis.md):
- queue entries (offered ... talk) by when they entered the queue, their queue, the agent
  who answered;
- call-level figures (FCR, CSAT, hold) by when the call started, the first queue it
  entered (calls.queue) and the agent who answered it last (calls.agent_*);
- missed rings by when and where the queue rang the agent;
- wrap-up to the answered entry it follows;
- status time (occupancy, pauses) cut at local day or hour boundaries.
The aggregates run in SQL; Python only cuts the status rows that cross a boundary.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr.config import Config
from aiivr.db import UTCDateTime
from aiivr.kpi_sql import Dialect
from aiivr.kpi_sums import UNSPECIFIED_REASON, Sums
from aiivr.kpi_time import key_of, local_dates, pieces, units
from aiivr.models.agents import AgentStatus
from aiivr.models.calls import Call, CallEvent, QueueEntry
from aiivr.models.queues import Queue

E, C, V, S = QueueEntry.__table__, Call.__table__, CallEvent.__table__, AgentStatus.__table__
Key = tuple[dt.date, int | None, str, str]

# A wrap-up belongs to the call the agent answered last, if that was at most this long
# before the wrap-up began (no call lasts longer); a call waits in queue less than the slack.
WRAPUP_LOOKBACK_HOURS = 4
QUEUE_WAIT_SLACK_HOURS = 2
HANDLING, AVAILABLE = ("on_call", "wrap_up"), ("online", "ringing")
UNITS_PER_QUERY = 400  # keeps the bound parameters of one status query well under limits


@dataclass(frozen=True)
class Params:
    """Everything besides the rows that the figures depend on."""

    tz: ZoneInfo
    fcr_window_days: int
    thresholds: tuple[tuple[str, int, int], ...]  # (queue, service level s, short abandon s)
    default_service_level: int
    default_short_abandon: int

    def fingerprint(self) -> str:
        return repr(("v2", self.tz.key, self.fcr_window_days, self.thresholds, self.default_service_level,
                     self.default_short_abandon))


def params_for(session: Session, config: Config) -> Params:
    """Thresholds from the queues table, else [queues.NAME], else the defaults."""
    known = {name: (q.service_level_seconds, q.short_abandon_seconds) for name, q in config.queues.items()}
    for queue in session.exec(select(Queue)):
        known[queue.name] = (queue.service_level_seconds, queue.short_abandon_seconds)
    default = config.queue("")
    return Params(tz=config.tz, fcr_window_days=config.kpi.fcr_window_days,
                  thresholds=tuple(sorted((n, sl, short) for n, (sl, short) in known.items())),
                  default_service_level=default.service_level_seconds,
                  default_short_abandon=default.short_abandon_seconds)


def _entry_agent():
    """An entry's unmapped agent: its interface, else (queue_log) its member name."""
    return sa.case((E.c.agent_user_id.is_(None),
                    sa.func.coalesce(sa.func.nullif(E.c.agent_interface, ""), E.c.member_name, "")), else_="")


def agent_key(user_id: int | None, unmapped: str | None) -> str:
    """How an agent is told apart: its user, else the interface (or member name) Asterisk
    gave, so unmapped members are kept."""
    return f"#{user_id}" if user_id is not None else (unmapped or "")


def compute(session: Session, params: Params, lo: dt.datetime, hi: dt.datetime, *, hourly: bool,
            now: dt.datetime) -> dict[Key, Sums]:
    acc: dict[Key, Sums] = defaultdict(Sums)
    if lo >= hi:
        return acc
    run = _Run(session, params, lo, hi, hourly, now, acc)
    run.entries()
    run.calls()
    run.missed()
    run.wrapup()
    run.status()
    return acc


def compute_fcr(session: Session, params: Params, lo: dt.datetime, hi: dt.datetime) -> dict[Key, Sums]:
    """Only the FCR counts (per local day): what a later call can change about an old day."""
    acc: dict[Key, Sums] = defaultdict(Sums)
    _Run(session, params, lo, hi, False, lo, acc).calls(fcr_only=True)
    return acc


class _Run:
    def __init__(self, session: Session, params: Params, lo, hi, hourly: bool, now, acc) -> None:
        self.session, self.p, self.lo, self.hi, self.hourly, self.now, self.acc = (
            session, params, lo, hi, hourly, now, acc)
        self.sql = Dialect(session.get_bind().dialect.name)
        self.d1, self.d2 = local_dates(lo, hi, params.tz)

    # ------------------------------------------------------------------ helpers

    def _group(self, date_col, hour_col, queue_col, user_col, unmapped) -> list:
        if self.hourly:
            return [date_col, hour_col, queue_col, user_col, unmapped]
        return [date_col, queue_col, user_col, unmapped]

    def _add_rows(self, rows, names: tuple[str, ...]) -> None:
        for row in rows:
            if self.hourly:
                date, hour, queue, user_id, unmapped, *values = row
            else:
                (date, queue, user_id, unmapped, *values), hour = row, None
            sums = self.acc[(date, hour, queue or "", agent_key(user_id, unmapped))]
            for name, value in zip(names, values):
                if name == "wait_max_ms":
                    sums.wait_max_ms = max(sums.wait_max_ms, int(value or 0))
                else:
                    setattr(sums, name, getattr(sums, name) + int(value or 0))

    def _thresholds(self):
        """(entries joined to their queue's thresholds, service level s, short abandon s)."""
        if not self.p.thresholds:
            return E, sa.literal(self.p.default_service_level), sa.literal(self.p.default_short_abandon)
        t = sa.values(sa.column("q", sa.String), sa.column("sl", sa.Integer), sa.column("short", sa.Integer),
                      name="t").data(list(self.p.thresholds)).cte("t")
        return (E.outerjoin(t, t.c.q == E.c.queue), sa.func.coalesce(t.c.sl, self.p.default_service_level),
                sa.func.coalesce(t.c.short, self.p.default_short_abandon))

    @staticmethod
    def _count(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    # ------------------------------------------------------------------ queue entries

    def entries(self) -> None:
        ms = self.sql.ms
        entries, sl, short = self._thresholds()
        wait = sa.func.coalesce(E.c.wait_seconds, 0)  # compared in seconds, summed in ms
        answered = E.c.outcome == "answered"
        abandoned = sa.and_(E.c.outcome == "abandoned", wait >= short)
        waited = sa.and_(E.c.outcome != "open", E.c.wait_seconds.is_not(None))
        handled = sa.and_(answered, E.c.talk_seconds.is_not(None))
        group = self._group(E.c.local_date, E.c.local_hour, E.c.queue, E.c.agent_user_id, _entry_agent())
        names = ("offered", "answered", "abandoned", "short_abandoned", "timed_out", "wait_n", "wait_ms",
                 "wait_max_ms", "asa_ms", "sl_within", "sl_abandoned_after", "handled", "talk_ms")
        query = sa.select(
            *group, sa.func.count(), self._count(answered), self._count(abandoned),
            self._count(sa.and_(E.c.outcome == "abandoned", wait < short)), self._count(E.c.outcome == "timed_out"),
            self._count(waited), sa.func.sum(sa.case((waited, ms(wait)), else_=0)),
            sa.func.max(sa.case((waited, ms(wait)), else_=0)), sa.func.sum(sa.case((answered, ms(wait)), else_=0)),
            self._count(sa.and_(answered, wait <= sl)), self._count(sa.and_(abandoned, wait > sl)),
            self._count(handled), sa.func.sum(sa.case((handled, ms(E.c.talk_seconds)), else_=0)),
        ).select_from(entries).where(E.c.local_date.between(self.d1, self.d2), E.c.entered_at >= self.lo,
                                     E.c.entered_at < self.hi).group_by(*group)
        self._add_rows(self.session.execute(query), names)

    # ------------------------------------------------------------------ calls: FCR, CSAT, hold

    def calls(self, *, fcr_only: bool = False) -> None:
        later = C.alias("later")
        resolved = sa.and_(C.c.resolved == sa.true(), C.c.direction == "inbound", C.c.caller_num_norm != "")
        repeated = sa.exists().where(
            later.c.caller_num_norm == C.c.caller_num_norm, later.c.direction == "inbound",
            later.c.started_at > C.c.started_at,
            later.c.started_at < self.sql.plus_hours(C.c.started_at, 24 * self.p.fcr_window_days))
        holds = sa.and_(C.c.queue.is_not(None), C.c.answered_at.is_not(None))
        unmapped = sa.case((C.c.agent_user_id.is_(None),
                            sa.func.coalesce(sa.func.nullif(C.c.agent_interface, ""), C.c.agent_name, "")), else_="")
        group = self._group(C.c.local_date, C.c.local_hour, sa.func.coalesce(C.c.queue, ""), C.c.agent_user_id,
                            unmapped)
        names = ("fcr_resolved", "fcr_repeated", "csat_n", "csat_sum", "csat_satisfied", "hold_ms")
        query = sa.select(
            *group, self._count(resolved), self._count(sa.and_(resolved, repeated)), sa.func.count(C.c.csat_score),
            sa.func.sum(sa.func.coalesce(C.c.csat_score, 0)), self._count(C.c.csat_score >= 4),
            sa.func.sum(sa.case((holds, self.sql.ms(C.c.hold_seconds)), else_=0)),
        ).where(C.c.local_date.between(self.d1, self.d2), C.c.started_at >= self.lo, C.c.started_at < self.hi,
                resolved if fcr_only else sa.or_(resolved, C.c.csat_score.is_not(None),
                                                 sa.and_(holds, C.c.hold_seconds > 0))).group_by(*group)
        self._add_rows(self.session.execute(query), names[:2] if fcr_only else names)

    # ------------------------------------------------------------------ missed rings

    def missed(self) -> None:
        query = sa.select(V.c.at, V.c.queue, V.c.user_id, V.c.interface).where(
            V.c.kind == "ring_no_answer", V.c.at >= self.lo, V.c.at < self.hi)
        for at, queue, user_id, interface in self.session.execute(query):
            date, hour = key_of(at, self.p.tz)
            self.acc[(date, hour if self.hourly else None, queue or "", agent_key(user_id, interface))].missed += 1

    # ------------------------------------------------------------------ wrap-up

    def wrapup(self) -> None:
        """Each closed wrap_up row, to the answered entry of the call the same agent was
        last on_call for (if within WRAPUP_LOOKBACK_HOURS), counted where that entry is."""
        before = S.alias("before")
        call_before = (sa.select(before.c.call_id)
                       .where(before.c.interface == S.c.interface, before.c.status == "on_call",
                              before.c.started_at < S.c.started_at,
                              before.c.started_at > self.sql.plus_hours(S.c.started_at, -WRAPUP_LOOKBACK_HOURS))
                       .order_by(before.c.started_at.desc()).limit(1).scalar_subquery())
        reach = dt.timedelta(hours=WRAPUP_LOOKBACK_HOURS + QUEUE_WAIT_SLACK_HOURS)
        last_date = local_dates(self.lo, self.hi + reach, self.p.tz)[1]
        wraps = sa.select(S.c.user_id, S.c.interface, self.sql.duration_ms(S.c.started_at, S.c.ended_at).label("ms"),
                          call_before.label("call_id")).where(
            S.c.status == "wrap_up", S.c.ended_at.is_not(None), S.c.local_date.between(self.d1, last_date),
            S.c.started_at >= self.lo, S.c.started_at < self.hi + reach).subquery()
        same_agent = sa.or_(E.c.agent_user_id == wraps.c.user_id, sa.and_(
            wraps.c.user_id.is_(None), E.c.agent_user_id.is_(None),
            sa.or_(E.c.agent_interface == wraps.c.interface, E.c.member_name == wraps.c.interface)))
        group = self._group(E.c.local_date, E.c.local_hour, E.c.queue, E.c.agent_user_id, _entry_agent())
        query = (sa.select(*group, sa.func.sum(wraps.c.ms))
                 .select_from(wraps.join(E, sa.and_(E.c.call_id == wraps.c.call_id, same_agent)))
                 .where(E.c.outcome == "answered", E.c.talk_seconds.is_not(None), E.c.entered_at >= self.lo,
                        E.c.entered_at < self.hi)
                 .group_by(*group))
        self._add_rows(self.session.execute(query), ("wrapup_ms",))

    # ------------------------------------------------------------------ status time

    def status(self) -> None:
        all_units = list(units(self.lo, self.hi, self.p.tz, hourly=self.hourly))
        for i in range(0, len(all_units), UNITS_PER_QUERY):
            chunk = all_units[i:i + UNITS_PER_QUERY]
            self._status_inside(chunk)
            self._status_crossing(chunk)
        self._status_from_before()

    def _units_cte(self, chunk):
        values = sa.values(sa.column("d", sa.Date), sa.column("h", sa.Integer), sa.column("lo", UTCDateTime),
                           sa.column("hi", UTCDateTime), name="u").data(
            [(u.date, -1 if u.hour is None else u.hour, u.lo, u.hi) for u in chunk])
        return values.cte("u")

    def _starts_in(self, u):
        """The row began in unit u (joined from u: the database walks the local_date index)."""
        same = [S.c.local_date == u.c.d, S.c.started_at >= u.c.lo, S.c.started_at < u.c.hi]
        return sa.and_(*same, S.c.local_hour == u.c.h) if self.hourly else sa.and_(*same)

    def _status_inside(self, chunk) -> None:
        """Rows that begin and end inside one unit: summed by the database."""
        u = self._units_cte(chunk)
        group = [u.c.d, u.c.h, S.c.user_id, S.c.interface, S.c.status, S.c.reason]
        query = (sa.select(*group, sa.func.sum(self.sql.duration_ms(S.c.started_at, S.c.ended_at)))
                 .select_from(u.join(S, self._starts_in(u)))
                 .where(S.c.ended_at <= u.c.hi, S.c.status != "offline").group_by(*group))
        for date, hour, user_id, interface, status, reason, ms in self.session.execute(query):
            self._add_status(date, None if hour == -1 else hour, agent_key(user_id, interface), status, reason,
                             int(ms or 0))

    def _status_crossing(self, chunk) -> None:
        """Rows that begin in these units but end after theirs (or are still going)."""
        u = self._units_cte(chunk)
        query = (sa.select(S.c.user_id, S.c.interface, S.c.status, S.c.reason, S.c.started_at, S.c.ended_at)
                 .select_from(u.join(S, self._starts_in(u)))
                 .where(sa.or_(S.c.ended_at.is_(None), S.c.ended_at > u.c.hi), S.c.status != "offline"))
        for row in self.session.execute(query):
            self._cut(*row)

    def _status_from_before(self) -> None:
        """Each interface's row that began before the range and is still going at its start."""
        interfaces = sa.select(sa.func.min(S.c.interface).label("x")).cte("i", recursive=True)
        interfaces = interfaces.union_all(
            sa.select(sa.select(sa.func.min(S.c.interface)).where(S.c.interface > interfaces.c.x).scalar_subquery())
            .where(interfaces.c.x.is_not(None)))
        inner = S.alias("inner")
        last_before = (sa.select(inner.c.id).where(inner.c.interface == interfaces.c.x, inner.c.started_at < self.lo)
                       .order_by(inner.c.started_at.desc()).limit(1).scalar_subquery())
        query = (sa.select(S.c.user_id, S.c.interface, S.c.status, S.c.reason, S.c.started_at, S.c.ended_at)
                 .select_from(interfaces.join(S, S.c.id == last_before))
                 .where(S.c.status != "offline", sa.or_(S.c.ended_at.is_(None), S.c.ended_at > self.lo)))
        for row in self.session.execute(query):
            self._cut(*row)

    def _cut(self, user_id, interface, status, reason, started, ended) -> None:
        start = max(started, self.lo)
        end = min(ended if ended is not None else self.now, self.hi)
        for unit, ms in pieces(start, end, self.p.tz, hourly=self.hourly):
            self._add_status(unit.date, unit.hour, agent_key(user_id, interface), status, reason, ms)

    def _add_status(self, date, hour, agent: str, status: str, reason: str | None, ms: int) -> None:
        sums = self.acc[(date, hour, "", agent)]
        if status in HANDLING:
            sums.handling_ms += ms
        elif status in AVAILABLE:
            sums.available_ms += ms
        elif status == "paused":
            code = reason or UNSPECIFIED_REASON
            sums.pause[code] = sums.pause.get(code, 0) + ms
