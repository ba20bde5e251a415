"""When has Asterisk confirmed a command? Read from what the recorder wrote.

Asterisk answering "Success" to an action (the outbox's done) is not yet what the screen
shows: the screen shows what the recorder wrote from Asterisk's events. The CLI waits
for both; these checks are the second half, one per command. Membership and pause are
read from queue_members (QueueMemberAdded/Removed/Pause, per queue), not from the status
row: an agent paused during a call stays on_call until the call ends, but Asterisk has
paused it already.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Callable

from sqlmodel import Session, select

from aiivr.models.agents import QueueMember
from aiivr.models.calls import Call, CallEvent
from aiivr.models.outbox import OutboxCommand
from aiivr.outbox import outcome_of, payload_of

Check = Callable[[Session, OutboxCommand], bool]


def _members(session: Session, interface: str) -> list[QueueMember]:
    return list(session.exec(select(QueueMember).where(QueueMember.interface == interface)))


# Membership is confirmed by QueueMemberAdded/Removed. A penalty is not waited for: a
# member already in the queue gets it by QueuePenalty, and Asterisk's "Interface penalty
# set successfully" is the confirmation then (its QueueMemberPenalty event, read as a
# MemberStatus, brings the new penalty to queue_members a moment later).

def _login(session: Session, command: OutboxCommand) -> bool:
    p = payload_of(command)
    have = {m.queue for m in _members(session, p["interface"])}
    return all(m["queue"] in have for m in p["queues"])


def _logout(session: Session, command: OutboxCommand) -> bool:
    p = payload_of(command)
    return not {m.queue for m in _members(session, p["interface"])} & set(p["queues"])


def _pause(session: Session, command: OutboxCommand) -> bool:
    p = payload_of(command)
    members = _members(session, p["interface"])
    return bool(members) and all(m.paused and m.paused_reason == p["reason"] for m in members)


def _unpause(session: Session, command: OutboxCommand) -> bool:
    return not any(m.paused for m in _members(session, payload_of(command)["interface"]))


def _move(session: Session, command: OutboxCommand) -> bool:
    p = payload_of(command)
    have = {m.queue for m in _members(session, p["interface"])}
    return p["to"] in have and (not p.get("from") or p["from"] not in have)


def _spying(session: Session, command: OutboxCommand) -> bool:
    """ChanSpyStart for our supervisor's channel on the agent's call."""
    p, channel = payload_of(command), outcome_of(command).get("channel")
    since = command.created_at - dt.timedelta(seconds=1)
    rows = session.exec(select(CallEvent.detail).where(CallEvent.call_id == p["call_id"], CallEvent.kind == "spy_start",
                                                       CallEvent.at >= since))
    return any(json.loads(detail or "{}").get("spyer_channel") == channel for detail in rows)


def _placed(session: Session, command: OutboxCommand) -> bool:
    """The outbound call is recorded, and serve has named its agent (and link)."""
    linkedid = outcome_of(command).get("uniqueid")
    call = session.exec(select(Call).where(Call.linkedid == linkedid)).first() if linkedid else None
    return call is not None and call.agent_user_id == payload_of(command)["user_id"]


CHECKS: dict[str, Check] = {
    "agent.login": _login,
    "agent.logout": _logout,
    "agent.pause": _pause,
    "agent.unpause": _unpause,
    "agent.ready": _unpause,
    "agent.move": _move,
    "monitor.listen": _spying,
    "monitor.whisper": _spying,
    "monitor.barge": _spying,
    "monitor.stop": lambda session, command: True,  # Hangup answered: the spy channel is gone
    "call.dial": _placed,
    "call.callback": _placed,
}


def check_for(action: str) -> Check:
    return CHECKS[action]
