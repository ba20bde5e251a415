"""Load generator: the simulated contact centre at scale, as an AMI source for benchmarks.

    python bench/loadgen.py                       # 1,000 agents, 100 queues, 50 arrivals/s, 30 s, real time
    python bench/loadgen.py --flat-out            # as fast as the simulator can go: its ceiling
    python bench/loadgen.py --listen --port 5038  # serve it to another process (aiivr serve, a bench)

Unlike bench/ami_replay_server.py, which repeats a recorded stream, this runs the simulator
(pbx_bridge.simulator): real queues, agents and callers, a reply to every action, the event mix
a real centre makes. It prints what the simulator achieved: events/s and calls/s against the
wall clock, and how far simulated time fell behind the wall clock. A benchmark reading from it
can tell when the generator, not AIIVR, was the limit: if `behind` grows, or if the events/s
here is below what the benchmark wanted, the generator was the bottleneck.

By default a minimal reader in this process logs in and counts the frames (it parses nothing),
so the figures are the simulator's own. With --listen it waits for a client of yours instead,
starts the clock when the first client logs in, and prints its AMI user, secret and port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pbx_bridge.simulator import SimulatorServer, World, build_roster, load_profile  # noqa: E402

BEHIND_LIMIT_SECONDS = 1.0  # behind the wall clock by more than this: the generator is the limit
LISTEN_GRACE_SECONDS = 1.0  # --listen: time for the first client to resync after it logs in


async def _reader(port: int, secret: str, logged_in: asyncio.Event) -> dict:
    """Log in and count frames until cancelled: the cheapest possible AMI consumer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()  # banner
    writer.write(f"Action: Login\r\nUsername: aiivr\r\nSecret: {secret}\r\n\r\n".encode())
    counts = {"frames": 0, "bytes": 0}
    buffered = b""
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            counts["bytes"] += len(data)
            counts["frames"] += (buffered + data).count(b"\r\n\r\n")
            buffered = data[-3:]
            if not logged_in.is_set() and counts["frames"] >= 2:
                logged_in.set()
    except asyncio.CancelledError:
        pass
    finally:
        writer.close()
    return counts


def _figures(server: SimulatorServer, wall: float, cpu: float, reader: dict | None, events: int) -> dict:
    """events: those made while the clock ran (not the staffing at second 0)."""
    world, counters = server.world, server.counters
    stats = world.stats
    figures = {
        "agents": len(world.agents), "queues": len(world.queues),
        "wall_seconds": round(wall, 2), "simulated_seconds": round(world.now, 2),
        "events": events, "events_per_second": round(events / wall) if wall else 0,
        "calls_offered": stats.offered, "calls_offered_per_second": round(stats.offered / wall, 1) if wall else 0,
        "calls_answered": stats.answered, "calls_abandoned": stats.abandoned, "calls_timed_out": stats.timed_out,
        "events_per_call": round(events / stats.offered, 1) if stats.offered else None,
        "behind_seconds_max": round(counters.max_lag, 3),
        "cpu_seconds": round(cpu, 2), "cpu_share": round(cpu / wall, 2) if wall else 0,
        # Steadier than events/s on a shared machine: what one core of this process made.
        "events_per_cpu_second": round(events / cpu) if cpu else 0,
    }
    if reader is not None:
        figures["reader_events_per_second"] = round(reader["frames"] / wall) if wall else 0
        figures["reader_megabytes"] = round(reader["bytes"] / 1e6, 1)
    return figures


async def run(args: argparse.Namespace) -> dict:
    roster = build_roster(agents=args.agents, queues=args.queues)
    world = World(roster, load_profile(args.rate), seed=args.seed, open_now=False)
    secret = args.secret or secrets.token_urlsafe(12)
    speed = None if args.flat_out else args.speed
    server = SimulatorServer(world, port=args.port, secret=secret, speed=speed)
    server.hold_at(args.seconds * (speed or 1.0) if not args.flat_out else args.seconds_simulated)
    port = await server.start()
    reader_task = None
    logged_in = asyncio.Event()
    if args.listen:
        print(json.dumps({"port": port, "username": "aiivr", "secret": secret}), flush=True)
        while server.clients == 0:
            await asyncio.sleep(0.05)
        await asyncio.sleep(LISTEN_GRACE_SECONDS)
    else:
        reader_task = asyncio.create_task(_reader(port, secret, logged_in))
        await logged_in.wait()
    # Staff log in now, with Timestamps from now on: a client that resynced on login dates
    # what it listed by its own clock, and would take older events for stale ones.
    world.rebase(time.time())
    world.open()
    server.flush()  # the staffing goes out before the clock and the figures start
    events0 = server.counters.events
    wall0, cpu0 = time.perf_counter(), time.process_time()
    server.start_clock()
    deadline = wall0 + args.seconds if not args.flat_out else None
    while True:
        await asyncio.sleep(0.1)
        if deadline is not None and time.perf_counter() >= deadline:
            break
        if args.flat_out and world.now >= args.seconds_simulated:
            break
    server.stop_clock()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    reader = None
    if reader_task is not None:
        await asyncio.sleep(0.2)  # let the reader take what was written
        reader_task.cancel()
        reader = await reader_task
    await server.close()
    figures = _figures(server, wall, cpu, reader, server.counters.events - events0)
    figures["generator_was_the_limit"] = bool(
        (not args.flat_out and figures["behind_seconds_max"] > BEHIND_LIMIT_SECONDS)
        or (not args.flat_out and figures["simulated_seconds"] < args.seconds * args.speed * 0.95))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0, help="call arrivals per simulated second at the peak hour")
    parser.add_argument("--seconds", type=float, default=30.0, help="wall seconds to run (paced runs)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second")
    parser.add_argument("--flat-out", action="store_true", help="no pacing: measure the simulator's ceiling")
    parser.add_argument("--seconds-simulated", type=float, default=60.0, help="flat out: simulated seconds to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--listen", action="store_true", help="wait for your own AMI client instead of the reader")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", default="", help="AMI secret for --listen (default: random, printed)")
    args = parser.parse_args(argv)
    try:
        figures = asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    print(json.dumps(figures, indent=2))
    if figures["generator_was_the_limit"]:
        print("the generator was the limit: it fell behind the wall clock", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
