"""AMI message -> domain events, as pure functions.

`Translator.translate(message)` looks the message's Event up in a table of small `_on_<Event>`
handlers (cacofonisk-style) and returns a tuple of `aiivr.events` objects. The live transport
calls it once per message; `pbx_bridge.replay` feeds it a recorded capture; the tests do both.

Cost rules, because this runs on every AMI message (tens of thousands a second under load):
- An event we do not handle costs one dict miss and returns the shared empty tuple.
- VarSet is two thirds of all traffic; it is routed on its Variable before anything else, so only
  the few variables we need (recording file, queue exit status, AIIVR's origin tag) cost more.
  DialBegin likewise costs one set lookup unless it dials from an outbound context.
- Before any of that, the transport skips frames that cannot mean anything without parsing them
  (`Translator.wants`, see frame_filter): four fifths of the reference traffic.
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

The handlers live by area in this package's modules (channels: channels, calls, transfers and
the origin tag; queue_callers: queue callers and the agents offered them; members: queue
members and the queue lists; monitoring: ChanSpy, MixMonitor, CSAT, FullyBooted, Originate);
the one table that routes AMI events to them is _HANDLERS below.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiivr.events import (
    MemberAdded,
    MemberRemoved,
    MemberStatus,
    RecordingStarted,
    RecordingStopped,
    SpyStarted,
    SpyStopped,
    TranslationIssue,
)
from pbx_bridge.ami_fields import MAX_TEXT, event_time, ident, text
from pbx_bridge.direction import DirectionRules
from pbx_bridge.translator.channels import (
    AIIVR_ORIGIN_VARIABLE,
    _dial_begin_handler,
    _dial_end_handler,
    _newchannel_handler,
    _on_AttendedTransfer,
    _on_BlindTransfer,
    _on_CoreShowChannel,
    _on_Hangup,
    _on_Hold,
    _on_NewCallerid,
    _on_origin_tag,
    _on_Unhold,
)
from pbx_bridge.translator.common import NO_EVENTS, Events, Handler, Message
from pbx_bridge.translator.members import (
    _list_completed,
    _member_handler,
    _on_QueueEntry,
    _on_QueueMember,
    _on_QueueMemberPause,
    _on_QueueParams,
    _on_QueueSummary,
)
from pbx_bridge.translator.monitoring import (
    CSAT_SCORES,
    CSAT_USER_EVENT,
    _on_FullyBooted,
    _on_OriginateResponse,
    _on_recording_file_named,
    _on_Shutdown,
    _on_UserEvent,
    _recording_handler,
    _spy_handler,
)
from pbx_bridge.translator.queue_callers import (
    _on_AgentCalled,
    _on_AgentComplete,
    _on_AgentConnect,
    _on_AgentRingNoAnswer,
    _on_queue_exit_status,
    _on_QueueCallerAbandon,
    _on_QueueCallerJoin,
    _on_QueueCallerLeave,
)

__all__ = ["AIIVR_ORIGIN_VARIABLE", "CSAT_SCORES", "CSAT_USER_EVENT", "HANDLED_EVENTS", "NO_EVENTS", "Events",
           "Handler", "Message", "Translator", "frame_filter", "translate", "wants_frame"]


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
    # QueuePenalty's event has QueueMemberStatus's headers: the new penalty is a status change.
    "QueueMemberPenalty": _member_handler(MemberStatus),
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
    "Shutdown": _on_Shutdown,
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
_CONTEXT_LINE = "\r\nContext: "
_UNIQUEID_LINE = "\r\nUniqueid: "
_LINKEDID_LINE = "\r\nLinkedid: "


def _header(frame: str, line: str) -> str | None:
    """The first value of a header in raw frame text (`line` is "\\r\\nKey: "), or None."""
    start = frame.find(line)
    if start < 0:
        return None
    start += len(line)
    stop = frame.find("\r\n", start)
    return frame[start:stop] if stop >= 0 else frame[start:]


def _of_a_later_channel(frame: str) -> bool:
    """Whether the frame surely names a channel other than its call's first: one Uniqueid and
    one Linkedid, both usable, and different. Anything less sure goes on to the translator."""
    uniqueid, linkedid = _header(frame, _UNIQUEID_LINE), _header(frame, _LINKEDID_LINE)
    return (uniqueid is not None and linkedid is not None and uniqueid != linkedid
            and ident(uniqueid) == uniqueid != "" and ident(linkedid) == linkedid != ""
            and frame.count(_UNIQUEID_LINE) == 1 and frame.count(_LINKEDID_LINE) == 1)


def frame_filter(rules: DirectionRules | None = None) -> Callable[[str], bool]:
    """The pre-parse test of the translator built with `rules`: whether an AMI frame (its raw
    text) can mean anything to it. Most of the traffic (Newexten, Newstate, DeviceStateChange,
    VarSet of other variables, dials from queues, caller ids of later channels...) is dropped
    here for the cost of a string scan or two, never parsed.

    Replies and anything carrying an ActionID always pass: they belong to an action."""
    outbound = (rules or DirectionRules()).outbound_contexts

    def wants(frame: str) -> bool:
        if not frame.startswith("Event: "):
            return True
        end = frame.find("\r\n", 7)
        name = frame[7:end] if end >= 0 else frame[7:]
        if name == "VarSet":
            return _header(frame, _VARIABLE_LINE) in _WANTED_VARIABLES
        if name == "DialBegin" or name == "DialEnd":
            # Only a dial from an outbound context means something (OutboundDialed/Answered);
            # a queue call alone makes three pairs of these.
            return _header(frame, _CONTEXT_LINE) in outbound
        if name == "NewCallerid":
            return not _of_a_later_channel(frame)
        return name in HANDLED_EVENTS or name in _LIFECYCLE_EVENTS or "\r\nActionID: " in frame

    return wants


#: The filter of a translator with the default direction rules.
wants_frame = frame_filter()


class Translator:
    """Turns AMI messages into domain events.

    rules: how a new channel's context maps to a direction hint.
    default_system: the SystemName to use when a message has none (list replies such as
        QueueMember never carry one); the transport knows it from CoreSettings.
    strict: re-raise a handler's bug instead of reporting it as a TranslationIssue (tests).
    """

    __slots__ = ("_handlers", "_default_system", "_strict", "wants")

    def __init__(self, rules: DirectionRules | None = None, *, default_system: str = "", strict: bool = False):
        handlers = dict(_HANDLERS)
        classify = (rules or DirectionRules()).classify
        handlers["Newchannel"] = _newchannel_handler(classify)
        handlers["DialBegin"] = _dial_begin_handler(classify)
        handlers["DialEnd"] = _dial_end_handler(classify)
        self._handlers = handlers
        # The transport's pre-parse test for this translator (see frame_filter).
        self.wants = frame_filter(rules)
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
