"""The KPI rollup: kept exact, read fast.

kpi_daily holds, for each local day before today, exactly what aiivr.kpi_raw computes
for that day (days are the only unit both paths cut the same way); kpi_monthly folds a
month's days once all of them are final. Before a report reads them, refresh():
1. recomputes everything if the time zone, the thresholds or the FCR window changed;
2. takes the changes the database triggers noted in kpi_dirty and forgets the days they
   touch: the days of the changed rows, for status history also the hours before (a
   wrap-up counts toward the call it follows); for calls it marks the FCR of the previous
   fcr_window_days days not final (a new call may be a repeat of theirs);
3. builds the missing days, a week per transaction; recounts the FCR of settled days that
   are not final; folds complete months again.
Triggers see every writer (the recorder, an import, a resolve, a manual fix), so a late
event can never leave a stale day behind. Today is never rolled up: it is still moving.

Days are computed in a read transaction and written in a write transaction after it. If
another report took notes about past days in between (kpi_state.taken moved on), what
was computed may predate a change whose note is gone: the rows are written for this
report but the days are not marked built, so the next report builds them again. The
write transactions lock kpi_state's row, so taking notes and marking days built never
interleave (PostgreSQL; SQLite's writes are one at a time anyway).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

import sqlalchemy as sa

from aiivr.db import Database, upsert_insert, utcnow
from aiivr.kpi_raw import QUEUE_WAIT_SLACK_HOURS, WRAPUP_LOOKBACK_HOURS, Params, compute, compute_fcr
from aiivr.kpi_sums import ROLLUP_COLUMNS, Sums
from aiivr.kpi_time import day_span
from aiivr.models.reports import KpiDaily, KpiDay, KpiDirty, KpiMonth, KpiMonthly, KpiState

DAILY, DAYS, DIRTY, STATE = KpiDaily.__table__, KpiDay.__table__, KpiDirty.__table__, KpiState.__table__
MONTHLY, MONTHS = KpiMonthly.__table__, KpiMonth.__table__
DAYS_PER_TRANSACTION = 7
UTC = dt.timezone.utc
ONE_DAY = dt.timedelta(days=1)


def is_settled(day: dt.date, today: dt.date, window_days: int) -> bool:
    """Every call of `day` has had its whole FCR window (it ends by day + window at the latest)."""
    return day + dt.timedelta(days=window_days) < today


def refresh(db: Database, params: Params, first: dt.date, last: dt.date, *, now: dt.datetime) -> None:
    """Make kpi_daily (and the months it folds into) exact for first..last, all before today."""
    today = now.astimezone(params.tz).date()
    with db.read() as session:
        # Most reports find nothing to do: then they never wait for serve's write lock.
        state = session.get(KpiState, 1)
        stale = state is None or state.fingerprint != params.fingerprint()
        noted = session.execute(sa.select(DIRTY.c.kind).limit(1)).first() is not None
    if stale or noted:
        with db.write() as session:
            state = _check_fingerprint(session, params)
            _take_dirty(session, params, state, today)
    with db.read() as session:
        built = dict(session.execute(sa.select(DAYS.c.local_date, DAYS.c.fcr_final)
                                     .where(DAYS.c.local_date.between(first, last))).all())
    wanted = _days(first, last)
    missing = [d for d in wanted if d not in built]
    # Built while their FCR windows were open, or a later call may repeat one of theirs.
    fcr_due = [d for d in wanted if d in built and not built[d] and is_settled(d, today, params.fcr_window_days)]
    for run in _runs(missing):
        for i in range(0, len(run), DAYS_PER_TRANSACTION):
            _build(db, params, run[i:i + DAYS_PER_TRANSACTION], now=now, today=today)
    for run in _runs(fcr_due):
        _refresh_fcr(db, params, run)
    _build_months(db, first, last)


def read(db: Database, params: Params, by: str | None, first: dt.date, last: dt.date, *,
         settled_through: dt.date, now: dt.datetime, agent: str | None = None) -> dict:
    """Sums per group (agent key, queue, date, or None) over first..last; FCR only for
    days up to settled_through, the rest counted as pending. Whole months come from
    kpi_monthly where built (not when grouping by day).

    Only days marked built are read from the rollup, in the same snapshot as the marks:
    another report may take a note and forget a day between our refresh() and this read,
    and a report whose notes moved on writes rows it does not mark. Such a day is
    computed raw here, so a report is never short of a day."""
    with db.read() as session:
        months = [] if by == "day" else _built_months(session, first, last)
        out: dict = {}
        covered = set()
        for month in months:
            covered.update(_days(month, _month_end(month)))
        if months:
            _read(session, MONTHLY, by, [(months[0], months[-1])], settled_through, agent, out)
        built = set(session.execute(sa.select(DAYS.c.local_date).where(DAYS.c.local_date.between(first, last)))
                    .scalars())
        days = [d for d in _days(first, last) if d not in covered]
        _read(session, DAILY, by, [(run[0], run[-1]) for run in _runs([d for d in days if d in built])],
              settled_through, agent, out)
        for run in _runs([d for d in days if d not in built]):
            lo, hi = day_span(run[0], run[-1], params.tz)
            for (date, _, queue, who), sums in compute(session, params, lo, hi, hourly=False, now=now).items():
                if agent is None or who == agent:
                    key = {"agent": who, "queue": queue, "day": date}.get(by)
                    out.setdefault(key, Sums()).add(sums.settled(date <= settled_through))
    return out


def _read(session, table: sa.Table, by, spans, settled_through, agent, out: dict) -> None:
    group = {"agent": table.c.agent, "queue": table.c.queue, "day": table.c.local_date}.get(by)
    settled = table.c.local_date <= settled_through  # months are read only once settled
    names = [c for c in ROLLUP_COLUMNS if c not in ("fcr_resolved", "fcr_repeated")]
    columns = [sa.func.max(table.c[c]) if c == "wait_max_ms" else sa.func.sum(table.c[c]) for c in names]
    columns += [sa.func.sum(sa.case((settled, table.c.fcr_resolved), else_=0)),
                sa.func.sum(sa.case((settled, table.c.fcr_repeated), else_=0)),
                sa.func.sum(sa.case((settled, 0), else_=table.c.fcr_resolved))]
    names += ["fcr_resolved", "fcr_repeated", "fcr_pending"]
    keys = ([group] if group is not None else []) + [table.c.reason]
    for lo, hi in spans:
        query = sa.select(*keys, *columns).where(table.c.local_date.between(lo, hi)).group_by(*keys)
        if agent is not None:
            query = query.where(table.c.agent == agent)
        for row in session.execute(query):
            key = row[0] if group is not None else None
            out.setdefault(key, Sums()).add(_sums(dict(zip(names, row[len(keys):])), row[len(keys) - 1]))


# ---------------------------------------------------------------------- refreshing

def _lock_state(session) -> KpiState | None:
    """kpi_state's row, locked until the transaction ends."""
    return session.execute(sa.select(KpiState).where(KpiState.id == 1).with_for_update()).scalars().first()


def _taken(session) -> int:
    return session.execute(sa.select(STATE.c.taken).where(STATE.c.id == 1)).scalar() or 0


def _check_fingerprint(session, params: Params) -> KpiState:
    state = _lock_state(session)
    if state is None:
        # The first report ever. Two at once both find no row; on PostgreSQL the second
        # insert waits for the first one's commit and then does nothing (no duplicate key).
        session.execute(upsert_insert(session, STATE).values(id=1, fingerprint="", taken=0)
                        .on_conflict_do_nothing(index_elements=["id"]))
        state = _lock_state(session)
    fingerprint = params.fingerprint()
    if state is not None and state.fingerprint == fingerprint:
        return state
    for table in (DAILY, DAYS, MONTHLY, MONTHS):
        session.execute(table.delete())
    state.fingerprint = fingerprint
    state.taken += 1
    session.add(state)
    return state


def _take_dirty(session, params: Params, state: KpiState, today: dt.date) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Wait for writers whose triggers have noted changes they have not committed yet,
        # and hold new ones off until the notes are taken: nothing is taken half-seen.
        session.execute(sa.text("LOCK TABLE kpi_dirty IN SHARE ROW EXCLUSIVE MODE"))
    rows = session.execute(sa.select(DIRTY.c.kind, DIRTY.c.lo_hour, DIRTY.c.hi_hour)).all()
    if not rows:
        return
    session.execute(DIRTY.delete())
    stale: set[dt.date] = set()
    fcr_stale: set[dt.date] = set()
    reach = dt.timedelta(hours=WRAPUP_LOOKBACK_HOURS + QUEUE_WAIT_SLACK_HOURS)
    for kind, lo_hour, hi_hour in rows:
        lo = dt.datetime.fromtimestamp(lo_hour * 3600, UTC) - (reach if kind == "s" else dt.timedelta(0))
        hi = dt.datetime.fromtimestamp((hi_hour + 1) * 3600, UTC) - dt.timedelta(microseconds=1)
        first, last = lo.astimezone(params.tz).date(), hi.astimezone(params.tz).date()
        stale.update(_days(first, last))
        if kind == "c":
            fcr_stale.update(_days(first - dt.timedelta(days=params.fcr_window_days), first - ONE_DAY))
    for run in _runs(sorted(stale)):
        where = DAYS.c.local_date.between(run[0], run[-1])
        session.execute(DAYS.delete().where(where))
        session.execute(DAILY.delete().where(DAILY.c.local_date.between(run[0], run[-1])))
    reopened: set[dt.date] = set()
    for run in _runs(sorted(fcr_stale - stale)):
        where = sa.and_(DAYS.c.local_date.between(run[0], run[-1]), DAYS.c.fcr_final.is_(True))
        reopened.update(session.execute(sa.select(DAYS.c.local_date).where(where)).scalars())
        session.execute(DAYS.update().where(where).values(fcr_final=False))
    _forget_months(session, stale | reopened)
    # Today's notes (the recorder's everyday writes) touch no day a report may be building.
    if reopened or any(day < today for day in stale):
        state.taken += 1
        session.add(state)


def _build(db: Database, params: Params, days: list[dt.date], *, now: dt.datetime, today: dt.date) -> None:
    lo, hi = day_span(days[0], days[-1], params.tz)
    # Computed outside the write transaction; a change made meanwhile leaves a note in
    # kpi_dirty, so the next refresh rebuilds the day (or, if another report took that
    # note already, `taken` has moved and the days are not marked built).
    with db.read() as session:
        taken = _taken(session)
        partials = compute(session, params, lo, hi, hourly=False, now=now)
    rows = []
    for (date, _, queue, agent), sums in partials.items():
        rows.extend(_rows(date, queue, agent, sums))
    with db.write() as session:
        state = _lock_state(session)
        session.execute(DAILY.delete().where(DAILY.c.local_date.between(days[0], days[-1])))
        session.execute(DAYS.delete().where(DAYS.c.local_date.between(days[0], days[-1])))
        _forget_months(session, set(days))  # a month is folded again once all its days are back
        if rows:
            session.execute(DAILY.insert(), rows)
        if state is not None and state.taken == taken:
            session.execute(DAYS.insert(), [
                {"local_date": d, "fcr_final": is_settled(d, today, params.fcr_window_days), "built_at": utcnow()}
                for d in days])


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY


def _whole_months(first: dt.date, last: dt.date) -> list[dt.date]:
    month = first if first.day == 1 else _month_end(first) + ONE_DAY
    out = []
    while _month_end(month) <= last:
        out.append(month)
        month = _month_end(month) + ONE_DAY
    return out


def _built_months(session, first: dt.date, last: dt.date) -> list[dt.date]:
    """The run of built months in first..last (one run: months are read as one range)."""
    wanted = _whole_months(first, last)
    if not wanted:
        return []
    built = set(session.execute(sa.select(MONTHS.c.month).where(MONTHS.c.month.between(wanted[0], wanted[-1]))).scalars())
    run: list[dt.date] = []
    for month in wanted:
        if month in built:
            run.append(month)
        elif run:
            break
    return run


def _build_months(db: Database, first: dt.date, last: dt.date) -> None:
    """Fold each whole month of first..last whose every day is built with its FCR final."""
    wanted = _whole_months(first, last)
    if not wanted:
        return
    with db.read() as session:
        built = set(session.execute(sa.select(MONTHS.c.month).where(MONTHS.c.month.between(wanted[0], wanted[-1]))).scalars())
        final = set(session.execute(sa.select(DAYS.c.local_date).where(
            DAYS.c.local_date.between(wanted[0], _month_end(wanted[-1])), DAYS.c.fcr_final.is_(True))).scalars())
    for month in wanted:
        days = _days(month, _month_end(month))
        if month in built or not final.issuperset(days):
            continue
        keys = [DAILY.c.queue, DAILY.c.agent, DAILY.c.reason]
        folded = sa.select(sa.literal(month, sa.Date).label("local_date"), *keys, *[
            sa.func.max(DAILY.c[c]) if c == "wait_max_ms" else sa.func.sum(DAILY.c[c]) for c in ROLLUP_COLUMNS]
        ).where(DAILY.c.local_date.between(days[0], days[-1])).group_by(*keys)
        with db.write() as session:
            _lock_state(session)
            # Written only if its days are still all there (a change noted meanwhile removed
            # one) and no other report folded it meanwhile.
            present = session.execute(sa.select(sa.func.count()).select_from(DAYS).where(
                DAYS.c.local_date.between(days[0], days[-1]), DAYS.c.fcr_final.is_(True))).scalar()
            folded_already = session.execute(sa.select(MONTHS.c.month).where(MONTHS.c.month == month)).first()
            if present == len(days) and folded_already is None:
                session.execute(MONTHLY.insert().from_select(["local_date", "queue", "agent", "reason",
                                                              *ROLLUP_COLUMNS], folded))
                session.execute(MONTHS.insert().values(month=month, built_at=utcnow()))


def _forget_months(session, days: set[dt.date]) -> None:
    for month in sorted({d.replace(day=1) for d in days}):
        session.execute(MONTHLY.delete().where(MONTHLY.c.local_date == month))
        session.execute(MONTHS.delete().where(MONTHS.c.month == month))


def _refresh_fcr(db: Database, params: Params, days: list[dt.date]) -> None:
    """Recount the FCR of settled days: only whether their resolved calls were repeated can
    have changed (a change to a day's own calls rebuilds that day whole)."""
    lo, hi = day_span(days[0], days[-1], params.tz)
    with db.read() as session:
        taken = _taken(session)
        counts = compute_fcr(session, params, lo, hi)
    span = DAILY.c.local_date.between(days[0], days[-1])
    with db.write() as session:
        state = _lock_state(session)
        if state is None or state.taken != taken:
            return  # notes taken meanwhile: the days stay not final, the next report counts again
        session.execute(DAILY.update().where(span).values(fcr_resolved=0, fcr_repeated=0))
        for (date, _, queue, agent), sums in counts.items():
            key = sa.and_(DAILY.c.local_date == date, DAILY.c.queue == queue, DAILY.c.agent == agent,
                          DAILY.c.reason == "")
            values = {"fcr_resolved": sums.fcr_resolved, "fcr_repeated": sums.fcr_repeated}
            if session.execute(DAILY.update().where(key).values(**values)).rowcount == 0:
                session.execute(DAILY.insert().values(local_date=date, queue=queue, agent=agent, reason="",
                                                      **{**dict.fromkeys(ROLLUP_COLUMNS, 0), **values}))
        session.execute(DAYS.update().where(DAYS.c.local_date.between(days[0], days[-1])).values(fcr_final=True))
        _forget_months(session, set(days))


def _rows(date: dt.date, queue: str, agent: str, sums: Sums) -> list[dict]:
    """One row with the figures, one per pause reason with its time."""
    out = []
    values = {c: getattr(sums, c) for c in ROLLUP_COLUMNS if c != "paused_ms"}
    if any(values.values()):
        out.append({"local_date": date, "queue": queue, "agent": agent, "reason": "", **values, "paused_ms": 0})
    zero = dict.fromkeys(ROLLUP_COLUMNS, 0)
    for reason, ms in sums.pause.items():
        out.append({"local_date": date, "queue": queue, "agent": agent, "reason": reason, **zero, "paused_ms": ms})
    return out


def _sums(values: dict, reason: str) -> Sums:
    sums = Sums(**{k: int(v or 0) for k, v in values.items() if k != "paused_ms"})
    if reason:
        sums.pause[reason] = int(values["paused_ms"] or 0)
    return sums


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: list[dt.date]) -> list[list[dt.date]]:
    """Consecutive days grouped: [d, d+1, d+2], [d+5] ..."""
    return [[d for _, d in g] for _, g in groupby(enumerate(sorted(days)), key=lambda p: p[1] - dt.timedelta(days=p[0]))]
