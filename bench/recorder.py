"""The recorder alone: the ingest stream's domain events applied in batches, no socket.

    .venv/bin/python bench/recorder.py [--events 200000] [--batch 1000] [--database sqlite|URL] [--runs 3]

The stream is bench/ingest.py's (the reference capture repeated as new calls, starting now),
translated up front; then the events of every `--batch` AMI messages are applied as one
Recorder.apply, as serve's writer thread does. Prints, per run, the wall time and the CPU
time per AMI event of the applying thread: the CPU figure is the one to compare between
versions on a shared machine (other load stretches the wall clock, much less the CPU time).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiivr import config as config_mod  # noqa: E402
from aiivr.db import Database  # noqa: E402
from aiivr.recorder import Recorder  # noqa: E402
from aiivr.services import setup  # noqa: E402
from bench.ami_replay_server import as_new_calls, load_sample_events  # noqa: E402
from bench.ingest import throwaway_database  # noqa: E402
from pbx_bridge.translator import Translator  # noqa: E402


def stream(events: int) -> list[dict]:
    sample = load_sample_events()
    stamps = [float(e["Timestamp"]) for e in sample if "Timestamp" in e]
    shift = time.time() - min(stamps)
    out: list[dict] = []
    repeat = 0
    while len(out) < events:
        out.extend(as_new_calls(sample, repeat, shift))
        repeat += 1
    return out


def one_run(messages: list[dict], batch: int, url: str) -> tuple[float, float]:
    cfg = config_mod.parse(f'[site]\ntimezone = "UTC"\n[database]\nurl = "{url}"\n', env={})
    db = Database(url)
    setup.initialise(db, cfg, admin_password="bench-password")
    translate = Translator().translate
    batches = []
    for start in range(0, len(messages), batch):
        events = []
        for message in messages[start:start + batch]:
            events.extend(translate(message))
        batches.append(events)
    recorder = Recorder(db, cfg)
    wall, cpu = time.perf_counter(), time.thread_time()
    for events in batches:
        recorder.apply(events)
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    recorder.close()
    db.dispose()
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000, help="AMI messages per Recorder.apply")
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    messages = stream(args.events)
    print(f"{len(messages):,} AMI messages, batches of {args.batch:,}; database {args.database}")
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            if args.database == "sqlite":
                wall, cpu = one_run(messages, args.batch, f"sqlite:///{tmp}/recorder.db")
            else:
                with throwaway_database(args.database) as url:
                    wall, cpu = one_run(messages, args.batch, url)
        print(f"run {run}: {wall:.2f} s wall, {cpu:.2f} s CPU = {cpu / len(messages) * 1e6:.1f} us CPU "
              f"per AMI event ({len(messages) / wall:,.0f} events/s wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
