"""The KPI daily rollup, what invalidates it, and the indexes the call log and KPIs need.

kpi_daily holds, per site-local day, queue, agent and pause reason, the exact sums every
KPI is computed from (aiivr.kpi_sums.Sums; durations in whole milliseconds so sums never
depend on the order rows are added). It is a cache of the raw computation
(aiivr.kpi_raw), kept only for days before today: database triggers (migration 0006)
note every change to calls, queue entries, ring-no-answer events and status history in
kpi_dirty, whatever wrote it (the recorder, a queue_log import, a resolve, a hand edit),
and the next report recomputes those days. docs/kpis.md explains the rules.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime
from aiivr.models.calls import Call, CallEvent, QueueEntry


def _ms() -> int:
    return Field(default=0, sa_type=sa.BigInteger)


class _KpiSums(SQLModel):
    """The sums of aiivr.kpi_sums.ROLLUP_COLUMNS for one (period, queue, agent, pause reason);
    "" means none. agent is "#<user id>" for a user, else the unmapped member's interface
    or name."""

    local_date: dt.date = Field(primary_key=True)
    queue: str = Field(default="", primary_key=True, max_length=64)
    agent: str = Field(default="", primary_key=True, max_length=160)
    reason: str = Field(default="", primary_key=True, max_length=32)
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    wait_n: int = 0
    wait_ms: int = _ms()
    wait_max_ms: int = _ms()
    asa_ms: int = _ms()
    sl_within: int = 0
    sl_abandoned_after: int = 0
    handled: int = 0
    talk_ms: int = _ms()
    hold_ms: int = _ms()
    wrapup_ms: int = _ms()
    missed: int = 0
    fcr_resolved: int = 0
    fcr_repeated: int = 0
    csat_n: int = 0
    csat_sum: int = 0
    csat_satisfied: int = 0
    handling_ms: int = _ms()
    available_ms: int = _ms()
    paused_ms: int = _ms()


class KpiDaily(_KpiSums, table=True):
    __tablename__ = "kpi_daily"
    # Clustered by day on SQLite: a range of days is one sequential read.
    __table_args__ = {"sqlite_with_rowid": False}


class KpiMonthly(_KpiSums, table=True):
    """A whole month's sums (local_date = its first day), folded from kpi_daily once every
    day of it is built and its FCR final: a year's report reads a few thousand rows."""

    __tablename__ = "kpi_monthly"
    __table_args__ = {"sqlite_with_rowid": False}


class KpiDay(SQLModel, table=True):
    """A day whose rows in kpi_daily are complete. fcr_final: built once every call of the
    day had its FCR window closed, so its repeat-call counts can no longer grow."""

    __tablename__ = "kpi_days"

    local_date: dt.date = Field(primary_key=True)
    fcr_final: bool = False
    built_at: dt.datetime = Field(sa_type=UTCDateTime)


class KpiMonth(SQLModel, table=True):
    __tablename__ = "kpi_months"

    month: dt.date = Field(primary_key=True)
    built_at: dt.datetime = Field(sa_type=UTCDateTime)


class KpiState(SQLModel, table=True):
    """What the rollup was computed with (time zone, thresholds, FCR window): when that
    changes, every day is recomputed. `taken` counts the times a refresh invalidated past
    days (changes noted in kpi_dirty, a new fingerprint): a report that computed days
    meanwhile does not mark them built, so a change it could not see is never lost."""

    __tablename__ = "kpi_state"

    id: int = Field(default=1, primary_key=True)
    fingerprint: str = Field(default="", sa_type=sa.Text)
    taken: int = Field(default=0, sa_type=sa.BigInteger)


class KpiDirty(SQLModel, table=True):
    """Written by triggers only: UTC hours (epoch // 3600) whose data changed.
    kind: c = calls, e = queue entries and ring-no-answer events, s = status history."""

    __tablename__ = "kpi_dirty"

    kind: str = Field(primary_key=True, max_length=1)
    lo_hour: int = Field(primary_key=True, sa_type=sa.BigInteger)
    hi_hour: int = Field(primary_key=True, sa_type=sa.BigInteger)


# Indexes on the recorder's tables that the call log and the KPI queries need; declared
# here (they bind to those tables) so the metadata knows every index migration 0006 makes.
EXTRA_INDEXES = (
    sa.Index("ix_queue_entries_call", QueueEntry.__table__.c.call_id, QueueEntry.__table__.c.queue),
    sa.Index("ix_call_events_kind_at", CallEvent.__table__.c.kind, CallEvent.__table__.c.at),
    sa.Index("ix_calls_disposition_started", Call.__table__.c.disposition, Call.__table__.c.started_at),
    sa.Index("ix_calls_queue_started", Call.__table__.c.queue, Call.__table__.c.started_at),
)
