"""A per-topic change counter: screens poll it cheaply and re-read only on change."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

TOPICS = ("agents", "calls", "queues", "queries", "alerts", "users")


class ChangeCounter(SQLModel, table=True):
    __tablename__ = "change_counters"

    topic: str = Field(primary_key=True, max_length=32)
    version: int = 0
