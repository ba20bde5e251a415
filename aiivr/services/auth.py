"""Logging in, session and API tokens, and turning a token back into a Principal."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlmodel import select

from aiivr import audit
from aiivr.db import Database, utcnow
from aiivr.errors import BadInput, NotAuthenticated, NotFound
from aiivr.models.auth import AuthToken
from aiivr.models.users import Role, User
from aiivr.passwords import verify_password
from aiivr.principal import Ctx, Principal
from aiivr.services.users import get_user

SESSION_DAYS = 7
PREFIX = "aiivr_"
LOGIN_FAILED = "login failed: unknown user, wrong password or disabled account"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def parse_duration(text: str) -> dt.timedelta:
    """`30d`, `12h`, `90m` or `never`-free durations for token expiry."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([dhm])\s*", text or "")
    if not match:
        raise BadInput(f"cannot read {text!r} as a duration: use e.g. 30d, 12h or 90m")
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        raise BadInput("a token must live longer than 0")
    return {"d": dt.timedelta(days=amount), "h": dt.timedelta(hours=amount),
            "m": dt.timedelta(minutes=amount)}[unit]


def login(db: Database, name: str, password: str) -> tuple[str, Principal]:
    """Check the password and open a session. The error never says which part was wrong."""
    with db.write() as session:
        user = session.exec(select(User).where(User.name == name)).first()
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            actor = Principal(name=name[:64], role=Role.agent)
            audit.append(session, actor, "login", target=f"user:{name[:64]}", outcome=audit.DENIED)
            failed = True
        else:
            failed = False
            token = new_token()
            session.add(AuthToken(user_id=user.id, kind="session", token_hash=token_hash(token),
                                  expires_at=utcnow() + dt.timedelta(days=SESSION_DAYS)))
            principal = Principal(name=user.name, role=Role(user.role), user_id=user.id)
            audit.append(session, principal, "login", target=f"user:{user.name}")
    if failed:  # raised after the commit so the refused attempt stays in the audit log
        raise NotAuthenticated(LOGIN_FAILED)
    return token, principal


def logout(db: Database, token: str) -> bool:
    with db.write() as session:
        row = session.exec(select(AuthToken).where(AuthToken.token_hash == token_hash(token))).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        session.add(row)
        user = session.get(User, row.user_id)
        actor = Principal(name=user.name, role=Role(user.role), user_id=user.id)
        audit.append(session, actor, "logout", target=f"user:{user.name}")
        return True


def authenticate(db: Database, token: str) -> Principal:
    """The principal a token stands for; refuses unknown, revoked and expired tokens."""
    now = utcnow()
    with db.read() as session:
        row = session.exec(select(AuthToken).where(AuthToken.token_hash == token_hash(token.strip()))).first()
        if row is None:
            raise NotAuthenticated("not logged in: the token is unknown; run `aiivr login NAME`")
        if row.revoked_at is not None:
            raise NotAuthenticated("the token was revoked; run `aiivr login NAME` or ask an admin for a new one")
        if row.expires_at is not None and row.expires_at <= now:
            what = "session" if row.kind == "session" else "API token"
            raise NotAuthenticated(f"your {what} expired at {row.expires_at:%Y-%m-%d %H:%M} UTC; run `aiivr login NAME`")
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            raise NotAuthenticated("this account is disabled")
        return Principal(name=user.name, role=Role(user.role), user_id=user.id)


@dataclass(frozen=True)
class TokenView:
    id: int
    user: str
    kind: str
    created_at: str
    expires_at: str | None
    revoked: bool
    last_used_at: str | None


def create_token(ctx: Ctx, user_name: str, *, expires: str | None = "30d") -> tuple[str, TokenView]:
    audit.authorize(ctx, "token.manage", target=f"user:{user_name}")
    lifetime = parse_duration(expires) if expires else None
    token = new_token()
    with ctx.db.write() as session:
        user = get_user(session, user_name)
        if not user.active:
            raise BadInput(f"user {user_name!r} is disabled")
        row = AuthToken(user_id=user.id, kind="api", token_hash=token_hash(token),
                        expires_at=utcnow() + lifetime if lifetime else None)
        session.add(row)
        session.flush()
        audit.append(session, ctx.actor, "token.create", target=f"token:{row.id}",
                     detail={"user": user_name, "expires_at": row.expires_at})
        return token, _view(row, user.name)


def list_tokens(ctx: Ctx) -> list[TokenView]:
    audit.authorize(ctx, "token.manage")
    with ctx.db.read() as session:
        rows = session.exec(
            select(AuthToken, User.name).join(User, User.id == AuthToken.user_id)
            .where(AuthToken.kind == "api").order_by(AuthToken.id)
        ).all()
        return [_view(row, name) for row, name in rows]


def revoke_token(ctx: Ctx, token_id: int) -> TokenView:
    audit.authorize(ctx, "token.manage", target=f"token:{token_id}")
    with ctx.db.write() as session:
        row = session.get(AuthToken, token_id)
        if row is None or row.kind != "api":
            raise NotFound(f"no API token with id {token_id}")
        user = session.get(User, row.user_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
            audit.append(session, ctx.actor, "token.revoke", target=f"token:{token_id}",
                         detail={"user": user.name})
        return _view(row, user.name)


def _view(row: AuthToken, user_name: str) -> TokenView:
    def iso(value):
        return value.isoformat(timespec="seconds") if value else None

    return TokenView(id=row.id, user=user_name, kind=row.kind, created_at=iso(row.created_at),
                     expires_at=iso(row.expires_at), revoked=row.revoked_at is not None,
                     last_used_at=iso(row.last_used_at))
