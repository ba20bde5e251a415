"""What the simulated people do on their own: answer (or not), take breaks, finish wrap-up.

They act the way a person at a phone would, through the PBX: a break or "ready" is a pause or
unpause of all the person's queues (as a phone's feature code running PauseQueueMember does),
which Asterisk reports with the same QueueMemberPause events as the AMI action AIIVR sends.

After-call work: AIIVR's `serve` pauses an agent with reason `acw` after each call; the person
then finishes the paperwork and presses "ready" (unpause) after a drawn wrap-up time. A pause
with `acw` from anyone starts that clock. `World(self_wrapup=...)` says who sends that pause:
False: only AIIVR; True: the people themselves when a call ends (no AIIVR in front);
"auto": the people do, until the first `acw` pause arrives over AMI, and from then on leave it
to AIIVR (so the demo works whether or not this version of serve sends it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx_bridge.simulator.model import Agent
from pbx_bridge.simulator.scheduler import Timer

if TYPE_CHECKING:
    from pbx_bridge.simulator.world import World

AFTER_CALL_WORK = "acw"
BREAK_RETRY_SECONDS = 15.0  # a break that falls during a call or a pause is tried again later


class People:
    def __init__(self, world: "World") -> None:
        self.world = world
        self._ready_timers: dict[str, Timer] = {}
        self._break_timers: dict[str, Timer] = {}
        self.aiivr_sends_wrapup = False  # an `acw` pause came over AMI (see "auto" above)

    def start_shift(self) -> None:
        """A fixed share of the people start the day on a break (at least one when the share
        is not 0), so even a short run shows pauses with reasons; the rest plan their first."""
        agents = [a for a in self.world.agents.values() if a.members]
        share = self.world.profile.initial_break_fraction
        count = min(len(agents), max(1, round(share * len(agents)))) if share > 0 and agents else 0
        on_break = {a.interface for a in self.world.people_draws.rng.sample(agents, count)}
        for agent in agents:
            if agent.interface in on_break:
                self._take_break(agent)
            else:
                self._schedule_break(agent)

    def answer_delay(self, agent: Agent) -> float | None:
        """Seconds until the person picks up this ring, or None: it lets it ring out."""
        return self.world.people_draws.ring()

    def call_ended(self, agent: Agent) -> None:
        mode = self.world.self_wrapup
        if any(m.paused for m in agent.members.values()):
            return  # paused during the call (lunch, or a supervisor's pause): that pause stands, as in serve
        if agent.members and (mode is True or (mode == "auto" and not self.aiivr_sends_wrapup)):
            self.world.pause(agent.interface, None, True, AFTER_CALL_WORK, by_person=True)

    def paused_changed(self, agent: Agent, paused: bool, reason: str, *, by_person: bool) -> None:
        """Called by World.pause for every pause or unpause, whoever asked for it."""
        if paused and reason == AFTER_CALL_WORK and not by_person:
            self.aiivr_sends_wrapup = True
        timer = self._ready_timers.pop(agent.interface, None)
        if timer is not None:
            timer.cancel()
        if paused and reason == AFTER_CALL_WORK:
            self._ready_timers[agent.interface] = self.world.scheduler.after(
                self.world.people_draws.wrapup(), self._ready, agent)
        if not paused and agent.on_break is not None:
            # Back from the break (by itself, or a supervisor unpaused it): plan the next one.
            agent.on_break = None
            timer = self._break_timers.pop(agent.interface, None)
            if timer is not None:
                timer.cancel()
            self._schedule_break(agent)

    def _ready(self, agent: Agent) -> None:
        self._ready_timers.pop(agent.interface, None)
        members = agent.members.values()
        if members and all(m.paused and m.paused_reason == AFTER_CALL_WORK for m in members):
            self.world.pause(agent.interface, None, False, by_person=True)

    # ------------------------------------------------------------------ breaks

    def _schedule_break(self, agent: Agent, delay: float | None = None) -> None:
        if delay is None:
            delay = self.world.people_draws.next_break()
            if delay is None:
                return
        self._break_timers[agent.interface] = self.world.scheduler.after(delay, self._take_break, agent)

    def _take_break(self, agent: Agent) -> None:
        self._break_timers.pop(agent.interface, None)
        if not agent.members:
            return  # logged out of every queue: nothing to pause; the next QueueAdd does not restart breaks
        if agent.busy is not None or any(m.paused for m in agent.members.values()):
            self._schedule_break(agent, BREAK_RETRY_SECONDS)
            return
        reason, seconds = self.world.people_draws.break_reason()
        self.world.pause(agent.interface, None, True, reason, by_person=True)
        agent.on_break = reason
        self._break_timers[agent.interface] = self.world.scheduler.after(seconds, self._end_break, agent, reason)

    def _end_break(self, agent: Agent, reason: str) -> None:
        self._break_timers.pop(agent.interface, None)
        if agent.on_break == reason:
            self.world.pause(agent.interface, None, False, by_person=True)
