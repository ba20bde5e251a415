"""Queue callers (join, leave, abandon, exit status) and the agents offered them."""

from __future__ import annotations

from collections.abc import Callable

from aiivr.events import (
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    AgentRinging,
    CallerAbandoned,
    CallerJoinedQueue,
    CallerLeftQueue,
    CompletedBy,
    QueueExitStatus,
)
from pbx_bridge.ami_fields import caller_text, ident, integer, text
from pbx_bridge.translator.common import NO_CHANNEL_IDS, Events, Message, degraded, dropped

_COMPLETED_BY = {"agent": CompletedBy.AGENT, "caller": CompletedBy.CALLER, "transfer": CompletedBy.TRANSFER}


# --------------------------------------------------------------------------------------------
# Queue callers


def _on_QueueCallerJoin(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid, queue = ident(get("Uniqueid")), ident(get("Linkedid")), ident(get("Queue"))
    if not uniqueid or not linkedid or not queue:
        return dropped(m, ts, system, "no usable Uniqueid, Linkedid or Queue", uniqueid)
    return (
        CallerJoinedQueue(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=text(get("Channel")),
            queue=queue,
            caller_num=caller_text(get("CallerIDNum")),
            caller_name=caller_text(get("CallerIDName")),
            position=integer(get("Position")),
            count=integer(get("Count")),
        ),
    )


def _on_QueueCallerLeave(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid, queue = ident(get("Uniqueid")), ident(get("Linkedid")), ident(get("Queue"))
    if not uniqueid or not linkedid or not queue:
        return dropped(m, ts, system, "no usable Uniqueid, Linkedid or Queue", uniqueid)
    return (
        CallerLeftQueue(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=text(get("Channel")),
            queue=queue,
            position=integer(get("Position")),
            count=integer(get("Count")),
        ),
    )


def _on_QueueCallerAbandon(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid, queue = ident(get("Uniqueid")), ident(get("Linkedid")), ident(get("Queue"))
    if not uniqueid or not linkedid or not queue:
        return dropped(m, ts, system, "no usable Uniqueid, Linkedid or Queue", uniqueid)
    hold = integer(get("HoldTime"))
    event = CallerAbandoned(
        ts=ts,
        system=system,
        uniqueid=uniqueid,
        linkedid=linkedid,
        channel=text(get("Channel")),
        queue=queue,
        position=integer(get("Position")),
        original_position=integer(get("OriginalPosition")),
        hold_seconds=hold,
    )
    if hold is None:
        return event, degraded(m, ts, system, "HoldTime is not a number", uniqueid)
    return (event,)


def _on_queue_exit_status(m: Message, ts: float, system: str) -> Events:
    """VarSet QUEUESTATUS: how Queue() ended when no agent took the call."""
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return dropped(m, ts, system, NO_CHANNEL_IDS)
    status = text(get("Value"))
    if not status:
        return dropped(m, ts, system, "empty QUEUESTATUS", uniqueid)
    return (
        QueueExitStatus(
            ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel")), status=status
        ),
    )


# --------------------------------------------------------------------------------------------
# Agents offered a queue caller. All four share the caller block, the Dest (agent) block and
# the member; what differs is the measures.


def _agent_leg(get: Callable[[str], object]) -> tuple[str, str, str, str, str, str, str, str]:
    return (
        ident(get("Uniqueid")),
        ident(get("Linkedid")),
        text(get("Channel")),
        ident(get("Queue")),
        ident(get("Interface")),
        text(get("MemberName")),
        text(get("DestChannel")),
        ident(get("DestUniqueid")),
    )


_NO_AGENT_LEG_IDS = "no usable Uniqueid, Linkedid, Queue or Interface"
NO_CALLER_CHANNEL = "no caller channel (gone before the event): the member's answered entry in the queue is meant"


def _on_AgentCalled(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not uniqueid or not linkedid or not queue or not interface:
        return dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
    return (
        AgentRinging(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=channel,
            queue=queue,
            interface=interface,
            member_name=member_name,
            agent_channel=agent_channel,
            agent_uniqueid=agent_uniqueid,
        ),
    )


def _on_AgentRingNoAnswer(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not uniqueid or not linkedid or not queue or not interface:
        return dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
    # Unlike AgentConnect's, this RingTime is in milliseconds (8000 for the lab's timeout=8;
    # queue_log's RINGNOANSWER carries the same number).
    ring_ms = integer(m.get("RingTime"))
    event = AgentRingNoAnswer(
        ts=ts,
        system=system,
        uniqueid=uniqueid,
        linkedid=linkedid,
        channel=channel,
        queue=queue,
        interface=interface,
        member_name=member_name,
        agent_channel=agent_channel,
        agent_uniqueid=agent_uniqueid,
        ring_seconds=None if ring_ms is None else ring_ms / 1000,
    )
    if ring_ms is None:
        return event, degraded(m, ts, system, "RingTime is not a number", uniqueid)
    return (event,)


def _on_AgentConnect(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not uniqueid or not linkedid or not queue or not interface:
        return dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
    hold, ring = integer(m.get("HoldTime")), integer(m.get("RingTime"))
    event = AgentConnected(
        ts=ts,
        system=system,
        uniqueid=uniqueid,
        linkedid=linkedid,
        channel=channel,
        queue=queue,
        interface=interface,
        member_name=member_name,
        agent_channel=agent_channel,
        agent_uniqueid=agent_uniqueid,
        hold_seconds=hold,
        ring_seconds=ring,
    )
    if hold is None or ring is None:
        return event, degraded(m, ts, system, "HoldTime or RingTime is not a number", uniqueid)
    return (event,)


def _on_AgentComplete(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not queue or not interface:
        return dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
    issues = []
    if not uniqueid or not linkedid:
        # Asterisk 22 sends AgentComplete without the caller's channel block when that channel
        # was gone by then (seen in the lab; queue_log still has the COMPLETEAGENT). The queue
        # and the member still say which answered entry ended: the recorder finds it.
        uniqueid, linkedid = "", ident(m.get("DestLinkedid"))
        issues.append(degraded(m, ts, system, NO_CALLER_CHANNEL, ""))
    hold, talk = integer(m.get("HoldTime")), integer(m.get("TalkTime"))
    reason = _COMPLETED_BY.get(text(m.get("Reason")))
    event = AgentCompleted(
        ts=ts,
        system=system,
        uniqueid=uniqueid,
        linkedid=linkedid,
        channel=channel,
        queue=queue,
        interface=interface,
        member_name=member_name,
        agent_channel=agent_channel,
        agent_uniqueid=agent_uniqueid,
        hold_seconds=hold,
        talk_seconds=talk,
        reason=reason or CompletedBy.UNKNOWN,
    )
    if hold is None or talk is None or reason is None:
        issues.append(degraded(m, ts, system, "HoldTime, TalkTime or Reason is unusable", uniqueid))
    return (event, *issues)
