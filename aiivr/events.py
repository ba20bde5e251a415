"""Domain events: what happened on the PBX, in AIIVR's words.

The core defines these types; `pbx_bridge` produces them from AMI messages, and the recorder
persists them. Nothing here knows AMI: field names are ours, units are ours, and the meaning of
each event is written down in docs/call-model.md.

Conventions shared by every event:
- `ts` is the time the PBX says the event happened, in epoch seconds (UTC). The recorder turns
  it into a datetime; keeping a float here makes translation cheap and replays exact.
- `system` is the PBX's SystemName ("" when the PBX sets none). A channel is identified by
  (system, uniqueid), a call by (system, linkedid).
- Text fields are never None: "" means the PBX sent nothing usable. Numbers are None when the PBX
  sent nothing usable (see TranslationIssue for the reason).
- Durations are seconds. Whole-second values stay ints; ring time of a missed ring is a float
  because Asterisk reports it in milliseconds.

Events are frozen, slotted dataclasses with keyword-only fields, so they are cheap, hashable,
compare by value (tests assert exact events) and cannot be mutated by a consumer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

#: The pause reason AIIVR uses for after-call work; an agent paused with it shows as wrap_up.
AFTER_CALL_WORK_REASON = "acw"

#: Queue exit statuses Asterisk's Queue() reports (QUEUESTATUS). A caller who hung up while
#: waiting gets none of these: that is an abandon (CallerAbandoned).
QUEUE_EXIT_TIMEOUT = "TIMEOUT"
QUEUE_EXIT_STATUSES = frozenset(
    {"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "CONTINUE", "WITHDRAW"}
)

_EVENT = dict(frozen=True, slots=True, kw_only=True)


class Direction(StrEnum):
    """Which way a call goes, seen from the contact centre."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class DeviceState(IntEnum):
    """A device's state as Asterisk numbers it (ast_device_state)."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


class CompletedBy(StrEnum):
    """Who ended a queue call that an agent had answered (AgentComplete's Reason)."""

    AGENT = "agent"
    CALLER = "caller"
    TRANSFER = "transfer"
    UNKNOWN = "unknown"


class TransferKind(StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"


# --------------------------------------------------------------------------------------------
# Bases


@dataclass(**_EVENT)
class DomainEvent:
    ts: float
    system: str


@dataclass(**_EVENT)
class ChannelEvent(DomainEvent):
    """Something about one channel (one leg) of a call."""

    uniqueid: str
    linkedid: str
    channel: str


@dataclass(**_EVENT)
class QueueCallerEvent(ChannelEvent):
    """Something about a caller in a queue. The channel fields are the caller's channel; one
    queue entry is (system, uniqueid, queue)."""

    queue: str


@dataclass(**_EVENT)
class AgentLegEvent(QueueCallerEvent):
    """Something about one queue member being offered one queue caller."""

    interface: str  # the member's interface as configured in the queue, e.g. PJSIP/1001
    member_name: str
    agent_channel: str  # the agent's own channel, e.g. Local/1001@agents-00000001;1
    agent_uniqueid: str


# --------------------------------------------------------------------------------------------
# Channels and calls


@dataclass(**_EVENT)
class ChannelCreated(ChannelEvent):
    """A channel was created. `direction` is this channel's hint from the context it was
    created in; the call's direction is decided by the recorder (docs/call-model.md)."""

    context: str
    exten: str
    caller_num: str
    caller_name: str
    direction: Direction


@dataclass(**_EVENT)
class OutboundDialed(ChannelEvent):
    """A channel of the call dialled out from an outbound context: the call is outbound, whether
    AIIVR originated it or an agent's phone dialled. The channel fields are the dialling channel."""

    context: str
    number: str  # the extension dialled in that context
    dest_channel: str
    dest_uniqueid: str


@dataclass(**_EVENT)
class OutboundAnswered(ChannelEvent):
    """The number dialled from an outbound context answered (DialEnd, DialStatus ANSWER).
    The channel fields are the dialling channel; caller_num is its caller ID (an agent's
    phone shows its extension there)."""

    context: str
    number: str
    caller_num: str
    dest_channel: str


@dataclass(**_EVENT)
class CallerIdChanged(ChannelEvent):
    caller_num: str
    caller_name: str


@dataclass(**_EVENT)
class ChannelHungUp(ChannelEvent):
    cause: int | None  # Q.850 cause code
    cause_text: str


@dataclass(**_EVENT)
class ChannelHeld(ChannelEvent):
    music_class: str


@dataclass(**_EVENT)
class ChannelUnheld(ChannelEvent):
    pass


@dataclass(**_EVENT)
class ChannelOriginTagged(ChannelEvent):
    """AIIVR created this channel (an Originate carrying its origin variable), e.g. "outbound",
    "callback" or "monitor". Marks the call as AIIVR's own."""

    origin: str


@dataclass(**_EVENT)
class CallTransferred(DomainEvent):
    """A blind or attended transfer finished (successfully or not).

    blind: the transferer sent the transferee to target_exten@target_context.
    attended: the transferer joined the transferee (original call) with the target (the
    consultation call, whose call id is consult_linkedid)."""

    kind: TransferKind
    result: str  # Success, Fail, Invalid, Not Permitted
    succeeded: bool
    transferer_channel: str
    transferer_uniqueid: str
    transferer_linkedid: str
    transferee_channel: str
    transferee_uniqueid: str
    transferee_linkedid: str
    target_channel: str
    target_uniqueid: str
    target_linkedid: str
    target_exten: str
    target_context: str
    consult_linkedid: str


@dataclass(**_EVENT)
class ChannelSnapshot(ChannelEvent):
    """One live channel from a CoreShowChannels list (resync after a reconnect)."""

    context: str
    exten: str
    caller_num: str
    caller_name: str
    connected_num: str
    connected_name: str
    state: str  # Asterisk's state word: Up, Ring, Ringing, Down, ...
    application: str
    application_data: str
    duration_seconds: int | None
    bridge_id: str
    action_id: str


# --------------------------------------------------------------------------------------------
# Queue callers and agents


@dataclass(**_EVENT)
class CallerJoinedQueue(QueueCallerEvent):
    caller_num: str
    caller_name: str
    position: int | None
    count: int | None  # callers waiting in the queue, this one included


@dataclass(**_EVENT)
class CallerLeftQueue(QueueCallerEvent):
    """The caller left the queue for any reason: answered, abandoned or an exit status."""

    position: int | None
    count: int | None


@dataclass(**_EVENT)
class CallerAbandoned(QueueCallerEvent):
    """The caller hung up while waiting in the queue."""

    position: int | None
    original_position: int | None
    hold_seconds: int | None


@dataclass(**_EVENT)
class QueueExitStatus(ChannelEvent):
    """Queue() returned without an agent; status is one of QUEUE_EXIT_STATUSES (TIMEOUT is the
    queue's own time limit). It names no queue: it belongs to the caller's open queue entry."""

    status: str


@dataclass(**_EVENT)
class AgentRinging(AgentLegEvent):
    pass


@dataclass(**_EVENT)
class AgentRingNoAnswer(AgentLegEvent):
    """The member was rung and did not answer in time: a miss for that agent."""

    ring_seconds: float | None


@dataclass(**_EVENT)
class AgentConnected(AgentLegEvent):
    """The member answered. agent_channel is the full bridged channel name ChanSpy needs."""

    hold_seconds: int | None  # the caller's wait in the queue
    ring_seconds: int | None


@dataclass(**_EVENT)
class AgentCompleted(AgentLegEvent):
    hold_seconds: int | None
    talk_seconds: int | None
    reason: CompletedBy


@dataclass(**_EVENT)
class QueueEntrySnapshot(DomainEvent):
    """One waiting caller from a QueueStatus list (it carries no Linkedid)."""

    queue: str
    uniqueid: str
    channel: str
    caller_num: str
    caller_name: str
    position: int | None
    wait_seconds: int | None
    action_id: str


@dataclass(**_EVENT)
class QueueParamsSnapshot(DomainEvent):
    """A queue's settings and Asterisk's own counters, from a QueueStatus list."""

    queue: str
    strategy: str
    max_callers: int | None  # 0 = no limit
    calls: int | None  # callers waiting now
    hold_seconds: int | None  # Asterisk's running average
    talk_seconds: int | None  # Asterisk's running average
    completed: int | None
    abandoned: int | None
    service_level_seconds: int | None
    service_level_perf: float | None  # percent
    weight: int | None
    action_id: str


@dataclass(**_EVENT)
class QueueSummarySnapshot(DomainEvent):
    queue: str
    logged_in: int | None
    available: int | None
    callers: int | None
    hold_seconds: int | None
    talk_seconds: int | None
    longest_hold_seconds: int | None
    action_id: str


@dataclass(**_EVENT)
class SnapshotCompleted(DomainEvent):
    """A list reply ended. Anything the list did not mention is no longer there."""

    list_name: str  # QueueStatus, QueueSummary or CoreShowChannels
    action_id: str
    item_count: int | None


# --------------------------------------------------------------------------------------------
# Queue members (agents' membership and state). Every member event has the same shape.


@dataclass(**_EVENT)
class MemberState(DomainEvent):
    queue: str
    interface: str
    member_name: str
    state_interface: str
    membership: str  # static, dynamic or realtime
    penalty: int | None
    calls_taken: int | None
    last_call: int | None  # epoch seconds; None when never
    last_pause: int | None  # epoch seconds; None when never
    login_time: int | None  # epoch seconds
    in_call: bool | None
    device_state: DeviceState | None
    paused: bool | None
    paused_reason: str
    wrapup_seconds: int | None


@dataclass(**_EVENT)
class MemberAdded(MemberState):
    pass


@dataclass(**_EVENT)
class MemberRemoved(MemberState):
    pass


@dataclass(**_EVENT)
class MemberPaused(MemberState):
    """The member was paused or unpaused; `paused` is always a bool here. A pause with reason
    AFTER_CALL_WORK_REASON is wrap-up."""

    @property
    def is_after_call_work(self) -> bool:
        return bool(self.paused) and self.paused_reason == AFTER_CALL_WORK_REASON


@dataclass(**_EVENT)
class MemberStatus(MemberState):
    pass


@dataclass(**_EVENT)
class MemberSnapshot(MemberState):
    """One member from a QueueStatus list (resync)."""

    action_id: str


# --------------------------------------------------------------------------------------------
# Supervisor monitoring, recordings, CSAT


@dataclass(**_EVENT)
class SpyEvent(DomainEvent):
    """A supervisor channel spying on an agent channel. Listen, whisper and barge look the same
    on the PBX: the mode is what AIIVR asked for."""

    spyer_channel: str
    spyer_uniqueid: str
    spyer_linkedid: str
    spyee_channel: str
    spyee_uniqueid: str
    spyee_linkedid: str


@dataclass(**_EVENT)
class SpyStarted(SpyEvent):
    pass


@dataclass(**_EVENT)
class SpyStopped(SpyEvent):
    pass


@dataclass(**_EVENT)
class RecordingFileNamed(ChannelEvent):
    """The file the next recording on this channel writes (arrives just before
    RecordingStarted on the same channel). `path` is as the PBX sees it."""

    path: str


@dataclass(**_EVENT)
class RecordingStarted(ChannelEvent):
    pass


@dataclass(**_EVENT)
class RecordingStopped(ChannelEvent):
    pass


@dataclass(**_EVENT)
class CsatScored(DomainEvent):
    linkedid: str  # the rated call
    score: int  # 1..5
    queue: str  # the queue the survey names ("" if none)
    uniqueid: str  # the channel that took the survey ("" if not sent from a channel)
    channel: str


# --------------------------------------------------------------------------------------------
# The PBX itself


@dataclass(**_EVENT)
class PbxBooted(DomainEvent):
    """The PBX is fully booted (sent at each login). A small uptime means it restarted."""

    uptime_seconds: int | None
    last_reload_seconds: int | None


@dataclass(**_EVENT)
class PbxShuttingDown(DomainEvent):
    """Asterisk announced it is going down (Event: Shutdown): the process that answers next
    is a fresh boot, whatever its uptime says."""


@dataclass(**_EVENT)
class OriginateResult(DomainEvent):
    """The outcome of an asynchronous Originate, matched to the command by action_id."""

    action_id: str
    succeeded: bool
    response: str  # Success or Failure
    reason: int | None  # Asterisk's control code: 4 answered, 5 busy, 8 congestion, 0/1/3 failed
    uniqueid: str  # "" when no channel was created
    channel: str
    context: str  # where the answered channel was sent ("" for an Application originate)
    exten: str


# --------------------------------------------------------------------------------------------
# Translation problems


@dataclass(**_EVENT)
class TranslationIssue(DomainEvent):
    """A PBX message we understand was malformed. dropped=True: no event came out of it;
    dropped=False: the events beside this one lack the field named in `reason`."""

    source_event: str
    reason: str
    dropped: bool
    uniqueid: str
