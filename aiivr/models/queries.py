"""Customer queries, the calls they came from or were discussed on, and their history.

A query is never deleted: its history is the record of who changed what, when and why.
Statuses, priorities and the moves between them live in aiivr.queries_rules.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime


class Query(SQLModel, table=True):
    __tablename__ = "queries"
    __table_args__ = (
        sa.Index("ix_queries_assignee_status", "assignee_user_id", "status"),
        sa.Index("ix_queries_status_due", "status", "due_at"),
        # The recorder looks up a caller's resolved queries on every inbound call.
        sa.Index("ix_queries_customer_status", "customer_num_norm", "status"),
        sa.Index("ix_queries_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_num: str = Field(max_length=64)
    customer_num_norm: str = Field(default="", max_length=64)  # digits only, like calls.caller_num_norm
    customer_name: str = Field(default="", max_length=128)
    subject: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    priority: str = Field(max_length=16)
    status: str = Field(max_length=16)
    due_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    assignee_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_by: str = Field(max_length=64)
    # No default clock: the service passes its `now`, so tests can freeze time.
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class QueryCall(SQLModel, table=True):
    """A call a query came from or was discussed on."""

    __tablename__ = "query_calls"
    __table_args__ = (sa.Index("ix_query_calls_call", "call_id"),)

    query_id: int = Field(foreign_key="queries.id", primary_key=True)
    call_id: int = Field(foreign_key="calls.id", primary_key=True)
    linked_at: dt.datetime = Field(sa_type=UTCDateTime)
    linked_by: str = Field(max_length=64)


class QueryHistory(SQLModel, table=True):
    """One change: who, when, what (created, status, priority, due, assignee, note, call),
    from what to what, and why. Rows are read in id order, the order they were made."""

    __tablename__ = "query_history"
    __table_args__ = (sa.Index("ix_query_history_query", "query_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    query_id: int = Field(foreign_key="queries.id")
    at: dt.datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)  # user name, or "system" (the recorder)
    what: str = Field(max_length=16)
    old: str | None = Field(default=None, sa_type=sa.Text)
    new: str | None = Field(default=None, sa_type=sa.Text)
    why: str = Field(default="", sa_type=sa.Text)
