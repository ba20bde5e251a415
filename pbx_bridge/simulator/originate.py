"""AMI Originate: what the lab's dialplan does with each kind of call AIIVR (or a test) places.

- `Local/<ext>@phones/n` into the spy context, exten listen|whisper|barge, Variable SPY=<agent
  channel>: the supervisor's phone answers at once and ChanSpy()s the agent's bridged channel
  (ChanSpyStart; ChanSpyStop when the phone hangs up or the spied call ends).
- `Local/<ext>@phones/n` into any other context with a number as exten: the person's phone
  answers, the call is recorded and dials the number (`Local/<number>@pstn/n`), which rings,
  answers (or is busy), talks and hangs up. The person is busy meanwhile: no queue call rings it.
- `Local/<queue>@caller/n` with Application=Wait Data=<seconds>: a customer who calls the
  queue and stays on the line that long, with the lab's knobs TALK, RING, CSAT, TIMEOUT and
  NOANSWER (docs/lab.md), so lab-style scenarios run against the simulator too.

Every Originate is answered "Originate successfully queued" and then an OriginateResponse (the
transport treats both as asynchronous). Anything else fails the way Asterisk's does: an
OriginateResponse with Response Failure and Reason 0.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pbx_bridge.simulator.inbound import Originated, QueueCall
from pbx_bridge.simulator.model import RINGING, UP, Agent, Channel
from pbx_bridge.simulator.scheduler import Timer

if TYPE_CHECKING:
    from pbx_bridge.simulator.world import World

SPY_MODES = ("listen", "whisper", "barge")
LAB_TALK, LAB_RING, LAB_TIMEOUT = 4.0, 1.0, 120.0  # extensions.conf's defaults for the knobs
_LOCAL = re.compile(r"^Local/([^@/]+)@([^/]+?)(/n)?$")
_NUMBER = re.compile(r"^\+?[0-9]{2,}$")
_CALLERID = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')
REASON_FAILED, REASON_BUSY, REASON_ANSWERED = 0, 5, 4


def variables(value) -> dict[str, str]:
    """Originate's Variable headers: repeated, or several joined by commas in one."""
    items = value if isinstance(value, list) else [value] if value else []
    out: dict[str, str] = {}
    for item in items:
        for pair in str(item).split(","):
            name, sep, val = pair.partition("=")
            if sep:
                out[name.strip().lstrip("_")] = val.strip()
    return out


def caller_id(value: str, default_num: str, default_name: str) -> tuple[str, str]:
    """`"Name" <num>`, `Name <num>` or a bare number."""
    if not value:
        return default_num, default_name
    match = _CALLERID.match(value)
    if match:
        return match.group(2).strip() or default_num, match.group(1).strip() or default_name
    return value.strip(), default_name


def originate(world: "World", headers: dict) -> str | None:
    """Start what an Originate asks for. Returns an error message for an immediate
    `Response: Error`, or None (the OriginateResponse follows as an event)."""
    channel = str(headers.get("channel", "")).strip()
    if not channel:
        return "Channel not specified"
    action_id = str(headers.get("actionid", ""))
    context = str(headers.get("context", ""))
    exten = str(headers.get("exten", ""))
    application = str(headers.get("application", ""))
    data = str(headers.get("data", ""))
    if not application and not exten:
        return "Exten not specified"
    knobs = variables(headers.get("variable"))
    match = _LOCAL.match(channel)
    where = match.group(2) if match else ""
    if where == "phones" and not application:
        ext = match.group(1)
        num, name = caller_id(str(headers.get("callerid", "")), ext, "")
        if exten in SPY_MODES and knobs.get("SPY"):
            SpySession(world, ext, context, exten, knobs["SPY"], action_id, (num, name)).start()
            return None
        if _NUMBER.match(exten):
            OutboundCall(world, ext, context, exten, action_id, (num, name)).start()
            return None
    elif where == "caller" and application.lower() == "wait" and match.group(1) in world.queues:
        _customer(world, match.group(1), action_id, data, knobs, str(headers.get("callerid", "")))
        return None
    world.ami.originate_response(action_id, False, None, REASON_FAILED, channel_name=channel,
                                 application=application, data=data, context=context, exten=exten)
    return None


def _customer(world: "World", queue: str, action_id: str, data: str, knobs: dict[str, str], callerid: str) -> None:
    num, name = caller_id(callerid, world.people_draws.caller_number(), "Customer")
    noanswer = knobs.get("NOANSWER", "")
    never = frozenset({"all"}) if noanswer in ("1", "all") else frozenset(filter(None, noanswer.split("&")))
    csat = knobs.get("CSAT", "")
    call = QueueCall(world, world.queues[queue], num, name,
                     talk=_seconds(knobs.get("TALK"), LAB_TALK), ring=_seconds(knobs.get("RING"), LAB_RING),
                     stay=_seconds(data, None), timeout=_seconds(knobs.get("TIMEOUT"), LAB_TIMEOUT),
                     csat=int(csat) if csat.isdigit() else None, noanswer=never,
                     originated=Originated(action_id, data))
    call.start()


def _seconds(text, default):
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


class _PhoneCall:
    """A person's phone, originated by AMI: it answers at once (the lab's [phones])."""

    def __init__(self, world: "World", ext: str, context: str, exten: str, action_id: str,
                 cid: tuple[str, str]) -> None:
        self.world, self.ext, self.context, self.exten = world, ext, context, exten
        self.action_id, self.cid = action_id, cid
        self.one = self.two = None
        self.timers: list[Timer] = []

    def _answer(self) -> Channel:
        w, ami = self.world, self.world.ami
        one, two = w.local_pair(self.ext, "phones", owner=self)
        self.one, self.two = one, two
        w.announce_pair(one, two, *self.cid)
        ami.dial_begin(None, one, f"{self.ext}@phones/n")
        for ch in (two, one):
            ch.state = UP
            ami.newstate(ch)
        ami.dial_end(None, one, "ANSWER")
        # The originated ;1 half goes on into Context/Exten, the ;2 half is the phone itself.
        one.context, one.exten = self.context, self.exten
        ami.originate_response(self.action_id, True, one, REASON_ANSWERED, channel_name=one.name,
                               context=self.context, exten=self.exten)
        ami.device_state(f"Local/{self.ext}@phones", "INUSE")
        return one

    def _hang_up_phone(self) -> None:
        w, ami = self.world, self.world.ami
        for timer in self.timers:
            timer.cancel()
        ami.soft_hangup_request(self.one)
        ami.hangup_request(self.two)
        w.hang_up(self.one)
        ami.soft_hangup_request(self.two)
        w.hang_up(self.two)
        ami.device_state(f"Local/{self.ext}@phones", "NOT_INUSE")


class SpySession(_PhoneCall):
    """Listen, whisper or barge: ChanSpy(${SPY},qEb[w|B]) on the supervisor's phone."""

    def __init__(self, world, ext, context, mode, target, action_id, cid) -> None:
        super().__init__(world, ext, context, mode, action_id, cid)
        self.target = target
        self.spyee: Channel | None = None

    def start(self) -> None:
        self.world.stats.spies += 1
        one = self._answer()
        one.application, one.app_data = "ChanSpy", self.target
        spyee = self._find_target()
        if spyee is not None and spyee.owner.add_spy(self):
            self.spyee = spyee
            self.world.ami.chanspy("ChanSpyStart", one, spyee)
        else:  # nothing bridged by that name: ChanSpy returns and the dialplan hangs up
            self._hang_up_phone()

    def _find_target(self) -> Channel | None:
        """ChanSpy matches a channel name prefix; `b` keeps only channels in a bridge."""
        exact = self.world.channels.get(self.target)
        if exact is not None and exact.bridge and hasattr(exact.owner, "add_spy"):
            return exact
        for ch in self.world.channels.values():
            if ch.name.startswith(self.target) and ch.bridge and hasattr(ch.owner, "add_spy"):
                return ch
        return None

    def _stop(self) -> None:
        if self.spyee is not None:
            self.world.ami.chanspy("ChanSpyStop", self.one, self.spyee)
            self.spyee = None
            self._hang_up_phone()

    def spyee_gone(self) -> None:
        """The spied call ended: option E ends the spy too."""
        self._stop()

    def hangup_requested(self, ch: Channel) -> None:
        if self.spyee is not None and getattr(self.spyee.owner, "spies", None) is not None:
            try:
                self.spyee.owner.spies.remove(self)
            except ValueError:
                pass
        self._stop()


class OutboundCall(_PhoneCall):
    """A person's phone dials out: [outbound] records and Dial()s Local/<number>@pstn/n."""

    def __init__(self, world, ext, context, number, action_id, cid) -> None:
        super().__init__(world, ext, context, number, action_id, cid)
        self.agent: Agent | None = world.by_extension.get(ext)
        self.far_one = self.far_two = None
        self.bridge = ""
        self.connected_at: float | None = None
        self.talk_seconds = 0.0
        self.spies: list = []
        self.ended = False

    def start(self) -> None:
        w, ami = self.world, self.world.ami
        if self.agent is not None and self.agent.busy is not None:
            # One call at a time: the phone is busy.
            ami.originate_response(self.action_id, False, None, REASON_BUSY,
                                   channel_name=f"Local/{self.ext}@phones/n", context=self.context, exten=self.exten)
            return
        w.stats.outbound += 1
        if self.agent is not None and not self.cid[1]:
            self.cid = (self.cid[0], self.agent.full_name)
        one = self._answer()
        if self.agent is not None:
            self.agent.busy = self
            w.member_status_changed(self.agent)
        self.recording = w.recordings.path_for("outbound", one.uniqueid, w.clock.epoch)
        ami.varset(one, "MIXMONITOR_FILENAME", self.recording)
        ami.mixmonitor_start(one)
        ami.hangup_handler_push(one)
        far_one, far_two = w.local_pair(self.exten, "pstn", linkedid=one.linkedid, owner=self)
        self.far_one, self.far_two = far_one, far_two
        w.announce_pair(far_one, far_two, *self.cid)
        one.application, one.app_data = "Dial", f"Local/{self.exten}@pstn/n,60"
        ami.dial_begin(one, far_one, f"{self.exten}@pstn/n")
        far_one.state = RINGING
        ami.newstate(far_one)
        ami.dial_state(one, far_one, "RINGING")
        ring = w.people_draws.lognormal(w.profile.outbound_ring_median, 0.4)
        answered = w.people_draws.chance(w.profile.outbound_answer_probability)
        self.timers.append(w.scheduler.after(ring, self._far_answers if answered else self._far_busy))

    def add_spy(self, spy) -> bool:
        if self.connected_at is None or self.ended:
            return False
        self.spies.append(spy)
        return True

    def _far_answers(self) -> None:
        w, ami = self.world, self.world.ami
        for ch in (self.far_two, self.far_one):
            ch.state = UP
            ami.newstate(ch)
        ami.dial_end(self.one, self.far_one, "ANSWER")
        self.bridge = w.bridge_id()
        ami.bridge_create(self.bridge)
        self.far_one.bridge = self.one.bridge = self.bridge
        ami.bridge_enter(self.bridge, self.far_one, 1)
        ami.bridge_enter(self.bridge, self.one, 2)
        self.connected_at = w.now
        self.timers.append(w.scheduler.after(w.people_draws.talk(), self._far_hangs_up))

    def _far_busy(self) -> None:
        w, ami = self.world, self.world.ami
        ami.dial_end(self.one, self.far_one, "BUSY")
        ami.hangup_request(self.far_two, 17)
        w.hang_up(self.far_one, 17)
        w.hang_up(self.far_two, 17)
        self._phone_done()

    def _far_hangs_up(self) -> None:
        w, ami = self.world, self.world.ami
        ami.soft_hangup_request(self.far_two)
        ami.hangup_request(self.far_one)
        w.hang_up(self.far_two)
        self._leave_bridge()
        w.hang_up(self.far_one)
        self._phone_done()

    def _leave_bridge(self) -> None:
        ami = self.world.ami
        if self.bridge:
            self.talk_seconds = self.world.now - self.connected_at
            self.far_one.bridge = self.one.bridge = ""
            ami.bridge_leave(self.bridge, self.far_one, 1)
            ami.bridge_leave(self.bridge, self.one, 0)
            ami.bridge_destroy(self.bridge)
            self.bridge = ""
        spies, self.spies = self.spies, []
        for spy in spies:
            spy.spyee_gone()

    def _phone_done(self) -> None:
        w, ami = self.world, self.world.ami
        self.ended = True
        ami.hangup_handler_run(self.one)
        w.recordings.write(self.recording, self.talk_seconds)
        ami.mixmonitor_stop(self.one)
        self._hang_up_phone()
        if self.agent is not None:
            agent = self.agent
            agent.busy = None
            agent.last_call_end, agent.last_call_epoch = w.now, w.epoch_int()
            w.member_status_changed(agent)
            w.agent_freed(agent)

    def hangup_requested(self, ch: Channel) -> None:
        """The person hangs up (phone side) or the far end does."""
        if self.ended:
            return
        w, ami = self.world, self.world.ami
        for timer in self.timers:
            timer.cancel()
        if ch is self.far_one or ch is self.far_two or self.bridge:
            if not self.bridge:  # still ringing: the far end rejects
                self._far_busy()
                return
            self._far_hangs_up()
            return
        ami.dial_end(self.one, self.far_one, "CANCEL")  # the person gave up while it rang
        ami.hangup_request(self.far_two, 0)
        w.hang_up(self.far_one, 0)
        w.hang_up(self.far_two, 0)
        self._phone_done()
