"""Same seed, same events: a simulated day is a function of its seed (and of the actions sent
to it at given simulated seconds), never of the machine's speed or how the work is sliced."""

from __future__ import annotations

import asyncio

from pbx_bridge.simulator import SimulatorServer
from tests.unit.simulator_helpers import Sim


def _day(seed: int, steps: list[float]) -> list[dict]:
    sim = Sim(seed=seed)
    for t in steps:
        sim.run(t)
    return sim.events


def test_the_same_seed_gives_the_same_events():
    first, second = _day(7, [600]), _day(7, [600])
    assert len(first) > 3000
    assert first == second


def test_another_seed_gives_another_day():
    assert _day(7, [300]) != _day(8, [300])


def test_slicing_time_differently_changes_nothing():
    # The server runs the world in whatever steps the wall clock allows.
    in_one_go = _day(7, [600])
    in_odd_steps = _day(7, [i * 0.37 for i in range(1, 1622)] + [600])
    assert in_odd_steps == in_one_go


def test_the_same_actions_at_the_same_seconds_give_the_same_events():
    def day() -> list[dict]:
        sim = Sim(seed=5)
        sim.run(40)
        sim.act(Action="QueuePause", Interface="Local/1002@agents/n", Paused="true", Reason="lunch")
        sim.run(90)
        sim.act(Action="Originate", Channel="Local/1003@phones/n", Context="outbound", Exten="5551234",
                Async="true", ActionID="out-1")
        sim.run(200)
        return sim.events

    assert day() == day()


def test_a_client_of_the_server_receives_exactly_the_worlds_events():
    """End to end over TCP, flat out: what a logged-in client reads is the direct run's stream,
    less the staffing at second 0, which happened before anyone logged in (as on a real
    Asterisk: a client learns it from QueueStatus)."""
    direct = Sim(seed=7)
    before_login = len(direct.events)
    direct.run(120)
    expected = direct.events[before_login:]

    async def receive() -> list[dict]:
        sim = Sim(seed=7)
        server = SimulatorServer(sim.world, secret="s", speed=None)
        server.hold_at(120)
        port = await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()  # the banner
        writer.write(b"Action: Login\r\nUsername: aiivr\r\nSecret: s\r\n\r\n")
        frames = [(await reader.readuntil(b"\r\n\r\n")).decode()[:-4] for _ in range(2)]
        assert frames[0].startswith("Response: Success") and frames[1].startswith("Event: FullyBooted")
        server.start_clock()
        await server.wait_until(120)
        server.stop_clock()
        writer.write(b"Action: Logoff\r\n\r\n")
        while not frames[-1].startswith("Response: Goodbye"):
            frames.append((await reader.readuntil(b"\r\n\r\n")).decode()[:-4])
        writer.close()
        await server.close()
        return [dict(line.split(": ", 1) for line in f.split("\r\n")) for f in frames[2:-1]]

    received = asyncio.run(receive())
    assert len(received) > 1000
    assert received == expected


def test_actions_from_outside_change_what_people_do_never_who_calls():
    """Serve's pauses arrive at wall-clock moments; the callers of a seeded day must not
    depend on them (that is what keeps a seeded demo's traffic the same run after run)."""
    def arrivals(disturb: bool) -> tuple[list[tuple], list[dict]]:
        sim = Sim(seed=7)
        for t in range(2, 600, 2):
            sim.run(t)
            if disturb and t % 6 == 0:
                interface = f"Local/{1001 + t % 8}@agents/n"
                sim.act(Action="QueuePause", Interface=interface, Paused="true" if t % 12 else "false",
                        Reason="acw")
        joins = [(e["Timestamp"], e["CallerIDNum"], e["Queue"]) for e in sim.named("QueueCallerJoin")]
        return joins, sim.events

    calm, calm_events = arrivals(False)
    disturbed, disturbed_events = arrivals(True)
    assert len(calm) > 150 and disturbed == calm
    assert disturbed_events != calm_events  # the pauses did change the day
