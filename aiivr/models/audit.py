"""The audit log: append-only, each entry chained to the one before by its hash."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)  # 1, 2, 3 ... with no gaps: a gap is a deleted entry
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64, index=True)  # user name, or "system" / "bootstrap"
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=255)
    outcome: str = Field(max_length=16)  # ok | denied | failed
    detail: str = Field(default="", sa_type=sa.Text)  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row: the chain's head. Appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)
