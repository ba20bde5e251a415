"""Session and API tokens. Only a hash of each token is stored."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from aiivr.db import UTCDateTime, utcnow


class AuthToken(SQLModel, table=True):
    __tablename__ = "auth_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # "session" (aiivr login) or "api" (token create)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
