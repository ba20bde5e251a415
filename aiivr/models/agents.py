"""Agent status history and queue membership as Asterisk reports it.

The current status of an agent is the open row (ended_at IS NULL) of agent_status for
its interface. Members Asterisk reports that match no user keep their interface and
member name with user_id NULL (`aiivr agent list --unmapped`), never dropped.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime

STATUSES = ("online", "ringing", "on_call", "wrap_up", "paused", "offline")


class AgentStatus(SQLModel, table=True):
    __tablename__ = "agent_status"
    __table_args__ = (
        sa.Index("ix_agent_status_interface_open", "interface", "ended_at"),
        sa.Index("ix_agent_status_user_started", "user_id", "started_at"),
        sa.Index("ix_agent_status_local_date", "local_date"),
        # One interface cannot start two statuses at one instant (the recorder relies on it).
        sa.UniqueConstraint("interface", "started_at", name="uq_agent_status_interface_started"),
    )

    id: int | None = Field(default=None, primary_key=True)
    interface: str = Field(max_length=128)
    member_name: str = Field(default="", max_length=128)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=32)  # the pause reason code
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    local_date: dt.date
    local_hour: int
    set_by: str = Field(default="pbx", max_length=64)  # "pbx", "system", or the user who asked
    call_id: int | None = Field(default=None, foreign_key="calls.id")


class QueueMember(SQLModel, table=True):
    """A member of a queue right now, as Asterisk last reported it."""

    __tablename__ = "queue_members"
    __table_args__ = (sa.UniqueConstraint("queue", "interface", name="uq_queue_members_queue_interface"),)

    id: int | None = Field(default=None, primary_key=True)
    queue: str = Field(max_length=64)
    interface: str = Field(max_length=128)
    member_name: str = Field(default="", max_length=128)
    state_interface: str = Field(default="", max_length=128)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    membership: str = Field(default="dynamic", max_length=16)
    penalty: int = 0
    paused: bool = False
    paused_reason: str = Field(default="", max_length=32)
    in_call: bool = False
    device_state: int | None = None
    calls_taken: int = 0
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
