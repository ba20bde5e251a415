"""Supervisor monitoring (ChanSpy), recordings (MixMonitor), CSAT, the PBX's lifecycle and Originate results."""

from __future__ import annotations

from aiivr.events import (
    CsatScored,
    OriginateResult,
    PbxBooted,
    PbxShuttingDown,
    RecordingFileNamed,
    RecordingStarted,
    RecordingStopped,
    SpyStarted,
    SpyStopped,
)
from pbx_bridge.ami_fields import MAX_TEXT, ident, integer, text
from pbx_bridge.translator.common import NO_CHANNEL_IDS, NO_EVENTS, Events, Handler, Message, dropped

#: UserEvent name the CSAT survey dialplan raises: UserEvent(AiivrCsat,Linkedid: ...,Score: 4).
CSAT_USER_EVENT = "aiivrcsat"  # compared case-insensitively
CSAT_SCORES = range(1, 6)


# --------------------------------------------------------------------------------------------
# Supervisor monitoring


def _spy_handler(event_type: type[SpyStarted] | type[SpyStopped]) -> Handler:
    def _on_spy_event(m: Message, ts: float, system: str) -> Events:
        get = m.get
        spyer, spyee = ident(get("SpyerUniqueid")), ident(get("SpyeeUniqueid"))
        if not spyer or not spyee:
            return dropped(m, ts, system, "no usable SpyerUniqueid or SpyeeUniqueid")
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
            return dropped(m, ts, system, NO_CHANNEL_IDS)
        return (event_type(ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel"))),)

    return _on_recording_event


def _on_recording_file_named(m: Message, ts: float, system: str) -> Events:
    """VarSet MIXMONITOR_FILENAME: MixMonitorStart itself names no file."""
    get = m.get
    uniqueid, linkedid = ident(get("Uniqueid")), ident(get("Linkedid"))
    if not uniqueid or not linkedid:
        return dropped(m, ts, system, NO_CHANNEL_IDS)
    path = text(get("Value"))
    if not path:
        return dropped(m, ts, system, "empty MIXMONITOR_FILENAME", uniqueid)
    if len(path) >= MAX_TEXT:
        return dropped(m, ts, system, "MIXMONITOR_FILENAME too long to be a path", uniqueid)
    return (
        RecordingFileNamed(
            ts=ts, system=system, uniqueid=uniqueid, linkedid=linkedid, channel=text(get("Channel")), path=path
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
        return dropped(m, ts, system, "no usable Linkedid")
    score = integer(get("Score"))
    if score not in CSAT_SCORES:
        return dropped(m, ts, system, "Score is not a whole number from 1 to 5", ident(get("Uniqueid")))
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


def _on_Shutdown(m: Message, ts: float, system: str) -> Events:
    return (PbxShuttingDown(ts=ts, system=system),)


def _on_OriginateResponse(m: Message, ts: float, system: str) -> Events:
    get = m.get
    action_id = text(get("ActionID"))
    if not action_id:
        return dropped(m, ts, system, "no ActionID to match the Originate")
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
