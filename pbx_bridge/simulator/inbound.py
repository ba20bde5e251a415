"""One customer calling a queue, from the first channel to the last hangup.

The event sequences follow the lab's captures of the real Asterisk 22 running the project's
dialplan (tests/fixtures/lab-answered, -abandoned, -timeout, -ringnoanswer, -two-queues): the
customer is a Local pair in [caller] (`;1` waits, `;2` records with MixMonitor(...,b), pushes
the recording-stop hangup handler and runs Queue() in [queue-call]); each member rung is a
Local pair in [agents]; after the agent hangs up the customer continues (QUEUESTATUS=CONTINUE)
to the CSAT survey (UserEvent AiivrCsat).

States: waiting (in the queue, maybe ringing members) -> connected -> survey -> ended, or
waiting -> ended (abandoned: the caller hung up; timed out: the queue gave up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx_bridge.simulator.model import RINGING, UP, Channel, Member
from pbx_bridge.simulator.scheduler import Timer

if TYPE_CHECKING:
    from pbx_bridge.simulator.world import World

WAITING, CONNECTED, SURVEY, ENDED = "waiting", "connected", "survey", "ended"
ANSWERED, ABANDONED, TIMED_OUT = "answered", "abandoned", "timed_out"


class Ring:
    """One member being rung for this caller."""

    __slots__ = ("member", "one", "two", "started", "timers")

    def __init__(self, member: Member, one: Channel, two: Channel, started: float) -> None:
        self.member, self.one, self.two, self.started = member, one, two, started
        self.timers: list[Timer] = []


class Originated:
    """How the caller came in when an AMI Originate placed it (the lab's customer model)."""

    __slots__ = ("action_id", "data")

    def __init__(self, action_id: str, data: str) -> None:
        self.action_id, self.data = action_id, data


class QueueCall:
    def __init__(self, world: "World", queue, caller_num: str, caller_name: str = "Customer", *,
                 talk: float | None = None, ring: float | None = None, patience: float | None = None,
                 stay: float | None = None, timeout: float | None = None, csat: int | None | bool = True,
                 noanswer: frozenset[str] = frozenset(), originated: Originated | None = None) -> None:
        self.world = world
        self.queue = queue
        self.cid_num, self.cid_name = caller_num, caller_name
        self._talk, self._ring, self._timeout = talk, ring, timeout
        # stay: the caller hangs up this long after arriving, whatever happens (the lab's Wait).
        self._stay = stay
        self._patience = stay if patience is None else patience
        self._csat = csat  # True: draw one; None/False: no survey; an int: that score
        self._noanswer = noanswer  # extensions (or "all") that never answer this call
        self.originated = originated
        self.state = WAITING
        self.outcome: str | None = None
        self.rings: dict[str, Ring] = {}  # interface -> ring
        self.next_try = 0.0
        self.spies: list = []
        self.member: Member | None = None
        self.agent_one = self.agent_two = None
        self.bridge = ""
        self.joined = self.connected_at = 0.0
        self.hold = 0
        self.talk_seconds = 0.0
        self.score: int | None = None
        self._timers: list[Timer] = []

    # ------------------------------------------------------------------ arrival

    def start(self) -> None:
        w, ami, queue = self.world, self.world.ami, self.queue
        one, two = w.local_pair(queue.name, "caller", owner=self)
        self.one, self.two = one, two
        w.announce_pair(one, two, self.cid_num, self.cid_name)
        if self.originated is not None:
            ami.dial_begin(None, one, f"{queue.name}@caller/n")
        for ch in (two, one):
            ch.state = UP
            ami.newstate(ch)
        one.application, one.app_data = "Wait", self.originated.data if self.originated else ""
        if self.originated is not None:
            ami.dial_end(None, one, "ANSWER")
            ami.originate_response(self.originated.action_id, True, one, 4, channel_name=one.name,
                                   application="Wait", data=self.originated.data)
        ami.device_state(f"Local/{queue.name}@caller", "INUSE")
        self.recording = w.recordings.path_for(queue.name, two.uniqueid, w.clock.epoch)
        two.priority = 7
        ami.varset(two, "MIXMONITOR_FILENAME", self.recording)
        ami.mixmonitor_start(two)
        ami.hangup_handler_push(two)
        two.context, two.priority, two.application, two.app_data = "queue-call", 1, "Queue", f"{queue.name},c"
        queue.waiting.append(self)
        self.joined = w.now
        self.original_position = len(queue.waiting)
        ami.queue_caller_join(two, queue.name, self.original_position, len(queue.waiting))
        w.stats.offered += 1
        w.open_calls[two.uniqueid] = self
        # Everything about the caller is drawn now, in arrival order (see World: traffic stream).
        if self._csat is True:
            self.score = w.draws.csat()
        elif isinstance(self._csat, int) and not isinstance(self._csat, bool):
            self.score = self._csat
        self._talk_drawn = self._talk if self._talk is not None else w.draws.talk()
        self._caller_ends = self._talk is None and w.draws.chance(w.profile.caller_ends_probability)
        patience = self._patience if self._patience is not None else w.draws.patience()
        timeout = self._timeout if self._timeout is not None else w.profile.queue_timeout
        if patience < timeout:
            self._timers.append(w.scheduler.after(patience, self.abandon))
        else:
            self._timers.append(w.scheduler.after(timeout, self.time_out))
        w.request_dispatch(queue)

    # ------------------------------------------------------------------ ringing members

    def ring(self, member: Member) -> None:
        w, ami, agent = self.world, self.world.ami, member.agent
        one, two = w.local_pair(agent.extension, "agents", linkedid=self.one.linkedid, owner=self)
        ring = Ring(member, one, two, w.now)
        self.rings[agent.interface] = ring
        agent.busy = ring
        w.announce_pair(one, two, self.cid_num, self.cid_name)
        ami.agent_called(self.two, one, member)
        ami.dial_begin(self.two, one, agent.interface)
        one.state, one.exten = RINGING, self.queue.name
        ami.newstate(one)
        ami.device_state(f"Local/{agent.extension}@agents", "INUSE")
        w.member_status_changed(agent)
        ami.dial_state(self.two, one, "RINGING")
        if "all" in self._noanswer or agent.extension in self._noanswer:
            delay = None
        elif self._ring is not None:
            delay = self._ring
        else:
            delay = w.people.answer_delay(agent)
        timeout = w.profile.member_timeout
        if delay is not None and delay < timeout:
            ring.timers.append(w.scheduler.after(delay, self._answered, ring))
        ring.timers.append(w.scheduler.after(timeout, self._ring_timeout, ring))

    def _drop_ring(self, ring: Ring, status: str) -> None:
        """End one ring without a connection (no answer, cancelled, the caller left)."""
        w, ami, agent = self.world, self.world.ami, ring.member.agent
        for timer in ring.timers:
            timer.cancel()
        self.rings.pop(agent.interface, None)
        ami.dial_end(self.two, ring.one, status)
        ami.hangup_request(ring.two, 0)
        w.hang_up(ring.one, 0)
        ami.device_state(f"Local/{agent.extension}@agents", "NOT_INUSE")
        ami.soft_hangup_request(ring.two)
        agent.busy = None
        w.member_status_changed(agent)
        w.hang_up(ring.two, 0)
        w.agent_freed(agent)

    def _ring_timeout(self, ring: Ring) -> None:
        if self.rings.get(ring.member.agent.interface) is not ring:
            return
        w = self.world
        w.ami.agent_ring_no_answer(self.two, ring.one, ring.member, int(round((w.now - ring.started) * 1000)))
        w.stats.ring_no_answer += 1
        self._drop_ring(ring, "NOANSWER")
        if not self.rings and self.state == WAITING:
            self.next_try = w.now + w.profile.retry
            w.request_dispatch(self.queue, at=self.next_try)

    # ------------------------------------------------------------------ connected

    def _answered(self, ring: Ring) -> None:
        if self.state != WAITING or self.rings.get(ring.member.agent.interface) is not ring:
            return
        w, ami, queue = self.world, self.world.ami, self.queue
        for timer in ring.timers:
            timer.cancel()
        del self.rings[ring.member.agent.interface]
        for other in list(self.rings.values()):  # ringall: the others stop ringing
            self._drop_ring(other, "CANCEL")
        self._cancel_timers()
        member, one, two = ring.member, ring.one, ring.two
        member.agent.busy = self
        member.in_call = True
        for ch in (two, one):
            ch.state = UP
            ami.newstate(ch)
        ami.dial_end(self.two, one, "ANSWER")
        position = queue.position_of(self)
        queue.waiting.remove(self)
        ami.queue_caller_leave(self.two, queue.name, position, len(queue.waiting))
        self.hold = int(w.now - self.joined)
        ami.agent_connect(self.two, one, member, self.hold, int(w.now - ring.started))
        self.bridge = w.bridge_id()
        ami.bridge_create(self.bridge)
        one.bridge = self.two.bridge = self.bridge
        ami.bridge_enter(self.bridge, one, 1)
        ami.bridge_enter(self.bridge, self.two, 2)
        self.state, self.outcome = CONNECTED, ANSWERED
        self.member, self.agent_one, self.agent_two = member, one, two
        self.connected_at = w.now
        w.stats.answered += 1
        talk, caller_ends = self._talk_drawn, self._caller_ends
        if self._stay is not None and self.joined + self._stay < w.now + talk:
            talk, caller_ends = self.joined + self._stay - w.now, True
        self._timers.append(w.scheduler.after(talk, self.end_by_caller if caller_ends else self.end_by_agent))

    def add_spy(self, spy) -> bool:
        if self.state != CONNECTED:
            return False
        self.spies.append(spy)
        return True

    def end_by_agent(self) -> None:
        """The agent hangs up; the customer goes on to the survey (Queue option c)."""
        if self.state != CONNECTED:
            return
        w, ami = self.world, self.world.ami
        self._cancel_timers()
        one, two, bridge = self.agent_one, self.agent_two, self.bridge
        ami.soft_hangup_request(two)
        ami.hangup_request(one)
        self.talk_seconds = w.now - self.connected_at
        ami.agent_complete(self.two, one, self.member, self.hold, int(self.talk_seconds), "agent")
        w.hang_up(two)
        one.bridge = ""
        ami.bridge_leave(bridge, one, 1)
        w.hang_up(one)
        self._end_spies()
        self._agent_done()
        self.two.bridge = ""
        ami.bridge_leave(bridge, self.two, 0)
        ami.bridge_destroy(bridge)
        ami.varset(self.two, "QUEUESTATUS", "CONTINUE")
        if self.score is not None:
            self.state = SURVEY
            self._timers.append(w.scheduler.after(w.profile.survey_seconds, self._survey))
        else:
            self._finish_caller()

    def end_by_caller(self) -> None:
        """The customer hangs up during the conversation: no survey."""
        if self.state != CONNECTED:
            return
        w, ami = self.world, self.world.ami
        self._cancel_timers()
        self.score = None
        one, two, bridge = self.agent_one, self.agent_two, self.bridge
        ami.hangup_request(self.two)
        w.hang_up(self.one)
        self.talk_seconds = w.now - self.connected_at
        ami.agent_complete(self.two, one, self.member, self.hold, int(self.talk_seconds), "caller")
        self.two.bridge = ""
        ami.bridge_leave(bridge, self.two, 1)
        ami.soft_hangup_request(one)
        ami.hangup_request(two)
        one.bridge = ""
        ami.bridge_leave(bridge, one, 0)
        ami.bridge_destroy(bridge)
        w.hang_up(one)
        w.hang_up(two)
        self._end_spies()
        self._agent_done()
        self._recording_stops()
        w.hang_up(self.two)
        self._ended()

    def _agent_done(self) -> None:
        w, ami, member = self.world, self.world.ami, self.member
        agent, queue = member.agent, self.queue
        ami.device_state(f"Local/{agent.extension}@agents", "NOT_INUSE")
        member.in_call = False
        member.calls_taken += 1
        agent.last_call_end, agent.last_call_epoch = w.now, w.epoch_int()
        agent.busy = None
        w.member_status_changed(agent)
        queue.completed += 1
        if self.hold <= queue.service_level:
            queue.completed_in_sl += 1
        queue.holdtime = (queue.holdtime * 3 + self.hold) / 4
        queue.talktime = (queue.talktime * 3 + self.talk_seconds) / 4
        w.people.call_ended(agent)
        w.agent_freed(agent)

    def _survey(self) -> None:
        if self.state != SURVEY:
            return
        self.world.ami.csat(self.two, self.queue.name, self.score)
        self.world.stats.csat += 1
        self._finish_caller()

    def _end_spies(self) -> None:
        spies, self.spies = self.spies, []
        for spy in spies:
            spy.spyee_gone()

    # ------------------------------------------------------------------ leaving without an agent

    def abandon(self) -> None:
        """The caller hangs up while waiting (maybe while members ring)."""
        if self.state != WAITING:
            return
        w = self.world
        self._cancel_timers()
        w.ami.hangup_request(self.two, 0)
        self._leave_unanswered(ABANDONED, caller_gone=True)
        w.stats.abandoned += 1
        self._recording_stops()
        w.hang_up(self.two, 0)
        self._ended()

    def time_out(self) -> None:
        """Queue()'s own limit: Asterisk 22 reports it as an abandon, then QUEUESTATUS=TIMEOUT."""
        if self.state != WAITING:
            return
        self._cancel_timers()
        self._leave_unanswered(TIMED_OUT, caller_gone=False)
        self.world.ami.varset(self.two, "QUEUESTATUS", "TIMEOUT")
        self.world.stats.timed_out += 1
        self._finish_caller()

    def _leave_unanswered(self, outcome: str, *, caller_gone: bool) -> None:
        """Stop the rings and leave the queue: QueueCallerAbandon then QueueCallerLeave (both
        ways out count as abandoned in Asterisk's own queue figures)."""
        w, ami, queue = self.world, self.world.ami, self.queue
        for ring in list(self.rings.values()):
            self._drop_ring(ring, "CANCEL")
        if caller_gone:
            w.hang_up(self.one, 0)
        position = queue.position_of(self)
        ami.queue_caller_abandon(self.two, queue.name, position, self.original_position, int(w.now - self.joined))
        queue.waiting.remove(self)
        ami.queue_caller_leave(self.two, queue.name, position, len(queue.waiting))
        queue.abandoned += 1
        self.outcome = outcome

    # ------------------------------------------------------------------ the end

    def _finish_caller(self) -> None:
        """The customer channel's own end: the hangup handler stops the recording."""
        w, ami = self.world, self.world.ami
        ami.soft_hangup_request(self.two)
        self._recording_stops()
        ami.hangup_request(self.one)
        w.hang_up(self.two)
        w.hang_up(self.one)
        self._ended()

    def _recording_stops(self) -> None:
        ami = self.world.ami
        ami.hangup_handler_run(self.two)
        # The file is whole before MixMonitorStop goes out: whoever acts on it finds it done.
        self.world.recordings.write(self.recording, self.talk_seconds)
        ami.mixmonitor_stop(self.two)

    def _ended(self) -> None:
        w = self.world
        self.state = ENDED
        w.ami.device_state(f"Local/{self.queue.name}@caller", "NOT_INUSE")
        w.open_calls.pop(self.two.uniqueid, None)
        if w.finished_calls is not None:
            w.finished_calls.append(self)

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    # ------------------------------------------------------------------ AMI Hangup

    def hangup_requested(self, ch: Channel) -> None:
        if self.state == WAITING:
            if ch is self.one or ch is self.two:
                self.abandon()
                return
            for ring in list(self.rings.values()):
                if ch is ring.one or ch is ring.two:  # the agent rejected the ring
                    self._ring_timeout(ring)
                    return
        elif self.state == CONNECTED:
            if ch is self.one or ch is self.two:
                self.end_by_caller()
            else:
                self.end_by_agent()
        elif self.state == SURVEY:
            self._cancel_timers()
            self._finish_caller()
