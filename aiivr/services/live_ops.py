"""Live operations people ask for: agent login/logout/ready/pause/unpause/move,
supervisor listen/whisper/barge/stop, outbound dial and callback.

Each function checks the role (aiivr.permissions), then in one transaction writes the
outbox command and its audit entry, and returns the command. `aiivr serve` sends it over
AMI; `wait` follows it until Asterisk answered and its confirming event is recorded. No
process here holds AMI credentials. docs/operations.md explains each action.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlmodel import Session, select

from aiivr import audit, changes, confirmations, live_payloads, outbox
from aiivr.errors import BadInput, Conflict, NotFound, PermissionDenied
from aiivr.events import AFTER_CALL_WORK_REASON
from aiivr.models.agents import QueueMember
from aiivr.models.calls import ANSWERED, Call, CallEvent
from aiivr.models.outbox import DONE, FINISHED, AgentPresence, OutboxCommand
from aiivr.models.queues import PauseReason
from aiivr.models.users import User, UserQueue
from aiivr.outbox import CommandView
from aiivr.permissions import allowed
from aiivr.principal import Ctx
from aiivr.services.users import ensure_queue, get_user, queues_of

SPY_MODES = ("listen", "whisper", "barge")
MONITOR_ACTIONS = tuple(f"monitor.{m}" for m in (*SPY_MODES, "stop"))
ORIGINATES = frozenset({*(f"monitor.{m}" for m in SPY_MODES), "call.dial", "call.callback"})
NUMBER = re.compile(r"^\+?[0-9]{2,31}$")
NUMBER_PUNCTUATION = re.compile(r"[\s\-().]")


# ---------------------------------------------------------------------------- agents

def agent_login(ctx: Ctx, name: str | None = None, *, now: dt.datetime | None = None,
                ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """QueueAdd into each of the agent's wanted queues (interface, state interface, member name, penalty)."""
    def build(session: Session, user: User) -> dict[str, Any]:
        payload = live_payloads.login(session, user, ctx.config)
        if not payload["queues"]:
            raise BadInput(f"{user.name} belongs to no queue: `aiivr agent move {user.name} --to QUEUE` first")
        return payload
    return _agent_command(ctx, "agent.login", name, build, now=now, ttl_seconds=ttl_seconds)


def agent_logout(ctx: Ctx, name: str | None = None, *, now: dt.datetime | None = None,
                 ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """QueueRemove from every queue it is in (wanted or as Asterisk reports): status offline."""
    def build(session: Session, user: User) -> dict[str, Any]:
        present = session.exec(select(QueueMember.queue).where(QueueMember.interface == user.interface)).all()
        queues = sorted(set(queues_of(session, user.id)) | set(present))
        return {**live_payloads.member(user, ctx.config), "queues": queues}
    return _agent_command(ctx, "agent.logout", name, build, now=now, ttl_seconds=ttl_seconds)


def agent_pause(ctx: Ctx, name: str | None = None, *, reason: str, now: dt.datetime | None = None,
                ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """QueuePause in all the agent's queues with the reason code Asterisk logs (queue_log PAUSE)."""
    code = (reason or "").strip().lower()
    if code == AFTER_CALL_WORK_REASON:
        raise BadInput("acw is the automatic after-call-work pause; pick another reason")

    def build(session: Session, user: User) -> dict[str, Any]:
        known = session.get(PauseReason, code)
        if known is None or not known.active:
            codes = session.exec(select(PauseReason.code).where(PauseReason.active.is_(True),
                                                                PauseReason.code != AFTER_CALL_WORK_REASON)
                                 .order_by(PauseReason.code)).all()
            raise BadInput(f"unknown pause reason {reason!r} (known: {', '.join(codes)})")
        return live_payloads.pause(user, code)
    return _agent_command(ctx, "agent.pause", name, build, now=now, ttl_seconds=ttl_seconds, detail={"reason": code})


def agent_unpause(ctx: Ctx, name: str | None = None, *, now: dt.datetime | None = None,
                  ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    return _agent_command(ctx, "agent.unpause", name, lambda s, u: live_payloads.unpause(u),
                          now=now, ttl_seconds=ttl_seconds)


def agent_ready(ctx: Ctx, name: str | None = None, *, now: dt.datetime | None = None,
                ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """End after-call work (or any pause): QueuePause Paused=false."""
    return _agent_command(ctx, "agent.ready", name, lambda s, u: live_payloads.unpause(u),
                          now=now, ttl_seconds=ttl_seconds)


def _agent_command(ctx: Ctx, action: str, name: str | None, build, *, now: dt.datetime | None,
                   ttl_seconds: float, detail: dict[str, Any] | None = None) -> CommandView:
    name = name or ctx.actor.name
    is_self = ctx.actor.user_id is not None and name == ctx.actor.name
    audit.authorize(ctx, "agent.state_own" if is_self else "agent.state_all", target=f"user:{name}")
    with ctx.db.write() as session:
        user = _agent_user(session, name)
        command = outbox.enqueue(session, actor=ctx.actor.name, action=action, target=f"user:{name}",
                                 payload=build(session, user), now=now, ttl_seconds=ttl_seconds)
        audit.append(session, ctx.actor, action, target=f"user:{name}", detail={**(detail or {}), "command": command.id})
        return outbox.view(command)


def _agent_user(session: Session, name: str) -> User:
    user = get_user(session, name)
    if not user.active:
        raise BadInput(f"{name} is disabled")
    if not user.interface:
        raise BadInput(f"{name} has no queue interface: an admin sets one with `user add --interface`")
    return user


def agent_move(ctx: Ctx, name: str, *, to: str, from_: str | None = None, penalty: int | None = None,
               now: dt.datetime | None = None, ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView | None:
    """Change the agent's wanted memberships; if it is logged in, Asterisk follows
    (QueueAdd or QueuePenalty into `to`, QueueRemove from `from_`). Returns None when the
    agent is logged out: the new memberships apply at its next login."""
    audit.authorize(ctx, "agent.move", target=f"user:{name}")
    if penalty is not None and penalty < 0:
        raise BadInput("--penalty must be 0 or more")
    if from_ is not None and from_ == to:
        raise BadInput("--from and --to name the same queue")
    with ctx.db.write() as session:
        user = _agent_user(session, name)
        target = ensure_queue(ctx, session, to)
        wanted = session.get(UserQueue, (user.id, target.id))
        penalty = penalty if penalty is not None else (wanted.penalty if wanted is not None else 0)
        if wanted is None:
            wanted = UserQueue(user_id=user.id, queue_id=target.id)
        wanted.penalty = penalty
        session.add(wanted)
        if from_:
            _drop_wanted(ctx, session, user, from_)
        changes.bump(session, "agents")
        detail = {"to": to, "from": from_, "penalty": penalty}
        command = None
        if _logged_in(session, user):
            payload = {**live_payloads.member(user, ctx.config), "to": to, "from": from_, "penalty": penalty}
            command = outbox.enqueue(session, actor=ctx.actor.name, action="agent.move", target=f"user:{name}",
                                     payload=payload, now=now, ttl_seconds=ttl_seconds)
            detail["command"] = command.id
        audit.append(session, ctx.actor, "agent.move", target=f"user:{name}", detail=detail)
        return outbox.view(command) if command is not None else None


def _drop_wanted(ctx: Ctx, session: Session, user: User, queue_name: str) -> None:
    present = session.exec(select(QueueMember.id).where(QueueMember.interface == user.interface,
                                                        QueueMember.queue == queue_name)).first()
    wanted = [q for q in queues_of(session, user.id) if q == queue_name]
    if not wanted and present is None:
        raise BadInput(f"{user.name} is not in queue {queue_name!r}")
    if wanted:
        queue = ensure_queue(ctx, session, queue_name)
        row = session.get(UserQueue, (user.id, queue.id))
        session.delete(row)


def _logged_in(session: Session, user: User) -> bool:
    """Logged in through AIIVR, or a member Asterisk reports (added on the PBX)."""
    row = session.get(AgentPresence, user.id)
    if row is not None and row.logged_in:
        return True
    return session.exec(select(QueueMember.id).where(QueueMember.interface == user.interface)).first() is not None


# ---------------------------------------------------------------------------- monitoring

def monitor(ctx: Ctx, mode: str, agent: str, *, now: dt.datetime | None = None,
            ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """Ring the supervisor's own phone into ChanSpy on the agent's bridged channel."""
    if mode not in SPY_MODES:
        raise BadInput(f"unknown monitor mode {mode!r}: use listen, whisper or barge")
    action = f"monitor.{mode}"
    audit.authorize(ctx, "monitor.spy", target=f"user:{agent}")
    with ctx.db.write() as session:
        me = _phone_owner(session, ctx)
        user = _agent_user(session, agent)
        found = bridged_channel(session, user.interface)
        if found is None:
            raise BadInput(f"{agent} is not on a queue call")
        call_id, spy_channel = found
        previous = _monitor_session(session, ctx.actor.name)
        payload = {"mode": mode, "channel": ctx.config.monitor.originate_channel.format(extension=me.extension),
                   "context": ctx.config.monitor.context, "spy_channel": spy_channel, "call_id": call_id,
                   "agent": agent, "agent_interface": user.interface, "supervisor_user_id": me.id,
                   "caller_id": f'"{mode.title()} {agent}" <{me.extension}>',
                   "hangup": previous["channel"] if previous else None}
        command = outbox.enqueue(session, actor=ctx.actor.name, action=action, target=f"user:{agent}",
                                 payload=payload, now=now, ttl_seconds=ttl_seconds)
        audit.append(session, ctx.actor, action, target=f"user:{agent}",
                     detail={"mode": mode, "call": call_id, "channel": spy_channel, "command": command.id})
        return outbox.view(command)


def monitor_stop(ctx: Ctx, *, now: dt.datetime | None = None,
                 ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """Hang up the supervisor's spy channel (the monitoring session it started last)."""
    audit.authorize(ctx, "monitor.spy", target="monitor:stop")
    with ctx.db.write() as session:
        previous = _monitor_session(session, ctx.actor.name)
        if previous is None:
            raise BadInput("you are not monitoring anyone")
        payload = {"hangup": previous["channel"], "call_id": previous["call_id"], "agent": previous["agent"],
                   "agent_interface": previous["agent_interface"],
                   "supervisor_user_id": previous["supervisor_user_id"]}
        target = f"user:{previous['agent']}"
        command = outbox.enqueue(session, actor=ctx.actor.name, action="monitor.stop", target=target,
                                 payload=payload, now=now, ttl_seconds=ttl_seconds)
        audit.append(session, ctx.actor, "monitor.stop", target=target,
                     detail={"call": previous["call_id"], "command": command.id})
        return outbox.view(command)


def bridged_channel(session: Session, interface: str) -> tuple[int, str] | None:
    """(call id, the agent's full bridged channel) while the agent is on a queue call.

    The channel is AgentConnect's DestChannel, which the recorder keeps on the call's
    `connected` event. A prefix such as PJSIP/1001 would also match PJSIP/10010, hence
    the full name."""
    row = session.exec(
        select(CallEvent).join(Call, Call.id == CallEvent.call_id)
        .where(Call.ended_at.is_(None), CallEvent.interface == interface,
               CallEvent.kind.in_(("connected", "completed", "transferred")))
        .order_by(CallEvent.at.desc(), CallEvent.id.desc()).limit(1)
    ).first()
    if row is None or row.kind != "connected":
        return None
    channel = json.loads(row.detail or "{}").get("agent_channel")
    return (row.call_id, channel) if channel else None


def _monitor_session(session: Session, actor: str) -> dict[str, Any] | None:
    """The supervisor's running session: its last monitor command, if it was a spy that
    Asterisk answered (a later stop, or a spy that failed, leaves none)."""
    last = session.exec(select(OutboxCommand).where(OutboxCommand.actor == actor,
                                                    OutboxCommand.action.in_(MONITOR_ACTIONS))
                        .order_by(OutboxCommand.id.desc()).limit(1)).first()
    if last is None or last.action == "monitor.stop":
        return None
    if last.status not in FINISHED:
        raise Conflict(f"your previous monitor command ({last.id}) has not finished yet")
    if last.status != DONE:
        return None
    channel = outbox.outcome_of(last).get("channel")
    return {**outbox.payload_of(last), "channel": channel} if channel else None


# ---------------------------------------------------------------------------- outbound

def dial(ctx: Ctx, number: str, *, now: dt.datetime | None = None,
         ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """Ring the caller's own phone, then dial `number` from it through [outbound] context."""
    digits = _number(number)
    audit.authorize(ctx, "call.dial", target=f"number:{digits}")
    with ctx.db.write() as session:
        me = _phone_owner(session, ctx)
        return _place(ctx, session, me, digits, action="call.dial", origin="outbound", linked=None, now=now,
                      ttl_seconds=ttl_seconds)


def callback(ctx: Ctx, call_id: int, *, now: dt.datetime | None = None,
             ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> CommandView:
    """Dial back the caller of an abandoned or missed call; the new call links to it."""
    audit.authorize(ctx, "call.dial", target=f"call:{call_id}")
    if not allowed(ctx.actor.role, "call.view_all"):
        # Scope is checked in a read first: the refusal's audit entry needs a write of its
        # own, which on SQLite would wait for ours.
        with ctx.db.read() as session:
            call = session.get(Call, call_id)
            mine = call is None or _own_call(session, ctx, call)
        if not mine:
            reason = f"call {call_id} is not one of yours (your queues, or it rang you)"
            audit.record_refusal(ctx, "call.dial", target=f"call:{call_id}", reason=reason)
            raise PermissionDenied(f"permission denied: {reason}")
    with ctx.db.write() as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound(f"no call {call_id}")
        me = _phone_owner(session, ctx)
        if call.ended_at is None:
            raise BadInput(f"call {call_id} is still going on")
        if call.disposition == ANSWERED:
            raise BadInput(f"call {call_id} was answered: nothing to call back")
        if not call.caller_num:
            raise BadInput(f"call {call_id} has no caller number (withheld)")
        return _place(ctx, session, me, _number(call.caller_num), action="call.callback", origin="callback",
                      linked=call.id, now=now, ttl_seconds=ttl_seconds)


def _place(ctx: Ctx, session: Session, me: User, number: str, *, action: str, origin: str, linked: int | None,
           now: dt.datetime | None, ttl_seconds: float) -> CommandView:
    payload = {"channel": ctx.config.outbound.originate_channel.format(extension=me.extension),
               "context": ctx.config.outbound.context, "number": number, "origin": origin,
               "caller_id": f'"{me.full_name or me.name}" <{me.extension}>', "user_id": me.id,
               "interface": me.interface, "agent_name": me.name, "linked_call_id": linked}
    target = f"call:{linked}" if linked else f"number:{number}"
    command = outbox.enqueue(session, actor=ctx.actor.name, action=action, target=target, payload=payload,
                             now=now, ttl_seconds=ttl_seconds)
    audit.append(session, ctx.actor, action, target=target, detail={"number": number, "command": command.id})
    return outbox.view(command)


def _own_call(session: Session, ctx: Ctx, call: Call) -> bool:
    """An agent's own call to call back: it rang or reached the agent, or it waited in one of its queues."""
    me = session.get(User, ctx.actor.user_id) if ctx.actor.user_id is not None else None
    if me is None:
        return False
    if call.agent_user_id == me.id or (call.queue and call.queue in queues_of(session, me.id)):
        return True
    mine = CallEvent.user_id == me.id
    if me.interface:
        mine = mine | (CallEvent.interface == me.interface)
    return session.exec(select(CallEvent.id).where(CallEvent.call_id == call.id, mine).limit(1)).first() is not None


def _number(text: str) -> str:
    number = NUMBER_PUNCTUATION.sub("", text or "")
    if not NUMBER.match(number):
        raise BadInput(f"bad number {text!r}: digits, optionally with a leading +")
    return number


def _phone_owner(session: Session, ctx: Ctx) -> User:
    """The acting person, who must have a phone AIIVR can ring (its extension)."""
    if ctx.actor.user_id is None:
        raise BadInput(f"{ctx.actor.name} is not a person with a phone")
    me = session.get(User, ctx.actor.user_id)
    if me is None or not me.extension:
        raise BadInput("you have no extension: an admin sets one (`user add --extension`) so AIIVR can ring your phone")
    return me


# ---------------------------------------------------------------------------- waiting

def wait(ctx: Ctx, command: CommandView, *, timeout: float | None = None) -> CommandView:
    """Until Asterisk answered and the recorder wrote its confirming event (exit 4 otherwise)."""
    if timeout is None:
        timeout = outbox.WAIT_SECONDS + (outbox.RING_SECONDS if command.action in ORIGINATES else 0)
    return outbox.wait(ctx.db, command.id, confirm=confirmations.check_for(command.action),
                       what=f"{command.action} {command.target}", timeout=timeout)
