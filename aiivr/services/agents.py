"""Agents as the recorder sees them: live status, reason, time in state, current call.

Read-only here; the actions that change status go through the command outbox.
Supervisors see everyone; an agent sees itself only (docs/cli.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from aiivr import audit
from aiivr.db import utcnow
from aiivr.errors import NotFound
from aiivr.models.agents import AgentStatus, QueueMember
from aiivr.models.calls import Call
from aiivr.models.users import Role, User
from aiivr.permissions import allowed
from aiivr.principal import Ctx
from aiivr.services.users import queues_of


@dataclass(frozen=True)
class MembershipView:
    queue: str
    penalty: int
    paused: bool
    paused_reason: str


@dataclass(frozen=True)
class AgentView:
    name: str | None  # None for an interface that matches no user
    full_name: str
    interface: str | None
    member_name: str
    status: str
    reason: str | None
    since: str | None
    seconds_in_state: int | None
    current_call: int | None
    current_caller: str | None
    queues: list[str]  # queues Asterisk has it in right now
    wanted_queues: list[str]  # queues AIIVR wants it in
    memberships: list[MembershipView]


def _open_status(session: Session) -> dict[str, AgentStatus]:
    rows = session.exec(select(AgentStatus).where(AgentStatus.ended_at.is_(None))).all()
    return {row.interface: row for row in rows}


def _members(session: Session) -> dict[str, list[QueueMember]]:
    out: dict[str, list[QueueMember]] = {}
    for member in session.exec(select(QueueMember).order_by(QueueMember.queue)):
        out.setdefault(member.interface, []).append(member)
    return out


def _view(session: Session, ctx: Ctx, *, user: User | None, interface: str | None,
          status_row: AgentStatus | None, members: list[QueueMember], now: dt.datetime) -> AgentView:
    call = session.get(Call, status_row.call_id) if status_row is not None and status_row.call_id else None
    status = status_row.status if status_row is not None else "offline"
    since = status_row.started_at if status_row is not None else None
    return AgentView(
        name=user.name if user else None,
        full_name=user.full_name if user else "",
        interface=interface,
        member_name=(members[0].member_name if members else status_row.member_name if status_row else ""),
        status=status,
        reason=status_row.reason if status_row is not None else None,
        since=since.astimezone(ctx.config.tz).isoformat(timespec="seconds") if since else None,
        seconds_in_state=int((now - since).total_seconds()) if since else None,
        current_call=call.id if call is not None and call.ended_at is None else None,
        current_caller=(call.caller_num or call.caller_name) if call is not None and call.ended_at is None else None,
        queues=[m.queue for m in members],
        wanted_queues=queues_of(session, user.id) if user else [],
        memberships=[MembershipView(m.queue, m.penalty, m.paused, m.paused_reason) for m in members],
    )


def list_agents(ctx: Ctx, *, unmapped: bool = False, now: dt.datetime | None = None) -> list[AgentView]:
    """Every agent with its live status (supervisor); an agent gets itself only.

    unmapped=True lists the interfaces Asterisk reports that match no user."""
    now = now or utcnow()
    see_all = allowed(ctx.actor.role, "agent.view_all")
    audit.authorize(ctx, "agent.view_all" if (see_all or unmapped) else "agent.view_own")
    with ctx.db.read() as session:
        statuses, members = _open_status(session), _members(session)
        if unmapped:
            known = set(session.exec(select(User.interface).where(User.interface.is_not(None))).all())
            interfaces = (set(members) | {i for i, row in statuses.items() if row.status != "offline"}) - known
            return [_view(session, ctx, user=None, interface=i, status_row=statuses.get(i),
                          members=members.get(i, []), now=now) for i in sorted(interfaces)]
        query = select(User).where(User.active.is_(True)).order_by(User.name)
        if see_all:
            # Agents, and anyone else Asterisk knows as a queue member (a supervisor who takes calls).
            query = query.where((User.role == Role.agent.value) | User.interface.is_not(None))
        else:
            query = query.where(User.id == ctx.actor.user_id)
        return [_view(session, ctx, user=u, interface=u.interface,
                      status_row=statuses.get(u.interface or ""), members=members.get(u.interface or "", []), now=now)
                for u in session.exec(query)]


def show_agent(ctx: Ctx, name: str, *, now: dt.datetime | None = None) -> AgentView:
    now = now or utcnow()
    is_self = ctx.actor.name == name
    audit.authorize(ctx, "agent.view_own" if is_self else "agent.view_all", target=f"user:{name}")
    with ctx.db.read() as session:
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None:
            raise NotFound(f"no user named {name!r}")
        statuses, members = _open_status(session), _members(session)
        return _view(session, ctx, user=user, interface=user.interface,
                     status_row=statuses.get(user.interface or ""), members=members.get(user.interface or "", []),
                     now=now)
