"""AMI message -> domain events, as pure functions.

`Translator.translate(message)` looks the message's Event up in a table of small `_on_<Event>`
handlers (cacofonisk-style) and returns a tuple of `aiivr.events` objects. The live transport
calls it once per message; `pbx_bridge.replay` feeds it a recorded capture; the tests do both.

Cost rules, because this runs on every AMI message (tens of thousands a second under load):
- An event we do not handle costs one dict miss and returns the shared empty tuple.
- VarSet is two thirds of all traffic; it is routed on its Variable before anything else, so only
  the few variables we need (recording file, queue exit status, AIIVR's origin tag) cost more.
  DialBegin likewise costs one set lookup unless it dials from an outbound context.
- No regexes, no exceptions on well-formed input, one small frozen object per domain event.

Robustness rules: a message may be missing headers, carry lists where text is expected, or be
huge. Nothing here raises on bad input. A message whose identity fields (Uniqueid, Linkedid,
Queue, Interface...) are unusable is dropped with a TranslationIssue saying why; a message whose
measures (hold, talk, ring time) are garbled still yields its event, with None in those fields and
a TranslationIssue beside it. Free text is cut to MAX_TEXT. Details in docs/call-model.md.

Stateless on purpose: the same message always gives the same events, so a replay, a reconnect or
a restart gives the same answer, and the recorder's idempotency (keyed by Uniqueid/Linkedid) is
all the bookkeeping needed. The one thing that would tempt state, MixMonitor's file name, comes
out as its own event (RecordingFileNamed) for the recorder to join by channel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from aiivr.events import (
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    AgentRinging,
    CallerAbandoned,
    CallerIdChanged,
    CallerJoinedQueue,
    CallerLeftQueue,
    CallTransferred,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelOriginTagged,
    ChannelSnapshot,
    ChannelUnheld,
    CompletedBy,
    CsatScored,
    Direction,
    DomainEvent,
    MemberAdded,
    MemberPaused,
    MemberRemoved,
    MemberSnapshot,
    MemberStatus,
    OriginateResult,
    OutboundAnswered,
    OutboundDialed,
    PbxBooted,
    QueueEntrySnapshot,
    QueueExitStatus,
    QueueParamsSnapshot,
    QueueSummarySnapshot,
    RecordingFileNamed,
    RecordingStarted,
    RecordingStopped,
    SnapshotCompleted,
    SpyStarted,
    SpyStopped,
    TransferKind,
    TranslationIssue,
)
from pbx_bridge.ami_fields import (
    MAX_TEXT,
    caller_text,
    decimal,
    device_state,
    epoch,
    event_time,
    flag,
    hms_seconds,
    ident,
    integer,
    text,
)
from pbx_bridge.direction import DirectionRules

Message = Mapping[str, object]
Events = tuple[DomainEvent, ...]
Handler = Callable[[Message, float, str], Events]

NO_EVENTS: Events = ()

#: The channel variable AIIVR sets on every Originate it sends (Variable: AIIVR_ORIGIN=outbound),
#: so its calls are recognised from their first channel on. Inherited forms count too.
AIIVR_ORIGIN_VARIABLE = "AIIVR_ORIGIN"
#: UserEvent name the CSAT survey dialplan raises: UserEvent(AiivrCsat,Linkedid: ...,Score: 4).
CSAT_USER_EVENT = "aiivrcsat"  # compared case-insensitively
CSAT_SCORES = range(1, 6)

_COMPLETED_BY = {"agent": CompletedBy.AGENT, "caller": CompletedBy.CALLER, "transfer": CompletedBy.TRANSFER}


# --------------------------------------------------------------------------------------------
# Shared pieces


def _source(message: Message) -> str:
    return text(message.get("Event"))


def _dropped(message: Message, ts: float, system: str, reason: str, uniqueid: str = "") -> Events:
    return (
        TranslationIssue(
            ts=ts, system=system, source_event=_source(message), reason=reason, dropped=True, uniqueid=uniqueid
        ),
    )


def _degraded(message: Message, ts: float, system: str, reason: str, uniqueid: str) -> TranslationIssue:
    return TranslationIssue(
        ts=ts, system=system, source_event=_source(message), reason=reason, dropped=False, uniqueid=uniqueid
    )


_NO_CHANNEL_IDS = "no usable Uniqueid or Linkedid"


# --------------------------------------------------------------------------------------------
# Channels


def _newchannel_handler(classify: Callable[[str], Direction]) -> Handler:
    def _on_Newchannel(m: Message, ts: float, system: str) -> Events:
        get = m.get
        uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
        if not uniqueid or not linkedid:
            return _dropped(m, ts, system, _NO_CHANNEL_IDS)
        context = text(get("Context"))
        return (
            ChannelCreated(
                ts=ts,
                system=system,
                uniqueid=uniqueid,
                linkedid=linkedid,
                channel=text(get("Channel")),
                context=context,
                exten=text(get("Exten")),
                caller_num=caller_text(get("CallerIDNum")),
                caller_name=caller_text(get("CallerIDName")),
                direction=classify(context),
            ),
        )

    return _on_Newchannel


def _dial_begin_handler(classify: Callable[[str], Direction]) -> Handler:
    # Dialplan contexts are only visible here: the outbound context never creates a channel of
    # its own (an Originate or a phone enters it, then Dial creates the far end elsewhere).
    def _on_DialBegin(m: Message, ts: float, system: str) -> Events:
        get = m.get
        context = text(get("Context"))  # a repeated header reads as its first value
        if not context or classify(context) is not Direction.OUTBOUND:
            return NO_EVENTS  # queue and internal dials: three per queue call, all noise here
        uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
        if not uniqueid or not linkedid:
            return _dropped(m, ts, system, _NO_CHANNEL_IDS)
        return (
            OutboundDialed(
                ts=ts,
                system=system,
                uniqueid=uniqueid,
                linkedid=linkedid,
                channel=text(get("Channel")),
                context=context,
                number=text(get("Exten")),
                dest_channel=text(get("DestChannel")),
                dest_uniqueid=ident(get("DestUniqueid")),
            ),
        )

    return _on_DialBegin


def _dial_end_handler(classify: Callable[[str], Direction]) -> Handler:
    def _on_DialEnd(m: Message, ts: float, system: str) -> Events:
        get = m.get
        if text(get("DialStatus")) != "ANSWER":
            return NO_EVENTS  # busy, no answer, cancel: the call's hangup tells the rest
        context = text(get("Context"))
        if not context or classify(context) is not Direction.OUTBOUND:
            return NO_EVENTS  # queue and internal dials: the queue events say who answered
        uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
        if not uniqueid or not linkedid:
            return _dropped(m, ts, system, _NO_CHANNEL_IDS)
        return (
            OutboundAnswered(
                ts=ts,
                system=system,
                uniqueid=uniqueid,
                linkedid=linkedid,
                channel=text(get("Channel")),
                context=context,
                number=text(get("Exten")),
                caller_num=caller_text(get("CallerIDNum")),
                dest_channel=text(get("DestChannel")),
            ),
        )

    return _on_DialEnd


def _on_NewCallerid(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    return (
        CallerIdChanged(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=text(get("Channel")),
            caller_num=caller_text(get("CallerIDNum")),
            caller_name=caller_text(get("CallerIDName")),
        ),
    )


def _on_Hangup(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    return (
        ChannelHungUp(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=text(get("Channel")),
            cause=integer(get("Cause")),
            cause_text=text(get("Cause-txt")),
        ),
    )


def _on_Hold(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    return (
        ChannelHeld(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=text(get("Channel")),
            music_class=text(get("MusicClass")),
        ),
    )


def _on_Unhold(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    return (ChannelUnheld(ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel"))),)


def _on_CoreShowChannel(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    return (
        ChannelSnapshot(
            ts=ts,
            system=system,
            uniqueid=uniqueid,
            linkedid=linkedid,
            channel=text(get("Channel")),
            context=text(get("Context")),
            exten=text(get("Exten")),
            caller_num=caller_text(get("CallerIDNum")),
            caller_name=caller_text(get("CallerIDName")),
            connected_num=caller_text(get("ConnectedLineNum")),
            connected_name=caller_text(get("ConnectedLineName")),
            state=text(get("ChannelStateDesc")),
            application=text(get("Application")),
            application_data=text(get("ApplicationData")),
            duration_seconds=hms_seconds(get("Duration")),
            bridge_id=text(get("BridgeId")),
            action_id=text(get("ActionID")),
        ),
    )


# --------------------------------------------------------------------------------------------
# Transfers


def _on_BlindTransfer(m: Message, ts: float, system: str) -> Events:
    get = m.get
    transferer = ident(get("TransfererUniqueid"))
    if not transferer:
        return _dropped(m, ts, system, "no usable TransfererUniqueid")
    result = text(get("Result"))
    return (
        CallTransferred(
            ts=ts,
            system=system,
            kind=TransferKind.BLIND,
            result=result,
            succeeded=result == "Success",
            transferer_channel=text(get("TransfererChannel")),
            transferer_uniqueid=transferer,
            transferer_linkedid=ident(get("TransfererLinkedid")),
            transferee_channel=text(get("TransfereeChannel")),
            transferee_uniqueid=ident(get("TransfereeUniqueid")),
            transferee_linkedid=ident(get("TransfereeLinkedid")),
            target_channel="",
            target_uniqueid="",
            target_linkedid="",
            target_exten=text(get("Extension")),
            target_context=text(get("Context")),
            consult_linkedid="",
        ),
    )


def _on_AttendedTransfer(m: Message, ts: float, system: str) -> Events:
    get = m.get
    transferer = ident(get("OrigTransfererUniqueid"))
    if not transferer:
        return _dropped(m, ts, system, "no usable OrigTransfererUniqueid")
    result = text(get("Result"))
    return (
        CallTransferred(
            ts=ts,
            system=system,
            kind=TransferKind.ATTENDED,
            result=result,
            succeeded=result == "Success",
            transferer_channel=text(get("OrigTransfererChannel")),
            transferer_uniqueid=transferer,
            transferer_linkedid=ident(get("OrigTransfererLinkedid")),
            transferee_channel=text(get("TransfereeChannel")),
            transferee_uniqueid=ident(get("TransfereeUniqueid")),
            transferee_linkedid=ident(get("TransfereeLinkedid")),
            target_channel=text(get("TransferTargetChannel")),
            target_uniqueid=ident(get("TransferTargetUniqueid")),
            target_linkedid=ident(get("TransferTargetLinkedid")),
            target_exten="",
            target_context="",
            consult_linkedid=ident(get("SecondTransfererLinkedid")),
        ),
    )


# --------------------------------------------------------------------------------------------
# Queue callers


def _on_QueueCallerJoin(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid, queue = ident(get("Uniqueid")), ident(get("Linkedid")), ident(get("Queue"))
    if not uniqueid or not linkedid or not queue:
        return _dropped(m, ts, system, "no usable Uniqueid, Linkedid or Queue", uniqueid)
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
        return _dropped(m, ts, system, "no usable Uniqueid, Linkedid or Queue", uniqueid)
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
        return _dropped(m, ts, system, "no usable Uniqueid, Linkedid or Queue", uniqueid)
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
        return event, _degraded(m, ts, system, "HoldTime is not a number", uniqueid)
    return (event,)


def _on_queue_exit_status(m: Message, ts: float, system: str) -> Events:
    """VarSet QUEUESTATUS: how Queue() ended when no agent took the call."""
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    status = text(get("Value"))
    if not status:
        return _dropped(m, ts, system, "empty QUEUESTATUS", uniqueid)
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


def _on_AgentCalled(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not uniqueid or not linkedid or not queue or not interface:
        return _dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
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
        return _dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
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
        return event, _degraded(m, ts, system, "RingTime is not a number", uniqueid)
    return (event,)


def _on_AgentConnect(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not uniqueid or not linkedid or not queue or not interface:
        return _dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
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
        return event, _degraded(m, ts, system, "HoldTime or RingTime is not a number", uniqueid)
    return (event,)


def _on_AgentComplete(m: Message, ts: float, system: str) -> Events:
    uniqueid, linkedid, channel, queue, interface, member_name, agent_channel, agent_uniqueid = _agent_leg(m.get)
    if not uniqueid or not linkedid or not queue or not interface:
        return _dropped(m, ts, system, _NO_AGENT_LEG_IDS, uniqueid)
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
        return event, _degraded(m, ts, system, "HoldTime, TalkTime or Reason is unusable", uniqueid)
    return (event,)


# --------------------------------------------------------------------------------------------
# Queue lists (QueueStatus / QueueSummary replies). They carry no Timestamp or SystemName.


def _on_QueueEntry(m: Message, ts: float, system: str) -> Events:
    get = m.get
    queue, uniqueid = ident(get("Queue")), ident(get("Uniqueid"))
    if not queue or not uniqueid:
        return _dropped(m, ts, system, "no usable Queue or Uniqueid", uniqueid)
    return (
        QueueEntrySnapshot(
            ts=ts,
            system=system,
            queue=queue,
            uniqueid=uniqueid,
            channel=text(get("Channel")),
            caller_num=caller_text(get("CallerIDNum")),
            caller_name=caller_text(get("CallerIDName")),
            position=integer(get("Position")),
            wait_seconds=integer(get("Wait")),
            action_id=text(get("ActionID")),
        ),
    )


def _on_QueueParams(m: Message, ts: float, system: str) -> Events:
    get = m.get
    queue = ident(get("Queue"))
    if not queue:
        return _dropped(m, ts, system, "no usable Queue")
    return (
        QueueParamsSnapshot(
            ts=ts,
            system=system,
            queue=queue,
            strategy=text(get("Strategy")),
            max_callers=integer(get("Max")),
            calls=integer(get("Calls")),
            hold_seconds=integer(get("Holdtime")),
            talk_seconds=integer(get("TalkTime")),
            completed=integer(get("Completed")),
            abandoned=integer(get("Abandoned")),
            service_level_seconds=integer(get("ServiceLevel")),
            service_level_perf=decimal(get("ServicelevelPerf")),
            weight=integer(get("Weight")),
            action_id=text(get("ActionID")),
        ),
    )


def _on_QueueSummary(m: Message, ts: float, system: str) -> Events:
    get = m.get
    queue = ident(get("Queue"))
    if not queue:
        return _dropped(m, ts, system, "no usable Queue")
    return (
        QueueSummarySnapshot(
            ts=ts,
            system=system,
            queue=queue,
            logged_in=integer(get("LoggedIn")),
            available=integer(get("Available")),
            callers=integer(get("Callers")),
            hold_seconds=integer(get("HoldTime")),
            talk_seconds=integer(get("TalkTime")),
            longest_hold_seconds=integer(get("LongestHoldTime")),
            action_id=text(get("ActionID")),
        ),
    )


def _list_completed(list_name: str) -> Handler:
    def _on_list_complete(m: Message, ts: float, system: str) -> Events:
        return (
            SnapshotCompleted(
                ts=ts,
                system=system,
                list_name=list_name,
                action_id=text(m.get("ActionID")),
                item_count=integer(m.get("ListItems")),
            ),
        )

    return _on_list_complete


# --------------------------------------------------------------------------------------------
# Queue members. The state events say MemberName/Interface, the QueueStatus list says
# Name/Location; both become the one MemberState shape.


def _member_fields(m: Message, interface_key: str, name_key: str) -> dict[str, object] | None:
    get = m.get
    queue, interface = ident(get("Queue")), ident(get(interface_key))
    if not queue or not interface:
        return None
    return {
        "queue": queue,
        "interface": interface,
        "member_name": text(get(name_key)),
        "state_interface": text(get("StateInterface")),
        "membership": text(get("Membership")),
        "penalty": integer(get("Penalty")),
        "calls_taken": integer(get("CallsTaken")),
        "last_call": epoch(get("LastCall")),
        "last_pause": epoch(get("LastPause")),
        "login_time": epoch(get("LoginTime")),
        "in_call": flag(get("InCall")),
        "device_state": device_state(get("Status")),
        "paused": flag(get("Paused")),
        "paused_reason": text(get("PausedReason")),
        "wrapup_seconds": integer(get("Wrapuptime")),
    }


def _member_handler(event_type: type[DomainEvent]) -> Handler:
    def _on_member_event(m: Message, ts: float, system: str) -> Events:
        fields = _member_fields(m, "Interface", "MemberName")
        if fields is None:
            return _dropped(m, ts, system, "no usable Queue or Interface")
        return (event_type(ts=ts, system=system, **fields),)

    return _on_member_event


def _on_QueueMemberPause(m: Message, ts: float, system: str) -> Events:
    fields = _member_fields(m, "Interface", "MemberName")
    if fields is None:
        return _dropped(m, ts, system, "no usable Queue or Interface")
    if fields["paused"] is None:
        return _dropped(m, ts, system, "Paused is neither 1 nor 0")
    return (MemberPaused(ts=ts, system=system, **fields),)  # type: ignore[arg-type]


def _on_QueueMember(m: Message, ts: float, system: str) -> Events:
    fields = _member_fields(m, "Location", "Name")
    if fields is None:
        return _dropped(m, ts, system, "no usable Queue or Location")
    return (MemberSnapshot(ts=ts, system=system, action_id=text(m.get("ActionID")), **fields),)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Supervisor monitoring


def _spy_handler(event_type: type[SpyStarted] | type[SpyStopped]) -> Handler:
    def _on_spy_event(m: Message, ts: float, system: str) -> Events:
        get = m.get
        spyer, spyee = ident(get("SpyerUniqueid")), ident(get("SpyeeUniqueid"))
        if not spyer or not spyee:
            return _dropped(m, ts, system, "no usable SpyerUniqueid or SpyeeUniqueid")
        return (
            event_type(
                ts=ts,
                system=system,
                spyer_channel=text(get("SpyerChannel")),
                spyer_uniqueid=spyer,
                spyer_linkedid=ident(get("SpyerLinkedid")),
                spyee_channel=text(get("SpyeeChannel")),
                spyee_uniqueid=spyee,
                spyee_linkedid=ident(get("SpyeeLinkedid")),
            ),
        )

    return _on_spy_event


# --------------------------------------------------------------------------------------------
# Recordings (MixMonitor) and AIIVR's origin tag


def _recording_handler(event_type: type[RecordingStarted] | type[RecordingStopped]) -> Handler:
    def _on_recording_event(m: Message, ts: float, system: str) -> Events:
        get = m.get
        uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
        if not uniqueid or not linkedid:
            return _dropped(m, ts, system, _NO_CHANNEL_IDS)
        return (event_type(ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel"))),)

    return _on_recording_event


def _on_recording_file_named(m: Message, ts: float, system: str) -> Events:
    """VarSet MIXMONITOR_FILENAME: MixMonitorStart itself names no file."""
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    path = text(get("Value"))
    if not path:
        return _dropped(m, ts, system, "empty MIXMONITOR_FILENAME", uniqueid)
    if len(path) >= MAX_TEXT:
        return _dropped(m, ts, system, "MIXMONITOR_FILENAME too long to be a path", uniqueid)
    return (
        RecordingFileNamed(
            ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel")), path=path
        ),
    )


def _on_origin_tag(m: Message, ts: float, system: str) -> Events:
    get = m.get
    origin = text(get("Value"))
    if not origin:  # the variable was cleared: nothing to say
        return NO_EVENTS
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return _dropped(m, ts, system, _NO_CHANNEL_IDS)
    return (
        ChannelOriginTagged(
            ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel")), origin=origin
        ),
    )


# --------------------------------------------------------------------------------------------
# CSAT, PBX lifecycle, Originate


def _on_UserEvent(m: Message, ts: float, system: str) -> Events:
    get = m.get
    if text(get("UserEvent")).lower() != CSAT_USER_EVENT:
        return NO_EVENTS  # somebody else's user event
    # Raised from a channel, the event carries that channel's own Linkedid first and the survey's
    # explicit Linkedid header after it; the explicit one names the rated call.
    rated = get("Linkedid")
    if type(rated) is list and rated:
        rated = rated[-1]
    linkedid = ident(rated)
    if not linkedid:
        return _dropped(m, ts, system, "no usable Linkedid")
    score = integer(get("Score"))
    if score not in CSAT_SCORES:
        return _dropped(m, ts, system, "Score is not a whole number from 1 to 5", ident(get("Uniqueid")))
    return (
        CsatScored(
            ts=ts,
            system=system,
            linkedid=linkedid,
            score=score,  # type: ignore[arg-type]
            queue=text(get("Queue")),
            uniqueid=ident(get("Uniqueid")),
            channel=text(get("Channel")),
        ),
    )


def _on_FullyBooted(m: Message, ts: float, system: str) -> Events:
    return (
        PbxBooted(
            ts=ts,
            system=system,
            uptime_seconds=integer(m.get("Uptime")),
            last_reload_seconds=integer(m.get("LastReload")),
        ),
    )


def _on_OriginateResponse(m: Message, ts: float, system: str) -> Events:
    get = m.get
    action_id = text(get("ActionID"))
    if not action_id:
        return _dropped(m, ts, system, "no ActionID to match the Originate")
    response = text(get("Response"))
    return (
        OriginateResult(
            ts=ts,
            system=system,
            action_id=action_id,
            succeeded=response == "Success",
            response=response,
            reason=integer(get("Reason")),
            uniqueid=ident(get("Uniqueid")),
            channel=text(get("Channel")),
            context=text(get("Context")),
            exten=text(get("Exten")),
        ),
    )


# --------------------------------------------------------------------------------------------
# The tables and the entry point

_HANDLERS: dict[str, Handler] = {
    "NewCallerid": _on_NewCallerid,
    "Hangup": _on_Hangup,
    "Hold": _on_Hold,
    "Unhold": _on_Unhold,
    "BlindTransfer": _on_BlindTransfer,
    "AttendedTransfer": _on_AttendedTransfer,
    "QueueCallerJoin": _on_QueueCallerJoin,
    "QueueCallerLeave": _on_QueueCallerLeave,
    "QueueCallerAbandon": _on_QueueCallerAbandon,
    "AgentCalled": _on_AgentCalled,
    "AgentRingNoAnswer": _on_AgentRingNoAnswer,
    "AgentConnect": _on_AgentConnect,
    "AgentComplete": _on_AgentComplete,
    "QueueMemberAdded": _member_handler(MemberAdded),
    "QueueMemberRemoved": _member_handler(MemberRemoved),
    "QueueMemberStatus": _member_handler(MemberStatus),
    "QueueMemberPause": _on_QueueMemberPause,
    "QueueMember": _on_QueueMember,
    "QueueEntry": _on_QueueEntry,
    "QueueParams": _on_QueueParams,
    "QueueSummary": _on_QueueSummary,
    "QueueStatusComplete": _list_completed("QueueStatus"),
    "QueueSummaryComplete": _list_completed("QueueSummary"),
    "CoreShowChannel": _on_CoreShowChannel,
    "CoreShowChannelsComplete": _list_completed("CoreShowChannels"),
    "ChanSpyStart": _spy_handler(SpyStarted),
    "ChanSpyStop": _spy_handler(SpyStopped),
    "MixMonitorStart": _recording_handler(RecordingStarted),
    "MixMonitorStop": _recording_handler(RecordingStopped),
    "UserEvent": _on_UserEvent,
    "FullyBooted": _on_FullyBooted,
    "OriginateResponse": _on_OriginateResponse,
    # VarSet, routed by variable name in Translator.translate (the key is never an AMI name).
    "VarSet MIXMONITOR_FILENAME": _on_recording_file_named,
    "VarSet QUEUESTATUS": _on_queue_exit_status,
    "VarSet AIIVR_ORIGIN": _on_origin_tag,
}

# The VarSet variables we read. Inherited variables appear with their _ or __ prefix.
_VARSET_ROUTES: dict[str, str] = {
    "MIXMONITOR_FILENAME": "VarSet MIXMONITOR_FILENAME",
    "QUEUESTATUS": "VarSet QUEUESTATUS",
    AIIVR_ORIGIN_VARIABLE: "VarSet AIIVR_ORIGIN",
    "_" + AIIVR_ORIGIN_VARIABLE: "VarSet AIIVR_ORIGIN",
    "__" + AIIVR_ORIGIN_VARIABLE: "VarSet AIIVR_ORIGIN",
}

#: AMI event names this translator turns into domain events (VarSet only for a few variables).
HANDLED_EVENTS = frozenset({"Newchannel", "DialBegin", "DialEnd", "VarSet", *(name for name in _HANDLERS if " " not in name)})


_WANTED_VARIABLES = frozenset(_VARSET_ROUTES)
_LIFECYCLE_EVENTS = frozenset({"FullyBooted", "Shutdown"})  # the transport itself acts on these
_VARIABLE_LINE = "\r\nVariable: "


def wants_frame(frame: str) -> bool:
    """Whether an AMI frame (its raw text) can mean anything to the translator, decided
    before it is parsed: most of the traffic (Newexten, Newstate, DeviceStateChange, VarSet
    of other variables...) is dropped here for the cost of a string scan.

    Replies and anything carrying an ActionID always pass: they belong to an action."""
    if not frame.startswith("Event: "):
        return True
    end = frame.find("\r\n", 7)
    name = frame[7:end] if end >= 0 else frame[7:]
    if name == "VarSet":
        start = frame.find(_VARIABLE_LINE)
        if start < 0:
            return False
        start += len(_VARIABLE_LINE)
        stop = frame.find("\r\n", start)
        return (frame[start:stop] if stop >= 0 else frame[start:]) in _WANTED_VARIABLES
    return name in HANDLED_EVENTS or name in _LIFECYCLE_EVENTS or "\r\nActionID: " in frame


class Translator:
    """Turns AMI messages into domain events.

    rules: how a new channel's context maps to a direction hint.
    default_system: the SystemName to use when a message has none (list replies such as
        QueueMember never carry one); the transport knows it from CoreSettings.
    strict: re-raise a handler's bug instead of reporting it as a TranslationIssue (tests).
    """

    __slots__ = ("_handlers", "_default_system", "_strict")

    def __init__(self, rules: DirectionRules | None = None, *, default_system: str = "", strict: bool = False):
        handlers = dict(_HANDLERS)
        classify = (rules or DirectionRules()).classify
        handlers["Newchannel"] = _newchannel_handler(classify)
        handlers["DialBegin"] = _dial_begin_handler(classify)
        handlers["DialEnd"] = _dial_end_handler(classify)
        self._handlers = handlers
        self._default_system = default_system
        self._strict = strict

    def translate(self, message: Message, now: float | None = None) -> Events:
        """The domain events one AMI message means (often none). Never raises on bad input.

        now: epoch seconds to use when the message has neither Timestamp nor _rx; the clock is
        read only when needed.
        """
        try:
            name = message.get("Event")
            if name == "VarSet":
                name = _VARSET_ROUTES.get(message.get("Variable"))  # type: ignore[arg-type]
            handler = self._handlers.get(name)  # type: ignore[arg-type]
        except (AttributeError, TypeError):  # not a mapping, or a list where a name should be
            return NO_EVENTS
        if handler is None:
            return NO_EVENTS
        try:
            ts = event_time(message, now)
            system = text(message.get("SystemName")) or self._default_system
            return handler(message, ts, system)
        except Exception as error:  # a bug in a handler must not stop the AMI read loop
            if self._strict:
                raise
            return (
                TranslationIssue(
                    ts=now if now is not None else time.time(),
                    system=self._default_system,
                    source_event=text(name),
                    reason=f"translator error: {type(error).__name__}: {error}"[:MAX_TEXT],
                    dropped=True,
                    uniqueid="",
                ),
            )

    __call__ = translate


_default = Translator()


def translate(message: Message, now: float | None = None) -> Events:
    """translate() with the default direction rules (the reference lab's contexts)."""
    return _default.translate(message, now)
