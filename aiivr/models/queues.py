"""Queues and pause reasons: reference data seeded by `aiivr init` from the config."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Queue(SQLModel, table=True):
    __tablename__ = "queues"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5


class PauseReason(SQLModel, table=True):
    __tablename__ = "pause_reasons"

    # The code is what Asterisk receives as the pause reason; the label is for people.
    code: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=64)
    max_minutes: int | None = None
    active: bool = True
