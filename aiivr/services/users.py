"""Users: add, list, disable, enable, change password, and their queue assignments."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import exc
from sqlmodel import Session, select

from aiivr import audit, changes
from aiivr.db import utcnow
from aiivr.models.auth import AuthToken
from aiivr.errors import BadInput, Conflict, NotFound, PermissionDenied
from aiivr.models.queues import Queue
from aiivr.models.users import Role, User, UserQueue
from aiivr.passwords import hash_password, verify_password
from aiivr.principal import Ctx

NAME = re.compile(r"^[a-z][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    role: str
    full_name: str
    interface: str | None
    extension: str | None
    active: bool
    queues: list[str]
    created_at: str


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise BadInput(f"unknown role {text!r}: use agent, supervisor or admin") from None


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise BadInput(
            f"bad user name {name!r}: lower-case letters, digits, '.', '_' or '-', starting with a letter"
        )
    return name


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def queues_of(session: Session, user_id: int) -> list[str]:
    rows = session.exec(
        select(Queue.name).join(UserQueue, UserQueue.queue_id == Queue.id)
        .where(UserQueue.user_id == user_id).order_by(Queue.name)
    ).all()
    return list(rows)


def ensure_queue(ctx: Ctx, session: Session, name: str) -> Queue:
    """The queue by name, created with the config's (or default) thresholds if new."""
    queue = session.exec(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
            raise BadInput(f"bad queue name {name!r}")
        settings = ctx.config.queue(name)
        queue = Queue(name=name, service_level_seconds=settings.service_level_seconds,
                      short_abandon_seconds=settings.short_abandon_seconds)
        session.add(queue)
        session.flush()
        changes.bump(session, "queues")
    return queue


def view(session: Session, user: User) -> UserView:
    return UserView(
        id=user.id, name=user.name, role=user.role, full_name=user.full_name,
        interface=user.interface, extension=user.extension, active=user.active,
        queues=queues_of(session, user.id), created_at=user.created_at.isoformat(timespec="seconds"),
    )


def add_user(ctx: Ctx, *, name: str, role: str, password: str, full_name: str = "",
             interface: str | None = None, extension: str | None = None,
             queues: list[str] | None = None) -> UserView:
    audit.authorize(ctx, "user.manage", target=f"user:{name}")
    check_name(name)
    parsed_role = parse_role(role)
    password_hash = hash_password(password)
    with ctx.db.write() as session:
        if session.exec(select(User).where(User.name == name)).first():
            raise Conflict(f"a user named {name!r} already exists")
        if interface and session.exec(select(User).where(User.interface == interface)).first():
            raise Conflict(f"interface {interface!r} already belongs to another user")
        user = User(name=name, role=parsed_role.value, full_name=full_name, password_hash=password_hash,
                    interface=interface or None, extension=extension or None)
        session.add(user)
        try:
            session.flush()
        except exc.IntegrityError:
            raise Conflict(f"a user named {name!r} or with interface {interface!r} already exists") from None
        for queue_name in queues or []:
            queue = ensure_queue(ctx, session, queue_name)
            session.add(UserQueue(user_id=user.id, queue_id=queue.id, penalty=0))
        session.flush()
        audit.append(session, ctx.actor, "user.add", target=f"user:{name}",
                     detail={"role": parsed_role.value, "interface": interface, "queues": queues or []})
        changes.bump(session, "users", "agents")
        return view(session, user)


def list_users(ctx: Ctx) -> list[UserView]:
    audit.authorize(ctx, "user.list")
    with ctx.db.read() as session:
        return [view(session, u) for u in session.exec(select(User).order_by(User.name))]


def set_active(ctx: Ctx, name: str, active: bool) -> UserView:
    audit.authorize(ctx, "user.manage", target=f"user:{name}")
    with ctx.db.write() as session:
        user = get_user(session, name)
        if ctx.actor.user_id == user.id and not active:
            raise BadInput("you cannot disable your own account")
        if user.active == active:
            return view(session, user)
        user.active = active
        session.add(user)
        if not active:
            # A disabled account's sessions and tokens stop working at once.
            revoke_all_for_user(session, user.id)
        audit.append(session, ctx.actor, "user.enable" if active else "user.disable", target=f"user:{name}")
        changes.bump(session, "users", "agents")
        return view(session, user)


def change_password(ctx: Ctx, name: str, *, new_password: str, current_password: str | None = None) -> None:
    """Any user may change its own password (with the current one); an admin anyone's."""
    is_self = ctx.actor.name == name and ctx.actor.user_id is not None
    if not is_self:
        audit.authorize(ctx, "user.manage", target=f"user:{name}")
    password_hash = hash_password(new_password)
    with ctx.db.write() as session:
        user = get_user(session, name)
        if is_self and current_password is not None and not verify_password(user.password_hash, current_password):
            raise PermissionDenied("the current password is wrong")
        user.password_hash = password_hash
        session.add(user)
        audit.append(session, ctx.actor, "user.passwd", target=f"user:{name}")


def revoke_all_for_user(session: Session, user_id: int) -> None:
    session.execute(
        sa.update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
