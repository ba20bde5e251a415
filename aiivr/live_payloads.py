"""What an agent command tells serve: the member's interface, name, state interface and
queues, resolved once when the command is written (serve then needs no lookups).

Shared by the people-facing services (aiivr.services.live_ops) and serve's own commands
(after-call work, re-applying after an Asterisk restart).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from aiivr.config import Config
from aiivr.models.queues import Queue
from aiivr.models.users import User, UserQueue


def state_interface(user: User, config: Config) -> str:
    """The device Asterisk watches to know the agent is busy.

    A PJSIP agent's interface is its phone: Asterisk's default (the interface) is right.
    A Local-channel member (the lab's Local/1001@agents/n, FreePBX's
    Local/1001@from-queue/n) is only busy while a queue call runs through it, so the
    agent's phone, the channel AIIVR rings for its own calls ([outbound]
    originate_channel), is watched instead: an agent dialling out then shows on_call and
    is offered no queue call.
    """
    interface = user.interface or ""
    if interface.startswith("Local/") and user.extension:
        return config.outbound.originate_channel.format(extension=user.extension)
    return interface


def member(user: User, config: Config) -> dict[str, Any]:
    return {"user_id": user.id, "interface": user.interface, "member_name": user.name,
            "state_interface": state_interface(user, config)}


def wanted_memberships(session: Session, user_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Queue.name, UserQueue.penalty).join(UserQueue, UserQueue.queue_id == Queue.id)
        .where(UserQueue.user_id == user_id).order_by(Queue.name)
    ).all()
    return [{"queue": name, "penalty": penalty} for name, penalty in rows]


def login(session: Session, user: User, config: Config, *, reapply: bool = False) -> dict[str, Any]:
    return {**member(user, config), "queues": wanted_memberships(session, user.id), "reapply": reapply}


def pause(user: User, reason: str, *, call_id: int | None = None, since: dt.datetime | None = None,
          why: str = "") -> dict[str, Any]:
    payload: dict[str, Any] = {"user_id": user.id, "interface": user.interface, "reason": reason}
    if call_id is not None:
        payload["call_id"] = call_id
    if since is not None:
        payload["since"] = since.isoformat()
    if why:
        payload["why"] = why
    return payload


def unpause(user: User, *, why: str = "") -> dict[str, Any]:
    payload: dict[str, Any] = {"user_id": user.id, "interface": user.interface}
    if why:
        payload["why"] = why
    return payload
