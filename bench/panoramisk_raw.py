"""How fast bare panoramisk reads AMI events, and how fast AmiTransport does, over loopback.

The replay server (bench/ami_replay_server.py) runs in its own process, like Asterisk would, and
streams the lab capture repeated to ~200k events. Each run opens a fresh connection and times
first event -> last event. Runs alternate between the two clients so machine noise hits both.

    .venv/bin/python bench/panoramisk_raw.py [--events 200000] [--runs 3]

Import it to reuse the pieces: `replay_server_process()`, `measure_panoramisk()`,
`measure_transport()`, `compare()`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from panoramisk import Manager

from pbx_bridge.transport import AmiTransport

REPLAY_SERVER = Path(__file__).with_name("ami_replay_server.py")
HOST = "127.0.0.1"
# How long a single run may take before the bench gives up (a lost event would hang it).
RUN_TIMEOUT = 120.0


@contextmanager
def replay_server_process(events: int, *, new_calls: bool = False, rate: float = 0.0,
                          starts_now: bool = False, cpus: set[int] | None = None,
                          schedule: Path | None = None) -> Iterator[tuple[int, int]]:
    """Start the replay server in a child process; yields (port, events each connection gets).

    `cpus` pins the server to those CPUs, so that a client pinned elsewhere measures its own
    cost alone, as it would beside an Asterisk on another core. `schedule`: see the server's
    --schedule.
    """
    process = subprocess.Popen(
        [sys.executable, str(REPLAY_SERVER), "--events", str(events), "--rate", str(rate)]
        + (["--new-calls"] if new_calls else []) + (["--starts-now"] if starts_now else [])
        + (["--schedule", str(schedule)] if schedule is not None else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if cpus:
            os.sched_setaffinity(process.pid, cpus)
        port = int(process.stdout.readline().split()[1])
        count = int(process.stdout.readline().split()[1])
        yield port, count
    finally:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Rate:
    wall: float  # events per wall-clock second
    cpu: float  # events per CPU second of this process


class _Stopwatch:
    """Counts events; notes wall and CPU time at the first and at the expected-th one.

    The CPU figure (events per second of this process's CPU) is the steadier one on a shared
    machine: the replay server runs in another process, so it is the client's cost alone.
    """

    def __init__(self, expected: int):
        self.expected = expected
        self.count = 0
        self.first = (0.0, 0.0)
        self.done = asyncio.get_running_loop().create_future()

    def tick(self) -> None:
        self.count += 1
        if self.count == 1:
            self.first = (time.perf_counter(), time.process_time())
        if self.count == self.expected:
            self.done.set_result((time.perf_counter(), time.process_time()))

    async def rate(self) -> Rate:
        wall, cpu = await asyncio.wait_for(self.done, RUN_TIMEOUT)
        return Rate(self.count / (wall - self.first[0]), self.count / max(cpu - self.first[1], 1e-9))


async def measure_panoramisk(port: int, expected: int, host: str = HOST) -> Rate:
    """Events/s of a bare panoramisk Manager with one '*' callback that only counts."""
    watch = _Stopwatch(expected)
    manager = Manager(loop=asyncio.get_running_loop(), host=host, port=port, username="bench", secret="bench")
    manager.register_event("*", lambda _manager, _event: watch.tick())
    await manager.connect()
    try:
        return await watch.rate()
    finally:
        manager.close()


async def measure_transport(
    port: int, expected: int, host: str = HOST, on_event: Callable[[dict], None] | None = None
) -> Rate:
    """Events/s through AmiTransport; `on_event` (default: nothing) runs per event, e.g. the translator."""
    watch = _Stopwatch(expected)
    work = on_event or (lambda _message: None)

    def count(message: dict) -> None:
        work(message)
        watch.tick()

    transport = AmiTransport(host, port, "bench", "bench", on_event=count)
    await transport.start()
    try:
        return await watch.rate()
    finally:
        await transport.stop()


def translator_on_event() -> Callable[[dict], None]:
    """The pipeline's per-event work: pbx_bridge.translator (another module; imported lazily)."""
    from pbx_bridge.translator import Translator

    return Translator().translate


async def compare(
    events: int = 200_000, runs: int = 3, report: Callable[[str], None] = print, *, with_translator: bool = False
) -> dict[str, float]:
    """Best events/s of each client over `runs` alternating runs, and their ratio.

    with_translator: AmiTransport's on_event runs the translator (the end-to-end figure);
    panoramisk's callback still only counts, so the ratio then includes the translator's cost.
    """
    on_event = translator_on_event() if with_translator else None
    with replay_server_process(events) as (port, count):
        expected = count + 1  # the stream plus the FullyBooted that answers Login
        report(f"replaying {expected} events per connection from port {port}")
        rates: dict[str, list[Rate]] = {"panoramisk": [], "transport": []}
        for run in range(1, runs + 1):
            for name in ("panoramisk", "transport"):
                if name == "panoramisk":
                    rate = await measure_panoramisk(port, expected)
                else:
                    rate = await measure_transport(port, expected, on_event=on_event)
                rates[name].append(rate)
                label = "transport+translator" if name == "transport" and with_translator else name
                report(f"run {run}: {label:<20} {rate.wall:>10,.0f} events/s wall, {rate.cpu:>10,.0f} per CPU s")
    best = {name: max(r.wall for r in values) for name, values in rates.items()}
    best_cpu = {name: max(r.cpu for r in values) for name, values in rates.items()}
    median = {name: statistics.median(r.wall for r in values) for name, values in rates.items()}
    result = {
        "panoramisk_events_per_s": best["panoramisk"],
        "transport_events_per_s": best["transport"],
        "ratio": best["transport"] / best["panoramisk"],
        "panoramisk_median": median["panoramisk"],
        "transport_median": median["transport"],
        "panoramisk_per_cpu_s": best_cpu["panoramisk"],
        "transport_per_cpu_s": best_cpu["transport"],
        "cpu_ratio": best_cpu["transport"] / best_cpu["panoramisk"],
    }
    report(
        f"best wall: panoramisk {result['panoramisk_events_per_s']:,.0f}/s, "
        f"AmiTransport {result['transport_events_per_s']:,.0f}/s, ratio {result['ratio']:.2f}x "
        f"(medians {result['panoramisk_median']:,.0f} / {result['transport_median']:,.0f})"
    )
    report(
        f"best per CPU second: panoramisk {result['panoramisk_per_cpu_s']:,.0f}, "
        f"AmiTransport {result['transport_per_cpu_s']:,.0f}, ratio {result['cpu_ratio']:.2f}x"
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--with-translator", action="store_true", help="run the translator per event (end to end)")
    args = parser.parse_args(argv)
    asyncio.run(compare(args.events, args.runs, with_translator=args.with_translator))


if __name__ == "__main__":
    main()
