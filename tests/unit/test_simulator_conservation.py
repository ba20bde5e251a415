"""The simulated centre keeps the rules a real one does, read from its AMI stream alone:
every caller who joins a queue leaves it answered, abandoned or timed out; no agent is offered
a call while it has one (or is on its phone); a paused member is never offered a call."""

from __future__ import annotations

from collections import Counter

import pytest

from pbx_bridge.simulator.traffic import demo_profile
from tests.unit.simulator_helpers import Sim, StreamCheck, outcomes_from_stream


def _drained(sim: Sim, busy_until: float) -> Sim:
    """Run with arrivals, then stop them and run on until everyone has gone."""
    sim.run(busy_until)
    sim.world.stop_arrivals()
    sim.run(busy_until + 900)
    return sim


@pytest.mark.parametrize("name, profile, seed", [
    ("busy", demo_profile(8), 7),
    # Too few agents for the traffic and a short queue limit: all three outcomes happen.
    ("understaffed", demo_profile(8).scaled(arrivals_per_second=1.2, queue_timeout=30.0, patience_median=40.0), 3),
])
def test_every_offered_call_ends_answered_abandoned_or_timed_out(name, profile, seed):
    sim = _drained(Sim(seed=seed, profile=profile), 1200)
    outcomes = outcomes_from_stream(sim.events)
    counts = Counter(outcomes.values())
    assert set(counts) <= {"answered", "abandoned", "timed_out"}, counts  # nobody left open
    assert counts["answered"] > 50 and counts["abandoned"] > 5
    if name == "understaffed":
        assert counts["timed_out"] > 5
    stats = sim.world.stats
    assert (stats.offered, stats.answered, stats.abandoned, stats.timed_out) == (
        len(outcomes), counts["answered"], counts["abandoned"], counts["timed_out"])
    # and the PBX is idle again: no call, no channel, no one busy
    assert sim.world.open_calls == {} and sim.world.channels == {}
    assert all(agent.busy is None for agent in sim.world.agents.values())
    assert {c.outcome for c in sim.world.finished_calls} == set(counts)


def test_each_call_hangs_up_every_channel_it_opened():
    sim = _drained(Sim(seed=9), 600)
    opened = {e["Uniqueid"] for e in sim.events if e["Event"] == "Newchannel"}
    closed = [e["Uniqueid"] for e in sim.events if e["Event"] == "Hangup"]
    assert len(opened) > 500
    assert sorted(closed) == sorted(opened)  # each exactly once


def test_no_agent_is_offered_a_second_call_and_no_paused_member_is_offered_one():
    """Breaks, wrap-up, supervisors pausing people and outbound calls, all at once."""
    sim = Sim(seed=21, profile=demo_profile(8).scaled(breaks_per_hour=60.0, no_answer_probability=0.1))
    rng = sim.world.rng.__class__(99)  # the test's own randomness: not the world's
    for t in range(3, 1800, 3):
        sim.run(t)
        interface = f"Local/{rng.randint(1001, 1008)}@agents/n"
        roll = rng.random()
        if roll < 0.15:
            sim.act(Action="QueuePause", Interface=interface, Paused="true", Reason=rng.choice(["lunch", "smoke"]))
        elif roll < 0.25:
            sim.act(Action="QueuePause", Interface=interface, Paused="false")
        elif roll < 0.30:  # a pause in one queue only: still no calls from that queue
            sim.act(Action="QueuePause", Interface=interface, Queue="support", Paused="true", Reason="case_work")
        elif roll < 0.33:
            sim.act(Action="Originate", Channel=f"Local/{interface[6:10]}@phones/n", Context="outbound",
                    Exten="5551234", Async="true")
    check = StreamCheck().run(sim.events)
    assert check.agent_calls > 300 and check.pauses > 200
    assert check.violations == []


def test_the_stream_check_catches_a_paused_member_being_offered_a_call():
    # The check above must be able to fail: feed it a doctored stream.
    sim = Sim(seed=4)
    sim.run(200)
    called = next(e for e in sim.events if e["Event"] == "AgentCalled")
    doctored = list(sim.events)
    pause = {"Event": "QueueMemberPause", "Queue": called["Queue"], "Interface": called["Interface"], "Paused": "1"}
    doctored.insert(doctored.index(called), pause)
    assert any("paused" in v for v in StreamCheck().run(doctored).violations)
    second = dict(called, DestUniqueid="someone-else")
    doctored.insert(doctored.index(called) + 1, second)
    assert any("second call" in v for v in StreamCheck().run(doctored).violations)
