"""Stored recordings, recordings deliberately not stored, and alerts.

A `Recording` row exists only once its file sits, fsynced and read-only, in the vault
(docs/recordings.md): the row is the proof of storage, so nothing in AIIVR updates or
deletes one. `RecordingSkip` says why a call's file was *not* stored (header only,
missing), so the intake decides each file once. `Alert` is the generic alert row other
features reuse (kind, severity, message; acknowledged by a person).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime, utcnow

# Why a call's recording was not stored.
HEADER_ONLY, MISSING = "header_only", "missing"
# Alert severities, lowest first.
INFO, WARNING, CRITICAL = "info", "warning", "critical"


class Recording(SQLModel, table=True):
    __tablename__ = "recordings"
    __table_args__ = (
        # One row per file of a call: the database itself refuses a second copy.
        sa.UniqueConstraint("call_id", "source_path", name="uq_recordings_call_source"),
        sa.Index("ix_recordings_source", "source_path"),
        sa.Index("ix_recordings_sha256", "sha256"),
        sa.Index("ix_recordings_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No ON DELETE CASCADE: a recording outlives any attempt to delete its call.
    call_id: int = Field(foreign_key="calls.id")
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    duration_seconds: float | None = None  # None when the format cannot be decoded
    format: str = Field(max_length=16)  # the file's extension: "wav"
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    vault_path: str = Field(max_length=512)  # relative to [recordings] dir, derived from sha256
    source_path: str = Field(max_length=512)  # the spool file as the PBX named it


class RecordingSkip(SQLModel, table=True):
    """A call's recording that the intake looked at and decided not to store."""

    __tablename__ = "recording_skips"
    __table_args__ = (sa.Index("ix_recording_skips_source", "source_path"),)

    call_id: int = Field(foreign_key="calls.id", primary_key=True)
    source_path: str = Field(max_length=512, primary_key=True)
    reason: str = Field(max_length=16)  # header_only | missing
    decided_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Alert(SQLModel, table=True):
    __tablename__ = "alerts"
    __table_args__ = (
        sa.Index("ix_alerts_open", "acknowledged", "created_at"),
        sa.Index("ix_alerts_kind_key", "kind", "dedupe_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)  # e.g. "recording_vault"
    severity: str = Field(max_length=16)  # info | warning | critical
    message: str = Field(sa_type=sa.Text)  # one line for people
    detail: str = Field(default="", sa_type=sa.Text)  # JSON for tools
    # While an alert with this key is unacknowledged, the same finding adds no new row.
    dedupe_key: str | None = Field(default=None, max_length=255)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged: bool = False
    acknowledged_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=64)
