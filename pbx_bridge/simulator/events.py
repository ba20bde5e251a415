"""AMI event dicts with exactly the headers Asterisk 22 sends, in its order.

Every shape here was copied from real traffic (tests/fixtures/*.jsonl: the reference capture
and the lab's per-scenario captures); tests/unit/test_simulator_shapes.py holds each event
type the simulator emits to those captures, header by header. Values are strings, as on the
wire. Events the real Asterisk sends but the simulator does not model (Newexten and the other
VarSets, which the product's manager.conf filters out anyway; QueueMemberPenalty; Hold) are
simply never emitted.

Timestamps: the virtual clock's epoch, moved on by at least a microsecond per event, as a real
Asterisk's events are never at the same instant (the recorder's status history relies on it).
"""

from __future__ import annotations

from collections.abc import Callable

from pbx_bridge.simulator.clock import VirtualClock
from pbx_bridge.simulator.model import STATE_DESC, Channel, Member

Event = dict[str, str]

_CHANNEL_FIELDS = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
                   "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten",
                   "Priority", "Uniqueid", "Linkedid")
_KEYS = {prefix: tuple(prefix + name for name in _CHANNEL_FIELDS)
         for prefix in ("", "Dest", "Spyer", "Spyee", "LocalOne", "LocalTwo")}
_BRIDGE_FIELDS = ("BridgeUniqueid", "BridgeType", "BridgeTechnology", "BridgeCreator", "BridgeName",
                  "BridgeNumChannels", "BridgeVideoSourceMode")
_MEMBER_STATE_FIELDS = ("Queue", "MemberName", "Interface", "StateInterface", "Membership", "Penalty",
                        "CallsTaken", "LastCall", "LastPause", "LoginTime", "InCall", "Status", "Paused",
                        "PausedReason", "Ringinuse", "Wrapuptime")

PRIVILEGE = {
    **dict.fromkeys(("AgentCalled", "AgentComplete", "AgentConnect", "AgentRingNoAnswer", "QueueCallerAbandon",
                     "QueueCallerJoin", "QueueCallerLeave", "QueueMemberAdded", "QueueMemberPause",
                     "QueueMemberRemoved", "QueueMemberStatus"), "agent,all"),
    **dict.fromkeys(("HangupHandlerPush", "HangupHandlerRun", "VarSet"), "dialplan,all"),
    "UserEvent": "user,all",
    "FullyBooted": "system,all",
}
CALL_PRIVILEGE = "call,all"
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "No answer"}
CALLING_PRES = "0 (Presentation Allowed, Not Screened)"
RECORDING_STOP_HANDLER = "rec-stop,s,1"


def channel_block(ch: Channel, prefix: str = "") -> dict[str, str]:
    return dict(zip(_KEYS[prefix], (
        ch.name, str(ch.state), STATE_DESC[ch.state], ch.cid_num, ch.cid_name, ch.conn_num, ch.conn_name,
        "en", "", ch.context, ch.exten, str(ch.priority), ch.uniqueid, ch.linkedid)))


def bridge_block(bridge_id: str, channels: int) -> dict[str, str]:
    return dict(zip(_BRIDGE_FIELDS, (bridge_id, "basic", "simple_bridge", "<unknown>", "<unknown>",
                                     str(channels), "none")))


def member_values(member: Member) -> tuple:
    """Queue, MemberName, Interface, StateInterface, Membership, Penalty, CallsTaken, LastCall,
    LastPause, LoginTime, InCall, Status, Paused, PausedReason (the shared part of both shapes)."""
    agent = member.agent
    return (member.queue.name, agent.name, agent.interface, agent.interface, "dynamic", str(member.penalty),
            str(member.calls_taken), str(agent.last_call_epoch), str(member.last_pause), str(member.login_time),
            "1" if member.in_call else "0", str(member.status), "1" if member.paused else "0",
            member.paused_reason)


class Emitter:
    """Builds events and hands each one to `sink` (the world's event list or the server)."""

    __slots__ = ("system", "clock", "sink", "_last")

    def __init__(self, system: str, clock: VirtualClock, sink: Callable[[Event], None]) -> None:
        self.system = system
        self.clock = clock
        self.sink = sink
        self._last = 0  # microseconds

    def _head(self, name: str) -> Event:
        # Whole microseconds, as Asterisk prints them: exact, and strictly increasing.
        us = round(self.clock.epoch * 1_000_000)
        if us <= self._last:
            us = self._last + 1
        self._last = us
        return {"Event": name, "Privilege": PRIVILEGE.get(name, CALL_PRIVILEGE),
                "Timestamp": f"{us // 1_000_000}.{us % 1_000_000:06d}", "SystemName": self.system}

    def _channel_event(self, name: str, ch: Channel, **extra: str) -> None:
        event = self._head(name)
        event.update(channel_block(ch))
        event.update(extra)
        self.sink(event)

    def _dial_event(self, name: str, caller: Channel | None, dest: Channel, **extra: str) -> None:
        event = self._head(name)
        if caller is not None:  # an Originate's first leg has no calling channel
            event.update(channel_block(caller))
        event.update(channel_block(dest, "Dest"))
        event.update(extra)
        self.sink(event)

    # ---------------------------------------------------------------- channels

    def newchannel(self, ch: Channel) -> None:
        self._channel_event("Newchannel", ch)

    def newcallerid(self, ch: Channel) -> None:
        self._channel_event("NewCallerid", ch, **{"CID-CallingPres": CALLING_PRES})

    def newconnectedline(self, ch: Channel) -> None:
        self._channel_event("NewConnectedLine", ch)

    def newstate(self, ch: Channel) -> None:
        self._channel_event("Newstate", ch)

    def local_bridge(self, one: Channel, two: Channel) -> None:
        event = self._head("LocalBridge")
        event.update(channel_block(one, "LocalOne"))
        event.update(channel_block(two, "LocalTwo"))
        event.update(Context=one.context, Exten=one.exten, LocalOptimization="No")
        self.sink(event)

    def device_state(self, device: str, state: str) -> None:
        event = self._head("DeviceStateChange")
        event.update(Device=device, State=state)
        self.sink(event)

    def varset(self, ch: Channel, variable: str, value: str) -> None:
        self._channel_event("VarSet", ch, Variable=variable, Value=value)

    def soft_hangup_request(self, ch: Channel, cause: int = 16) -> None:
        self._channel_event("SoftHangupRequest", ch, Cause=str(cause))

    def hangup_request(self, ch: Channel, cause: int = 16) -> None:
        self._channel_event("HangupRequest", ch, Cause=str(cause))

    def hangup(self, ch: Channel, cause: int = 16) -> None:
        self._channel_event("Hangup", ch, Cause=str(cause), **{"Cause-txt": CAUSE_TEXT.get(cause, "Unknown")})

    # ---------------------------------------------------------------- dialling and bridges

    def dial_begin(self, caller: Channel | None, dest: Channel, dial_string: str) -> None:
        self._dial_event("DialBegin", caller, dest, DialString=dial_string)

    def dial_state(self, caller: Channel, dest: Channel, status: str) -> None:
        self._dial_event("DialState", caller, dest, DialStatus=status)

    def dial_end(self, caller: Channel | None, dest: Channel, status: str) -> None:
        self._dial_event("DialEnd", caller, dest, DialStatus=status)

    def _bridge_event(self, name: str, bridge_id: str, channels: int, ch: Channel | None = None) -> None:
        event = self._head(name)
        event.update(bridge_block(bridge_id, channels))
        if ch is not None:
            event.update(channel_block(ch))
        self.sink(event)

    def bridge_create(self, bridge_id: str) -> None:
        self._bridge_event("BridgeCreate", bridge_id, 0)

    def bridge_enter(self, bridge_id: str, ch: Channel, channels: int) -> None:
        self._bridge_event("BridgeEnter", bridge_id, channels, ch)

    def bridge_leave(self, bridge_id: str, ch: Channel, channels: int) -> None:
        self._bridge_event("BridgeLeave", bridge_id, channels, ch)

    def bridge_destroy(self, bridge_id: str) -> None:
        self._bridge_event("BridgeDestroy", bridge_id, 0)

    # ---------------------------------------------------------------- recording

    def mixmonitor_start(self, ch: Channel) -> None:
        self._channel_event("MixMonitorStart", ch)

    def mixmonitor_stop(self, ch: Channel) -> None:
        self._channel_event("MixMonitorStop", ch)

    def hangup_handler_push(self, ch: Channel) -> None:
        self._channel_event("HangupHandlerPush", ch, Handler=RECORDING_STOP_HANDLER)

    def hangup_handler_run(self, ch: Channel) -> None:
        self._channel_event("HangupHandlerRun", ch, Handler=RECORDING_STOP_HANDLER)

    # ---------------------------------------------------------------- queues

    def queue_caller_join(self, ch: Channel, queue: str, position: int, count: int) -> None:
        self._channel_event("QueueCallerJoin", ch, Queue=queue, Position=str(position), Count=str(count))

    def queue_caller_leave(self, ch: Channel, queue: str, position: int, count: int) -> None:
        self._channel_event("QueueCallerLeave", ch, Queue=queue, Position=str(position), Count=str(count))

    def queue_caller_abandon(self, ch: Channel, queue: str, position: int, original: int, hold: int) -> None:
        self._channel_event("QueueCallerAbandon", ch, Queue=queue, Position=str(position),
                            OriginalPosition=str(original), HoldTime=str(hold))

    def _agent_event(self, name: str, caller: Channel, dest: Channel, member: Member, **extra: str) -> None:
        self._dial_event(name, caller, dest, Queue=member.queue.name, Interface=member.agent.interface,
                         MemberName=member.agent.name, **extra)

    def agent_called(self, caller: Channel, dest: Channel, member: Member) -> None:
        self._agent_event("AgentCalled", caller, dest, member)

    def agent_ring_no_answer(self, caller: Channel, dest: Channel, member: Member, ring_ms: int) -> None:
        # RingTime is in milliseconds here and in seconds in AgentConnect (docs/call-model.md).
        self._agent_event("AgentRingNoAnswer", caller, dest, member, RingTime=str(ring_ms))

    def agent_connect(self, caller: Channel, dest: Channel, member: Member, hold: int, ring: int) -> None:
        self._agent_event("AgentConnect", caller, dest, member, HoldTime=str(hold), RingTime=str(ring))

    def agent_complete(self, caller: Channel, dest: Channel, member: Member, hold: int, talk: int,
                       reason: str) -> None:
        self._agent_event("AgentComplete", caller, dest, member, HoldTime=str(hold), TalkTime=str(talk),
                          Reason=reason)

    def member_event(self, name: str, member: Member) -> None:
        """QueueMemberAdded, QueueMemberRemoved, QueueMemberStatus or QueueMemberPause."""
        event = self._head(name)
        event.update(zip(_MEMBER_STATE_FIELDS, (*member_values(member), "0", "0")))
        self.sink(event)

    # ---------------------------------------------------------------- supervisors, surveys, originate

    def chanspy(self, name: str, spyer: Channel, spyee: Channel) -> None:
        """ChanSpyStart or ChanSpyStop (they look the same in every mode)."""
        event = self._head(name)
        event.update(channel_block(spyer, "Spyer"))
        event.update(channel_block(spyee, "Spyee"))
        self.sink(event)

    def csat(self, ch: Channel, queue: str, score: int) -> None:
        self._channel_event("UserEvent", ch, UserEvent="AiivrCsat", Queue=queue, Score=str(score))

    def originate_response(self, action_id: str, ok: bool, ch: Channel | None, reason: int, *,
                           channel_name: str, application: str = "", data: str = "", context: str = "",
                           exten: str = "") -> None:
        """The two shapes Asterisk uses: Application/Data, or Context/Exten."""
        event = self._head("OriginateResponse")
        event.update(ActionID=action_id, Response="Success" if ok else "Failure", Channel=channel_name)
        if application:
            event.update(Application=application, Data=data)
        else:
            event.update(Context=context, Exten=exten)
        event.update(Reason=str(reason), Uniqueid=ch.uniqueid if ch is not None else "<null>",
                     CallerIDNum=ch.cid_num if ch is not None else "<unknown>",
                     CallerIDName=ch.cid_name if ch is not None else "<unknown>")
        self.sink(event)


def fully_booted(uptime: int, last_reload: int) -> Event:
    """What Asterisk sends right after a successful Login: no Timestamp, no SystemName."""
    return {"Event": "FullyBooted", "Privilege": "system,all", "Uptime": str(uptime),
            "LastReload": str(last_reload), "Status": "Fully Booted"}
