"""Channels and calls: new channels, caller id, hangups, hold, outbound dials, transfers, the
CoreShowChannels list and AIIVR's origin tag."""

from __future__ import annotations

from collections.abc import Callable

from aiivr.events import (
    CallTransferred,
    CallerIdChanged,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelOriginTagged,
    ChannelSnapshot,
    ChannelUnheld,
    Direction,
    OutboundAnswered,
    OutboundDialed,
    TransferKind,
)
from pbx_bridge.ami_fields import caller_text, hms_seconds, ident, integer, text
from pbx_bridge.translator.common import NO_CHANNEL_IDS, NO_EVENTS, Events, Handler, Message, dropped

#: The channel variable AIIVR sets on every Originate it sends (Variable: AIIVR_ORIGIN=outbound),
#: so its calls are recognised from their first channel on. Inherited forms count too.
AIIVR_ORIGIN_VARIABLE = "AIIVR_ORIGIN"


# --------------------------------------------------------------------------------------------
# Channels


def _newchannel_handler(classify: Callable[[str], Direction]) -> Handler:
    def _on_Newchannel(m: Message, ts: float, system: str) -> Events:
        get = m.get
        uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
        if not uniqueid or not linkedid:
            return dropped(m, ts, system, NO_CHANNEL_IDS)
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
            return dropped(m, ts, system, NO_CHANNEL_IDS)
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
            return dropped(m, ts, system, NO_CHANNEL_IDS)
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
        return dropped(m, ts, system, NO_CHANNEL_IDS)
    if uniqueid != linkedid:
        # A call's caller is its first channel's (docs/call-model.md); the later channels' caller
        # ids (an agent's leg, a Local channel's ;2) are half of all NewCallerids and say nothing.
        return NO_EVENTS
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
        return dropped(m, ts, system, NO_CHANNEL_IDS)
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
        return dropped(m, ts, system, NO_CHANNEL_IDS)
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
        return dropped(m, ts, system, NO_CHANNEL_IDS)
    return (ChannelUnheld(ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel"))),)


def _on_CoreShowChannel(m: Message, ts: float, system: str) -> Events:
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return dropped(m, ts, system, NO_CHANNEL_IDS)
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
        return dropped(m, ts, system, "no usable TransfererUniqueid")
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
        return dropped(m, ts, system, "no usable OrigTransfererUniqueid")
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
# AIIVR's origin tag (VarSet AIIVR_ORIGIN)


def _on_origin_tag(m: Message, ts: float, system: str) -> Events:
    get = m.get
    origin = text(get("Value"))
    if not origin:  # the variable was cleared: nothing to say
        return NO_EVENTS
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return dropped(m, ts, system, NO_CHANNEL_IDS)
    return (
        ChannelOriginTagged(
            ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel")), origin=origin
        ),
    )
