"""One call's detail (`call show`) and marking it resolved (`call resolve`).

An agent may open a call it took, missed or made and resolve one it took or made
(aiivr.services.call_list says what each means); supervisors see and resolve every
call. The call log itself (`call list`) is aiivr.services.call_list, re-exported here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr import audit, changes
from aiivr.db import utcnow
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.kpi_raw import WRAPUP_LOOKBACK_HOURS
from aiivr.models.agents import AgentStatus
from aiivr.models.calls import AgentCall, Call, CallEvent, QueueEntry
from aiivr.models.users import User
from aiivr.numbers import normalise_number
from aiivr.permissions import allowed
from aiivr.principal import Ctx
from aiivr.services.call_list import SUMMARY_COLUMNS, TYPES, WITH_USER, CallSummary, list_calls, summary
from aiivr.services.queries import QuerySummary, queries_for_call
from aiivr.timerange import iso

__all__ = ["TYPES", "CallDetail", "CallSummary", "QueueLeg", "TimelineItem", "list_calls",
           "resolve_call", "show_call"]

C, A = Call.__table__, AgentCall.__table__

@dataclass(frozen=True)
class QueueLeg:
    queue: str
    entered_at: str
    outcome: str
    wait_seconds: float | None
    talk_seconds: float | None
    agent: str | None
    completed_by: str | None


@dataclass(frozen=True)
class TimelineItem:
    at: str
    kind: str
    queue: str | None
    agent: str | None
    detail: dict


@dataclass(frozen=True)
class CallDetail(CallSummary):
    answered_at: str | None
    ended_at: str | None
    queues: list[QueueLeg]
    agents: list[str]
    hold_seconds: float
    wrapup_seconds: float
    end_cause: str
    recording_path: str | None
    csat_score: int | None
    resolved_at: str | None
    resolved_by: str | None
    timeline: list[TimelineItem]
    queries: list[QuerySummary]


# ---------------------------------------------------------------------------- one call

def show_call(ctx: Ctx, call_id: int, *, now: dt.datetime | None = None) -> CallDetail:
    """Everything about one call: legs, agents, times, disposition, timeline, recording,
    linked queries. An agent may open only a call it took, missed or made."""
    audit.authorize(ctx, "call.view_own", target=f"call:{call_id}")
    with ctx.db.read() as session:
        row = _load(session, call_id)
        mine = _involvement(session, ctx, row)
    if mine is False:
        audit.record_refusal(ctx, "call.view_all", target=f"call:{call_id}", reason="not your call")
        raise PermissionDenied(f"call {call_id} is not yours: you see the calls you took, missed or made")
    with ctx.db.read() as session:
        return _detail(session, ctx, _load(session, call_id), queries_for_call(ctx, call_id, now=now))


def resolve_call(ctx: Ctx, call_id: int, *, now: dt.datetime | None = None) -> tuple[CallDetail, bool]:
    """Mark a call resolved (for FCR). Returns the call and whether this changed it: a call
    already resolved stays as it was, who and when included."""
    audit.authorize(ctx, "call.resolve", target=f"call:{call_id}")
    now = now or utcnow()
    with ctx.db.read() as session:
        row = _load(session, call_id)
        mine = _involvement(session, ctx, row, missed_counts=False)
    if mine is False:
        audit.record_refusal(ctx, "call.view_all", target=f"call:{call_id}", reason="not your call")
        raise PermissionDenied(f"call {call_id} is not yours: resolve the calls you took or made")
    if row.answered_at is None and row.direction != "outbound":
        raise BadInput(f"call {call_id} was never answered: there is nothing to resolve")
    changed = False
    with ctx.db.write() as session:
        call = session.exec(select(Call).where(Call.id == call_id).with_for_update()).one()
        if not call.resolved:
            # Only these columns: the recorder writes only the columns it changes, so a
            # call resolved while it is still going keeps its resolution.
            session.execute(sa.update(C).where(C.c.id == call_id).values(
                resolved=True, resolved_at=now, resolved_by=ctx.actor.name))
            audit.append(session, ctx.actor, "call.resolve", target=f"call:{call_id}")
            changes.bump(session, "calls")
            changed = True
    return show_call(ctx, call_id, now=now), changed


# The list's own line for the call, so both read it one way.
_SUMMARY_BY_ID = sa.select(*SUMMARY_COLUMNS).select_from(WITH_USER).where(C.c.id == sa.bindparam("id"))


def _load(session: Session, call_id: int):
    row = session.execute(sa.select(C).where(C.c.id == call_id)).first()
    if row is None:
        raise NotFound(f"no call with id {call_id}")
    return row


def _involvement(session: Session, ctx: Ctx, row, *, missed_counts: bool = True) -> bool | None:
    """None when the actor sees every call; else whether it took, missed or made this one,
    by the call log's own rule (agent_calls and the extension): what `call list` shows an
    agent is exactly what it may open."""
    if allowed(ctx.actor.role, "call.view_all"):
        return None
    me = session.get(User, ctx.actor.user_id) if ctx.actor.user_id else None
    if me is None:
        return False
    extension = normalise_number(me.extension or "")
    if extension and row.direction == "outbound" and row.caller_num_norm == extension:
        return True
    mine = sa.select(A.c.call_id).where(A.c.user_id == me.id, A.c.call_id == row.id)
    if not missed_counts:
        mine = mine.where(A.c.took.is_(True))
    return session.execute(mine.limit(1)).first() is not None


def _detail(session: Session, ctx: Ctx, row, queries: list[QuerySummary]) -> CallDetail:
    tz = ctx.config.tz
    names = dict(session.execute(sa.select(User.__table__.c.id, User.__table__.c.name)).all())
    legs = session.exec(select(QueueEntry).where(QueueEntry.call_id == row.id)
                        .order_by(QueueEntry.entered_at, QueueEntry.id)).all()

    def agent_of(user_id, fallback):
        return names.get(user_id) if user_id is not None else fallback

    queues = [QueueLeg(queue=e.queue, entered_at=iso(e.entered_at, tz), outcome=e.outcome, wait_seconds=e.wait_seconds,
                       talk_seconds=e.talk_seconds, agent=agent_of(e.agent_user_id, e.member_name),
                       completed_by=e.completed_by) for e in legs]
    agents = [leg.agent for leg in queues if leg.agent]
    last = agent_of(row.agent_user_id, row.agent_name)
    if last:
        agents.append(last)
    events = session.exec(select(CallEvent).where(CallEvent.call_id == row.id)
                          .order_by(CallEvent.at, CallEvent.id)).all()
    timeline = [TimelineItem(at=iso(e.at, tz), kind=e.kind, queue=e.queue,
                             agent=agent_of(e.user_id, e.interface), detail=json.loads(e.detail or "{}"))
                for e in events]
    return CallDetail(
        **dataclasses.asdict(summary(session.execute(_SUMMARY_BY_ID, {"id": row.id}).one(), tz)),
        answered_at=iso(row.answered_at, tz), ended_at=iso(row.ended_at, tz), queues=queues,
        agents=list(dict.fromkeys(agents)), hold_seconds=row.hold_seconds,
        wrapup_seconds=_wrapup_seconds(session, row.id), end_cause=row.end_cause,
        recording_path=row.recording_path, csat_score=row.csat_score,
        resolved_at=iso(row.resolved_at, tz), resolved_by=row.resolved_by, timeline=timeline,
        queries=queries,
    )


def _wrapup_seconds(session: Session, call_id: int) -> float:
    """The agents' wrap-up after this call, by the KPI rule (docs/kpis.md): a wrap_up row
    whose latest earlier on_call row, at most WRAPUP_LOOKBACK_HOURS before, was this call's."""
    total = 0.0
    reach = dt.timedelta(hours=WRAPUP_LOOKBACK_HOURS)
    on_calls = session.exec(select(AgentStatus).where(AgentStatus.call_id == call_id,
                                                      AgentStatus.status == "on_call")).all()
    for on_call in on_calls:
        later = session.exec(select(AgentStatus).where(
            AgentStatus.interface == on_call.interface, AgentStatus.started_at > on_call.started_at,
            AgentStatus.started_at < on_call.started_at + reach, AgentStatus.status.in_(("on_call", "wrap_up")))
            .order_by(AgentStatus.started_at)).all()
        for status in later:
            if status.status == "on_call":
                break  # the next call: what follows is its wrap-up
            if status.ended_at is not None:
                total += (status.ended_at - status.started_at).total_seconds()
    return round(total, 3)
