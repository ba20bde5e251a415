"""`report kpi`: every KPI over a range, grouped by agent, queue, day or hour (site time zone).

Supervisors see every figure. An agent gets its own figures and its team's averages
(report.kpi_own): the rows hold only its own slices, and the total is the average over
the agents active in the range (aiivr.kpi_sums.team_average), never a colleague's own.

Whole past days come from the daily rollup (aiivr.kpi_rollup), the rest (partial days at
the range's edges, today, or hours) straight from the rows (aiivr.kpi_raw); both give
the same sums. docs/kpis.md defines every figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import select

from aiivr import audit
from aiivr.db import utcnow
from aiivr.errors import BadInput
from aiivr.kpi_raw import Params, agent_key, compute, params_for
from aiivr.kpi_rollup import is_settled, read, refresh
from aiivr.kpi_sums import SERVICE_LEVEL_VARIANT, Sums, metrics, team_average, total
from aiivr.kpi_time import day_span, whole_days
from aiivr.models.users import User
from aiivr.permissions import allowed
from aiivr.principal import Ctx
from aiivr.timerange import iso, local_midnight

GROUPINGS = ("agent", "queue", "day", "hour")


@dataclass(frozen=True)
class KpiReport:
    range: dict            # {"from", "to", "timezone"}
    by: str | None
    rows: list[dict]       # {"group": ..., **metrics}
    total: dict
    service_level_variant: str
    total_is: str          # "all" or "team_average" (an agent's report)
    team_agents: int | None


def kpi_report(ctx: Ctx, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
               by: str | None = None, now: dt.datetime | None = None, use_rollup: bool = True) -> KpiReport:
    """The KPIs over [start, end): by default from today's local midnight until now."""
    sees_all = allowed(ctx.actor.role, "report.kpi_all")
    audit.authorize(ctx, "report.kpi_all" if sees_all else "report.kpi_own")
    if by is not None and by not in GROUPINGS:
        raise BadInput(f"unknown grouping {by!r}: use agent, queue, day or hour")
    now = now or utcnow()
    tz = ctx.config.tz
    lo = start or local_midnight(now.astimezone(tz).date(), tz)
    hi = end or now
    if lo >= hi:
        raise BadInput("empty range: --from must be before --to")
    with ctx.db.read() as session:
        params = params_for(session, ctx.config)
        names = {f"#{u.id}": u.name for u in session.exec(select(User))}
    source = _Source(ctx, params, lo, hi, by, now, use_rollup)
    header = {"from": iso(lo, tz), "to": iso(hi, tz), "timezone": tz.key}
    if sees_all:
        groups = source.collect(by)
        rows = _rows(groups, by, names)
        return KpiReport(header, by, rows, metrics(total(groups.values())), SERVICE_LEVEL_VARIANT, "all", None)
    me = agent_key(ctx.actor.user_id, None)
    team = {k: s for k, s in source.collect("agent").items() if k}
    mine = team if by == "agent" else source.collect(by, agent=me)
    rows = _rows({k: s for k, s in mine.items() if by != "agent" or k == me}, by, names, agent_view=True)
    return KpiReport(header, by, rows, team_average(list(team.values())), SERVICE_LEVEL_VARIANT, "team_average",
                     len(team))


class _Source:
    """Sums per group over [lo, hi): rollup days plus raw edges, or all raw."""

    def __init__(self, ctx: Ctx, params: Params, lo, hi, by, now, use_rollup: bool) -> None:
        self.ctx, self.params, self.lo, self.hi, self.now = ctx, params, lo, hi, now
        self.today = now.astimezone(params.tz).date()
        self.hourly = by == "hour"
        self.days = None if (self.hourly or not use_rollup) else self._rollup_days()
        self._raw: dict | None = None

    def _rollup_days(self) -> tuple[dt.date, dt.date] | None:
        span = whole_days(self.lo, self.hi, self.params.tz)
        if span is None:
            return None
        first, last = span[0], min(span[1], self.today - dt.timedelta(days=1))
        return (first, last) if first <= last else None

    def _raw_parts(self) -> dict:
        if self._raw is None:
            ranges = [(self.lo, self.hi)]
            if self.days is not None:
                mid_lo, mid_hi = day_span(*self.days, self.params.tz)
                ranges = [(self.lo, mid_lo), (mid_hi, self.hi)]
            self._raw = {}
            with self.ctx.db.read() as session:
                for lo, hi in ranges:
                    for key, sums in compute(session, self.params, lo, hi, hourly=self.hourly, now=self.now).items():
                        self._raw.setdefault(key, Sums()).add(sums)
        return self._raw

    def collect(self, by: str | None, *, agent: str | None = None) -> dict:
        groups: dict = {}
        if self.days is not None:
            first, last = self.days
            refresh(self.ctx.db, self.params, first, last, now=self.now)
            settled_through = self.today - dt.timedelta(days=self.params.fcr_window_days + 1)
            for key, sums in read(self.ctx.db, self.params, by, first, last, settled_through=settled_through,
                                  now=self.now, agent=agent).items():
                groups.setdefault(key, Sums()).add(sums)
        for (date, hour, queue, who), sums in self._raw_parts().items():
            if agent is not None and who != agent:
                continue
            key = {"agent": who, "queue": queue, "day": date, "hour": (date, hour)}.get(by)
            settled = is_settled(date, self.today, self.params.fcr_window_days)
            groups.setdefault(key, Sums()).add(sums.settled(settled))
        return groups


def _rows(groups: dict, by: str | None, names: dict, *, agent_view: bool = False) -> list[dict]:
    if by is None:
        return [{"group": None, **metrics(total(groups.values()), agent_row=agent_view)}]
    out = []
    for key in sorted(k for k in groups if k not in ("", None)):
        label = _label(key, by, names)
        out.append({"group": label, **metrics(groups[key], agent_row=by == "agent" or agent_view)})
    if by == "agent":
        out.sort(key=lambda row: row["group"])
    return out


def _label(key, by: str, names: dict) -> str:
    if by == "agent":
        return names.get(key, key)
    if by == "day":
        return key.isoformat()
    if by == "hour":
        date, hour = key
        return f"{date.isoformat()}T{hour:02d}:00"
    return key
