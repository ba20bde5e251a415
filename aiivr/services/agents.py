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
from aiivr.models.queues import Queue
from aiivr.models.users import Role, User, UserQueue
from aiivr.permissions import allowed
from aiivr.principal import Ctx

IN_LIST = 500  # ids per IN (...): past this, one query for all rows is cheaper and portable


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


def _wanted(session: Session, user_ids: list[int]) -> dict[int, list[str]]:
    """Each user's wanted queues, by name, for all of them in one query (not one per agent)."""
    query = (select(UserQueue.user_id, Queue.name).join(Queue, UserQueue.queue_id == Queue.id)
             .order_by(UserQueue.user_id, Queue.name))
    if len(user_ids) <= IN_LIST:
        query = query.where(UserQueue.user_id.in_(user_ids))
    wanted = set(user_ids)
    out: dict[int, list[str]] = {}
    for user_id, name in session.exec(query):
        if user_id in wanted:
            out.setdefault(user_id, []).append(name)
    return out


def _calls(session: Session, status_rows: list[AgentStatus | None]) -> dict[int, Call]:
    """The calls the agents are on, in one query."""
    ids = sorted({row.call_id for row in status_rows if row is not None and row.call_id})
    out: dict[int, Call] = {}
    for start in range(0, len(ids), IN_LIST):
        for call in session.exec(select(Call).where(Call.id.in_(ids[start:start + IN_LIST]))):
            out[call.id] = call
    return out


def _views(session: Session, ctx: Ctx, agents: list[tuple[User | None, str | None]],
           statuses: dict[str, AgentStatus], members: dict[str, list[QueueMember]],
           now: dt.datetime) -> list[AgentView]:
    """(user, interface) pairs to views, with a fixed number of queries however many agents."""
    rows = {interface: statuses.get(interface or "") for _, interface in agents}
    calls = _calls(session, list(rows.values()))
    wanted = _wanted(session, [u.id for u, _ in agents if u is not None])
    return [_view(ctx, user=user, interface=interface, status_row=rows[interface],
                  members=members.get(interface or "", []), now=now,
                  call=calls.get(rows[interface].call_id) if rows[interface] is not None else None,
                  wanted=wanted.get(user.id, []) if user is not None else [])
            for user, interface in agents]


def _view(ctx: Ctx, *, user: User | None, interface: str | None, status_row: AgentStatus | None,
          members: list[QueueMember], now: dt.datetime, call: Call | None, wanted: list[str]) -> AgentView:
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
        wanted_queues=wanted,
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
            return _views(session, ctx, [(None, i) for i in sorted(interfaces)], statuses, members, now)
        query = select(User).where(User.active.is_(True)).order_by(User.name)
        if see_all:
            # Agents, and anyone else Asterisk knows as a queue member (a supervisor who takes calls).
            query = query.where((User.role == Role.agent.value) | User.interface.is_not(None))
        else:
            query = query.where(User.id == ctx.actor.user_id)
        return _views(session, ctx, [(u, u.interface) for u in session.exec(query)], statuses, members, now)


def show_agent(ctx: Ctx, name: str, *, now: dt.datetime | None = None) -> AgentView:
    now = now or utcnow()
    is_self = ctx.actor.name == name
    audit.authorize(ctx, "agent.view_own" if is_self else "agent.view_all", target=f"user:{name}")
    with ctx.db.read() as session:
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None:
            raise NotFound(f"no user named {name!r}")
        statuses, members = _open_status(session), _members(session)
        return _views(session, ctx, [(user, user.interface)], statuses, members, now)[0]
