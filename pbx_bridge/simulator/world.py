"""The simulated contact centre: queues, agents, callers, and what Asterisk would say about them.

One World is one PBX. Time is simulated (clock.py); every change happens inside
`run_until(t)` or inside an operation an AMI action asked for (actions.py), and is reported as
AMI events through the Emitter. The flows (inbound.py, originate.py) build the calls; people.py
decides what the simulated people do; routing.py picks who rings.

Rules kept everywhere, and checked by the tests:
- an agent has at most one ring or call at a time (Agent.busy);
- a paused member is never rung (routing.can_take_call);
- every caller who joins a queue leaves it answered, abandoned or timed out.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

from pbx_bridge.simulator import routing
from pbx_bridge.simulator.clock import VirtualClock
from pbx_bridge.simulator.events import Emitter, Event
from pbx_bridge.simulator.inbound import QueueCall
from pbx_bridge.simulator.model import DOWN, RING, Agent, Channel, Member, Queue
from pbx_bridge.simulator.people import People
from pbx_bridge.simulator.recordings import RecordingWriter
from pbx_bridge.simulator.roster import Roster
from pbx_bridge.simulator.scheduler import Scheduler
from pbx_bridge.simulator.traffic import Draws, Profile


@dataclass
class Stats:
    offered: int = 0  # callers who joined a queue
    answered: int = 0
    abandoned: int = 0
    timed_out: int = 0
    ring_no_answer: int = 0
    outbound: int = 0
    spies: int = 0
    csat: int = 0


class World:
    def __init__(self, roster: Roster, profile: Profile, *, seed: int = 0, start_epoch: float | None = None,
                 system: str = "aiivr-sim", spool_dir=None, self_wrapup: bool | str = False,
                 arrivals: bool = True, sink: Callable[[Event], None] | None = None,
                 keep_finished: bool = False, open_now: bool = True) -> None:
        """open_now=False: no staff and no callers until open() (the demo first lets serve
        connect and resync, so that it learns the staffing from live events)."""
        self.roster = roster
        self.profile = profile
        self.seed = seed
        self.clock = VirtualClock(time.time() if start_epoch is None else start_epoch)
        self.scheduler = Scheduler(self.clock)
        # Two random streams. Traffic (who calls, when, which queue, how patient, how long they
        # talk) is drawn only as callers arrive, so it never depends on routing or on actions
        # from outside; people and AMI-started calls have their own. A pause AIIVR sends at
        # some wall-clock moment then changes what the people do, never who calls.
        self.rng = random.Random(seed)
        self.draws = Draws(self.rng, profile)
        self.people_draws = Draws(random.Random(f"{seed}:people"), profile)
        self.events: list[Event] = []
        self.ami = Emitter(system, self.clock, sink if sink is not None else self.events.append)
        self.recordings = RecordingWriter(spool_dir, profile.recording_max_seconds)
        self.stats = Stats()
        self.self_wrapup = self_wrapup  # who sends the acw pause after a call: see people.py
        self.queues: dict[str, Queue] = {name: Queue(name, strategy) for name, strategy in roster.queues}
        self.agents: dict[str, Agent] = {}  # interface -> agent
        self.by_extension: dict[str, Agent] = {}
        self.channels: dict[str, Channel] = {}  # live channels by name
        self.open_calls: dict[str, QueueCall] = {}  # by the caller's Uniqueid
        # Ended calls, kept only when asked (tests check each one's outcome).
        self.finished_calls: list[QueueCall] | None = [] if keep_finished else None
        self._uniqueids = count()
        self._locals = count()
        self._bridges = count(1)
        self._pending_dispatch: set[str] = set()
        self._arrivals = None
        self._queue_weights: list[float] | None = None
        self._queue_list: list[Queue] = []
        self.people = People(self)
        self._arrivals_wanted = arrivals
        self.opened = False
        if open_now:
            self.open()

    # ------------------------------------------------------------------ time

    def run_until(self, until: float) -> None:
        self.scheduler.run_until(until)

    def next_due(self) -> float | None:
        return self.scheduler.next_due()

    @property
    def now(self) -> float:
        return self.clock.now

    def epoch_int(self) -> int:
        return int(self.clock.epoch)

    def open(self) -> None:
        """Staff the queues (QueueMemberAdded, and the breaks some start the day on) and open
        the lines. Everything here happens at the present simulated second."""
        if self.opened:
            return
        self.opened = True
        self._staff()
        if self._arrivals_wanted:
            self._open_lines()
            self._schedule_arrival()

    def rebase(self, epoch: float) -> None:
        """Let the present simulated second stand for `epoch` (wall-clock seconds): the
        Timestamps of what follows count from there."""
        self.clock.start_epoch = epoch - self.clock.now

    def stop_arrivals(self) -> None:
        """No new callers from now on (the ones in the building carry on): for draining."""
        if self._arrivals is not None:
            self._arrivals.cancel()
            self._arrivals = None

    # ------------------------------------------------------------------ ids and channels

    def uniqueid(self) -> str:
        return f"{self.ami.system}-{self.epoch_int()}.{next(self._uniqueids)}"

    def bridge_id(self) -> str:
        return str(uuid.UUID(int=(self.seed & 0xFFFFFFFF) << 64 | next(self._bridges), version=4))

    def local_pair(self, exten: str, context: str, *, linkedid: str | None = None,
                   owner: object = None) -> tuple[Channel, Channel]:
        """A Local channel pair `Local/<exten>@<context>-XXXXXXXX;1/;2` (the ;1 half Down, the
        ;2 half Ring), registered as live; the caller emits its events."""
        base = f"Local/{exten}@{context}-{next(self._locals):08x}"
        one_id = self.uniqueid()
        linked = linkedid or one_id
        one = Channel(f"{base};1", one_id, linked, context, exten, self.now, DOWN, owner=owner)
        two = Channel(f"{base};2", self.uniqueid(), linked, context, exten, self.now, RING, owner=owner)
        self.channels[one.name] = one
        self.channels[two.name] = two
        return one, two

    def announce_pair(self, one: Channel, two: Channel, cid_num: str, cid_name: str) -> None:
        """Newchannel ×2, caller id on both halves, LocalBridge: how every Local pair starts."""
        ami = self.ami
        ami.newchannel(one)
        ami.newchannel(two)
        for ch in (one, two):
            ch.cid_num, ch.cid_name = cid_num, cid_name
            ami.newcallerid(ch)
            ch.conn_num, ch.conn_name = cid_num, cid_name
            ami.newconnectedline(ch)
        ami.local_bridge(one, two)

    def hang_up(self, ch: Channel, cause: int = 16) -> None:
        self.ami.hangup(ch, cause)
        self.channels.pop(ch.name, None)

    # ------------------------------------------------------------------ staff and membership

    def _staff(self) -> None:
        login = self.epoch_int()
        for spec in self.roster.agents:
            agent = Agent(spec.extension, spec.name, spec.full_name, spec.interface)
            self.agents[agent.interface] = agent
            self.by_extension[agent.extension] = agent
            for queue_name, penalty in spec.queues:
                self._join(self.queues[queue_name], agent, penalty, login)
        self.people.start_shift()

    def _join(self, queue: Queue, agent: Agent, penalty: int, login: int, paused: bool = False,
              reason: str = "") -> Member:
        member = Member(queue, agent, penalty=penalty, login_time=login, paused=paused,
                        paused_reason=reason if paused else "")
        if paused:
            member.last_pause = login
        queue.members[agent.interface] = member
        agent.members[queue.name] = member
        self.ami.member_event("QueueMemberAdded", member)
        return member

    def add_member(self, queue_name: str, interface: str, *, member_name: str = "", penalty: int = 0,
                   paused: bool = False, reason: str = "") -> str | None:
        """QueueAdd. Returns Asterisk's error message, or None when done."""
        queue = self.queues.get(queue_name)
        if queue is None:
            return "Unable to add interface to queue: No such queue"
        if interface in queue.members:
            return "Unable to add interface: Already there"
        agent = self.agents.get(interface)
        if agent is None:  # a new person (any Local/<4 digits>@agents/n works in the lab)
            extension = _extension_of(interface)
            agent = Agent(extension, member_name or interface, member_name or interface, interface)
            self.agents[interface] = agent
            if extension:
                self.by_extension.setdefault(extension, agent)
        elif member_name:
            agent.name = member_name
        self._join(queue, agent, penalty, self.epoch_int(), paused, reason)
        self.request_dispatch(queue)
        return None

    def remove_member(self, queue_name: str, interface: str) -> str | None:
        queue = self.queues.get(queue_name)
        if queue is None:
            return "Unable to remove interface from queue: No such queue"
        member = queue.members.pop(interface, None)
        if member is None:
            return "Unable to remove interface: Not there"
        del member.agent.members[queue_name]
        self.ami.member_event("QueueMemberRemoved", member)
        return None

    def members_of(self, interface: str, queue_name: str | None) -> list[Member]:
        agent = self.agents.get(interface)
        if agent is None:
            return []
        if queue_name:
            member = agent.members.get(queue_name)
            return [member] if member is not None else []
        return list(agent.members.values())

    def pause(self, interface: str, queue_name: str | None, paused: bool, reason: str = "", *,
              by_person: bool = False) -> str | None:
        """QueuePause (no queue: every queue of the member, one event per queue)."""
        members = self.members_of(interface, queue_name)
        if not members:
            return "Interface not found"
        epoch = self.epoch_int()
        for member in members:
            member.paused = paused
            member.paused_reason = reason if paused else ""
            if paused:
                member.last_pause = epoch
            self.ami.member_event("QueueMemberPause", member)
            if not paused:
                self.request_dispatch(member.queue)
        self.people.paused_changed(members[0].agent, paused, reason, by_person=by_person)
        return None

    def set_penalty(self, interface: str, queue_name: str | None, penalty: int) -> str | None:
        """QueuePenalty. Asterisk also sends QueueMemberPenalty, which no capture holds, so the
        simulator leaves it out: the member's next QueueMemberStatus carries the penalty."""
        members = self.members_of(interface, queue_name)
        if not members or penalty < 0:
            return "Invalid interface, queuename or penalty"
        for member in members:
            member.penalty = penalty
            self.request_dispatch(member.queue)
        return None

    def member_status_changed(self, agent: Agent) -> None:
        """The agent's device went busy or idle: Asterisk reports it once per queue."""
        for member in agent.members.values():
            self.ami.member_event("QueueMemberStatus", member)

    # ------------------------------------------------------------------ arrivals and routing

    def _open_lines(self) -> None:
        callers = round(len(self.roster.agents) * self.profile.opening_callers_per_agent)
        for when in sorted(self.rng.uniform(0, self.profile.opening_seconds) for _ in range(callers)):
            self.scheduler.after(when, self._arrive_once)

    def _arrive_once(self) -> None:
        QueueCall(self, self._pick_queue(), self.draws.caller_number()).start()

    def _schedule_arrival(self) -> None:
        when = self.draws.next_arrival(self.now)
        self._arrivals = self.scheduler.at(when, self._arrive) if when is not None else None

    def _arrive(self) -> None:
        self._arrive_once()
        self._schedule_arrival()

    def _pick_queue(self) -> Queue:
        """Callers choose queues in proportion to the agents whose main queue it is (the
        staffing was planned for the traffic); a queue nobody staffs gets overflow traffic only
        in proportion to its overflow members, and none if it has no one at all."""
        if self._queue_weights is None:
            weight = {name: 0.0 for name in self.queues}
            for spec in self.roster.agents:
                for queue_name, penalty in spec.queues:
                    weight[queue_name] += 1.0 if penalty == 0 else 0.1
            self._queue_list = list(self.queues.values())
            self._queue_weights = [weight[name] for name in self.queues]
        return self.rng.choices(self._queue_list, self._queue_weights)[0]

    def request_dispatch(self, queue: Queue, at: float | None = None) -> None:
        """Offer this queue's callers to its members soon: after the current step, never in
        the middle of another flow's events."""
        if at is not None and at > self.now:
            self.scheduler.at(at, self._dispatch, queue.name)
            return
        if queue.name not in self._pending_dispatch:
            self._pending_dispatch.add(queue.name)
            self.scheduler.at(self.now, self._dispatch, queue.name)

    def agent_freed(self, agent: Agent) -> None:
        """The agent's ring or call ended: its queues may ring it again after wrap-up."""
        at = max(self.now, agent.last_call_end + self.profile.wrapuptime)
        for member in agent.members.values():
            self.request_dispatch(member.queue, at=at)

    def _dispatch(self, queue_name: str) -> None:
        self._pending_dispatch.discard(queue_name)
        queue = self.queues.get(queue_name)
        if queue is None or not queue.waiting:
            return
        now, wrapuptime = self.now, self.profile.wrapuptime
        available = [m for m in queue.members.values() if routing.can_take_call(m, now, wrapuptime)]
        for call in list(queue.waiting):
            if not available:
                break
            if call.rings or call.next_try > now:
                continue
            chosen = routing.choose(queue, available)
            for member in chosen:
                call.ring(member)
            taken = {m.agent.interface for m in chosen}
            available = [m for m in available if m.agent.interface not in taken]


def _extension_of(interface: str) -> str:
    """1001 from Local/1001@agents/n; "" for anything else."""
    if interface.startswith("Local/") and "@" in interface:
        return interface[6:].split("@", 1)[0]
    return ""

