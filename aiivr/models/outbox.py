"""The command outbox, and what AIIVR holds about each agent's presence.

The outbox is the bus between people's processes and `aiivr serve`: a service writes a
command (who, what, on whom, its parameters, until when it may run) in the same
transaction as its audit entry; serve's executor sends it over AMI and writes the
outcome. A command past its time to live is marked expired and is never sent.

AgentPresence is what AIIVR wants Asterisk to have for an agent beyond its wanted queue
memberships (user_queues): whether it is logged in and why it is paused. Serve updates it
when Asterisk accepts a command, and re-applies it after Asterisk restarts.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime

PENDING, SENT, DONE, FAILED, EXPIRED = "pending", "sent", "done", "failed", "expired"
STATUSES = (PENDING, SENT, DONE, FAILED, EXPIRED)
FINISHED = frozenset({DONE, FAILED, EXPIRED})


class OutboxCommand(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        # serve polls "pending, oldest first" several times a second
        sa.Index("ix_outbox_status_id", "status", "id"),
        sa.Index("ix_outbox_actor_action", "actor", "action", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=32)  # agent.pause, monitor.listen, call.dial, ...
    actor: str = Field(max_length=64)  # the user who asked, or "system"
    target: str = Field(default="", max_length=128)  # user:alice, call:12
    payload: str = Field(default="{}", sa_type=sa.Text)  # JSON: everything serve needs to act
    status: str = Field(default=PENDING, max_length=16)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: str = Field(default="", sa_type=sa.Text)  # Asterisk's answer, or why it never went
    outcome: str = Field(default="{}", sa_type=sa.Text)  # JSON: channel, uniqueid of an Originate


class AgentPresence(SQLModel, table=True):
    __tablename__ = "agent_presence"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    logged_in: bool = False
    pause_reason: str | None = Field(default=None, max_length=32)
    paused_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The call whose after-call work this pause is (reason acw): its wrap-up time goes there.
    acw_call_id: int | None = Field(default=None, foreign_key="calls.id")
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=64)
