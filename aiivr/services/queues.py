"""Queues live: waiting callers, longest wait, agents available, today's counts.

Derived from what the recorder wrote (open queue entries, members, agent status);
an agent sees its own queues, a supervisor all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr import audit
from aiivr.db import utcnow
from aiivr.errors import NotFound, PermissionDenied
from aiivr.models.agents import AgentStatus, QueueMember
from aiivr.models.calls import ABANDONED, ANSWERED, OPEN, TIMED_OUT, QueueEntry
from aiivr.models.queues import Queue
from aiivr.permissions import allowed
from aiivr.principal import Ctx
from aiivr.services.users import queues_of


@dataclass(frozen=True)
class WaitingCaller:
    position: int | None
    caller_num: str
    caller_name: str
    waiting_seconds: int
    call_id: int | None


@dataclass(frozen=True)
class QueueMemberView:
    interface: str
    member_name: str
    status: str
    paused: bool
    paused_reason: str
    penalty: int


@dataclass(frozen=True)
class QueueView:
    name: str
    waiting: int
    longest_wait_seconds: int
    logged_in: int
    available: int
    answered_today: int
    abandoned_today: int
    timed_out_today: int
    service_level_seconds: int


@dataclass(frozen=True)
class QueueDetail(QueueView):
    callers: list[WaitingCaller]
    members: list[QueueMemberView]


def _visible_queues(ctx: Ctx, session: Session) -> set[str] | None:
    """None means all (supervisor); otherwise the agent's own queues."""
    if allowed(ctx.actor.role, "queue.view_all"):
        return None
    return set(queues_of(session, ctx.actor.user_id)) if ctx.actor.user_id else set()


def _all_names(session: Session) -> list[str]:
    names = set(session.exec(select(Queue.name)).all())
    names |= set(session.exec(select(QueueMember.queue)).all())
    names |= set(session.exec(select(QueueEntry.queue).where(QueueEntry.ended_at.is_(None))).all())
    return sorted(names)


def _summaries(ctx: Ctx, session: Session, names: list[str], now: dt.datetime) -> dict[str, QueueDetail]:
    today = now.astimezone(ctx.config.tz).date()
    status = {r.interface: r.status for r in session.exec(select(AgentStatus).where(AgentStatus.ended_at.is_(None)))}
    thresholds = {q.name: q.service_level_seconds for q in session.exec(select(Queue))}
    waiting: dict[str, list[QueueEntry]] = {n: [] for n in names}
    for entry in session.exec(select(QueueEntry).where(QueueEntry.ended_at.is_(None), QueueEntry.outcome == OPEN,
                                                       QueueEntry.queue.in_(names))):
        waiting[entry.queue].append(entry)
    members: dict[str, list[QueueMember]] = {n: [] for n in names}
    for member in session.exec(select(QueueMember).where(QueueMember.queue.in_(names)).order_by(QueueMember.member_name)):
        members[member.queue].append(member)
    counts = {(q, o): n for q, o, n in session.exec(
        select(QueueEntry.queue, QueueEntry.outcome, sa.func.count())
        .where(QueueEntry.local_date == today, QueueEntry.queue.in_(names))
        .group_by(QueueEntry.queue, QueueEntry.outcome))}
    out = {}
    for name in names:
        callers = sorted(waiting[name], key=lambda e: e.entered_at)
        views = [QueueMemberView(m.interface, m.member_name, status.get(m.interface, "online"), m.paused,
                                 m.paused_reason, m.penalty) for m in members[name]]
        out[name] = QueueDetail(
            name=name,
            waiting=len(callers),
            longest_wait_seconds=int((now - callers[0].entered_at).total_seconds()) if callers else 0,
            logged_in=len(views),
            available=sum(1 for v in views if v.status == "online" and not v.paused),
            answered_today=counts.get((name, ANSWERED), 0),
            abandoned_today=counts.get((name, ABANDONED), 0),
            timed_out_today=counts.get((name, TIMED_OUT), 0),
            service_level_seconds=thresholds.get(name, ctx.config.queue(name).service_level_seconds),
            callers=[WaitingCaller(e.position, e.caller_num, e.caller_name,
                                   int((now - e.entered_at).total_seconds()), e.call_id) for e in callers],
            members=views,
        )
    return out


def list_queues(ctx: Ctx, *, now: dt.datetime | None = None) -> list[QueueView]:
    now = now or utcnow()
    audit.authorize(ctx, "queue.view_own")
    with ctx.db.read() as session:
        visible = _visible_queues(ctx, session)
        names = [n for n in _all_names(session) if visible is None or n in visible]
        details = _summaries(ctx, session, names, now)
    return [QueueView(**{k: getattr(d, k) for k in QueueView.__dataclass_fields__}) for d in details.values()]


def show_queue(ctx: Ctx, name: str, *, now: dt.datetime | None = None) -> QueueDetail:
    now = now or utcnow()
    audit.authorize(ctx, "queue.view_own", target=f"queue:{name}")
    with ctx.db.read() as session:
        if name not in _all_names(session):
            raise NotFound(f"no queue named {name!r}")
        visible = _visible_queues(ctx, session)
        if visible is not None and name not in visible:
            audit.record_refusal(ctx, "queue.view_all", target=f"queue:{name}", reason="not one of your queues")
            raise PermissionDenied(f"permission denied: {name} is not one of your queues")
        return _summaries(ctx, session, [name], now)[name]
