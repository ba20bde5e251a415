"""People who use AIIVR and the queues an agent belongs to."""

from __future__ import annotations

import datetime as dt
import enum

from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime, utcnow


class Role(str, enum.Enum):
    """Ordered: agent < supervisor < admin; a higher role may do all a lower one may."""

    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __ge__(self, other: "Role") -> bool:  # type: ignore[override]
        return self.rank >= other.rank


_RANK = {Role.agent: 1, Role.supervisor: 2, Role.admin: 3}


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=16)
    full_name: str = Field(default="", max_length=128)
    password_hash: str = Field(max_length=255)
    # The queue-member interface Asterisk knows this agent by, e.g. PJSIP/1001 or
    # Local/1001@agents/n; members map to users through it.
    interface: str | None = Field(default=None, max_length=128, unique=True)
    extension: str | None = Field(default=None, max_length=32)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserQueue(SQLModel, table=True):
    """A wanted membership: Asterisk is told to make the agent a member of the queue."""

    __tablename__ = "user_queues"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    queue_id: int = Field(foreign_key="queues.id", primary_key=True, ondelete="CASCADE")
    penalty: int = 0
