"""Calls, their timelines and queue entries, as the recorder writes them.

A call is one Asterisk Linkedid; a queue entry is one (system, caller Uniqueid, queue).
docs/call-model.md gives the rules. Rows carry the site-local date and hour of their
start, written at insert time, so grouping by day or hour is right on DST days and fast.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime

OPEN = "open"
# Call dispositions: how a call ended.
ANSWERED, ABANDONED, TIMED_OUT, UNANSWERED, PBX_RESTART = "answered", "abandoned", "timed_out", "unanswered", "pbx_restart"
# Queue entry outcomes (besides OPEN/waiting, ANSWERED, ABANDONED, TIMED_OUT): "exit_<status>".


class Call(SQLModel, table=True):
    __tablename__ = "calls"
    __table_args__ = (
        sa.UniqueConstraint("system", "linkedid", name="uq_calls_system_linkedid"),
        sa.Index("ix_calls_started", "started_at"),
        sa.Index("ix_calls_agent_started", "agent_user_id", "started_at"),
        sa.Index("ix_calls_direction_started", "direction", "started_at"),
        sa.Index("ix_calls_caller_started", "caller_num_norm", "started_at"),
        sa.Index("ix_calls_open", "ended_at"),
        sa.Index("ix_calls_local_date", "local_date"),
        # Made by migrations only: ix_calls_caller_name (lower(caller_name), started_at), byte-wise
        # on PostgreSQL (0008); ix_calls_outbound_caller (below, 0007).
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(default="", max_length=64)
    linkedid: str = Field(max_length=64)
    direction: str = Field(default="internal", max_length=16)  # inbound | outbound | internal
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    answered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    local_date: dt.date
    local_hour: int
    caller_num: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=128)
    # Digits only, for repeat-caller matching (FCR) and prefix search; "" when withheld.
    caller_num_norm: str = Field(default="", max_length=64)
    queue: str | None = Field(default=None, max_length=64)  # the first queue it entered
    agent_user_id: int | None = Field(default=None, foreign_key="users.id")
    agent_interface: str | None = Field(default=None, max_length=128)
    agent_name: str | None = Field(default=None, max_length=128)
    disposition: str = Field(default=OPEN, max_length=16)
    end_cause: str = Field(default="", max_length=64)
    wait_seconds: float = 0
    talk_seconds: float = 0
    hold_seconds: float = 0
    wrapup_seconds: float = 0
    origin: str | None = Field(default=None, max_length=32)  # AIIVR's own origin tag
    recording_path: str | None = Field(default=None, max_length=512)
    csat_score: int | None = None
    resolved: bool = False
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=64)
    linked_call_id: int | None = Field(default=None, foreign_key="calls.id")


class CallEvent(SQLModel, table=True):
    """One line of a call's timeline (ringing, ring-no-answer, connect, hold, transfer,
    monitoring, CSAT...). dedupe_key makes a replayed event a no-op."""

    __tablename__ = "call_events"
    __table_args__ = (
        sa.Index("ix_call_events_call", "call_id", "at"),
        sa.Index("ix_call_events_kind_user", "kind", "user_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    at: dt.datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=32)
    queue: str | None = Field(default=None, max_length=64)
    interface: str | None = Field(default=None, max_length=128)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    detail: str = Field(default="", sa_type=sa.Text)
    dedupe_key: str = Field(max_length=255, unique=True)


class QueueEntry(SQLModel, table=True):
    __tablename__ = "queue_entries"
    __table_args__ = (
        sa.UniqueConstraint("system", "uniqueid", "queue", name="uq_queue_entries_identity"),
        sa.Index("ix_queue_entries_queue_entered", "queue", "entered_at"),
        sa.Index("ix_queue_entries_agent_entered", "agent_user_id", "entered_at"),
        sa.Index("ix_queue_entries_local_date", "local_date", "queue"),
        sa.Index("ix_queue_entries_open", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(default="", max_length=64)
    uniqueid: str = Field(max_length=64)
    queue: str = Field(max_length=64)
    call_id: int | None = Field(default=None, foreign_key="calls.id", ondelete="CASCADE")
    linkedid: str = Field(default="", max_length=64)
    caller_num: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=128)
    entered_at: dt.datetime = Field(sa_type=UTCDateTime)
    connected_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    local_date: dt.date
    local_hour: int
    outcome: str = Field(default=OPEN, max_length=24)
    position: int | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    agent_user_id: int | None = Field(default=None, foreign_key="users.id")
    agent_interface: str | None = Field(default=None, max_length=128)
    member_name: str | None = Field(default=None, max_length=128)
    completed_by: str | None = Field(default=None, max_length=16)  # agent | caller | transfer
    source: str = Field(default="ami", max_length=16)  # ami | queue_log (backfilled or imported)


class AgentCall(SQLModel, table=True):
    """The calls a user took (answered it, or answered one of its queue legs, also when
    transferring the caller on) or missed (a ring_no_answer event for it), keyed in call
    log order so an agent's page is one walk of adjacent rows. Written by triggers only
    (migration 0007), from calls, queue_entries and call_events, whoever writes those: a
    cache of them, never edited. The outbound calls a user made are not here: they depend
    on its extension when the list is read (ix_calls_outbound_caller serves them)."""

    __tablename__ = "agent_calls"
    __table_args__ = (sa.Index("ix_agent_calls_call", "call_id"), {"sqlite_with_rowid": False})

    user_id: int = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    started_at: dt.datetime = Field(primary_key=True, sa_type=UTCDateTime)  # the call's
    call_id: int = Field(primary_key=True, foreign_key="calls.id", ondelete="CASCADE")
    took: bool = False
    missed: bool = False


# Outbound calls by the number they were made from, newest first: the calls an agent made
# from its extension, read without touching the calls rows.
OUTBOUND_BY_CALLER = sa.Index("ix_calls_outbound_caller", Call.__table__.c.caller_num_norm, Call.__table__.c.started_at,
                              Call.__table__.c.id, Call.__table__.c.direction, sqlite_where=sa.text("direction = 'outbound'"),
                              postgresql_where=sa.text("direction = 'outbound'"))
