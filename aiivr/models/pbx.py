"""What the recorder knows about the PBX itself: when it booted, and gaps in what we saw."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime


class PbxState(SQLModel, table=True):
    __tablename__ = "pbx_state"

    system: str = Field(default="", primary_key=True, max_length=64)
    booted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    connected: bool = False
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class DataGap(SQLModel, table=True):
    """A stretch of time `aiivr serve` did not see, and whether queue_log filled it."""

    __tablename__ = "data_gaps"

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    ended_at: dt.datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(max_length=64)
    backfilled: bool = False
    detail: str = Field(default="", max_length=512)
