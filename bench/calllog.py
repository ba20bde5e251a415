"""How fast a filtered page of the call log comes back, through the core service.

    .venv/bin/python bench/calllog.py [--database URL] [--pages 40]

Needs a database from bench/data.py (default: the 5,000,000-call SQLite file). Each case
walks --pages pages of 50 by cursor from a few starting points (page one, and cursors
found deep in the log) and prints p50/p95 per page in ms, as a supervisor (all calls)
and as an agent (its own calls), with this thread's CPU time per page beside (on SQLite
the database's work included): the figure to compare on a shared machine. The --caller searches are timed separately: a prefix
of a number or a name cannot use the time order of an index. Target (SQLite, 5 M
calls): p95 <= 5 ms for the exact filters. Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from aiivr.principal import Ctx  # noqa: E402
from aiivr.services.calls import list_calls  # noqa: E402
from bench.data import DEFAULT_URL, TZ, open_bench  # noqa: E402


def timed_pages(ctx: Ctx, filters: dict, pages: int, starts: list[str | None]) -> list[tuple[float, float]]:
    """(wall ms, CPU ms of this thread) per page."""
    times = []
    for start in starts:
        after = start
        for _ in range(pages):
            began, cpu = time.perf_counter(), time.thread_time()
            page = list_calls(ctx, limit=50, after=after, **filters)
            times.append(((time.perf_counter() - began) * 1000, (time.thread_time() - cpu) * 1000))
            if page.next is None:
                break
            after = page.next
    return times


def deep_cursors(ctx: Ctx) -> list[str | None]:
    """Page one, and cursors a month and half a year back."""
    now = dt.datetime.now(dt.timezone.utc)
    out: list[str | None] = [None]
    for days in (30, 180):
        page = list_calls(ctx, end=now - dt.timedelta(days=days), limit=1)
        if page.next:
            out.append(page.next)
    return out


def show(label: str, times: list[tuple[float, float]]) -> None:
    def p50_p95(values: list[float]) -> tuple[float, float]:
        values = sorted(values)
        return statistics.median(values), values[min(len(values) - 1, math.ceil(len(values) * 0.95) - 1)]  # nearest rank

    (wall50, wall95), (cpu50, cpu95) = p50_p95([w for w, _ in times]), p50_p95([c for _, c in times])
    print(f"  {label:<44} p50 {wall50:7.2f} ms   p95 {wall95:7.2f} ms   CPU p50 {cpu50:6.2f} p95 {cpu95:6.2f} ms"
          f"   ({len(times)} pages)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    args = parser.parse_args(argv)
    db, sup, agent, calls = open_bench(args.database)
    with db.engine.connect() as conn:
        number = conn.execute(sa.text("SELECT caller_num FROM calls WHERE caller_num_norm <> '' "
                                      "ORDER BY id DESC LIMIT 1")).scalar()
    print(f"{db.engine.dialect.name}: {calls:,} calls; pages of 50, newest first")
    starts = deep_cursors(sup)
    yesterday = dt.datetime.combine(dt.date.today() - dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
    cases = {
        "supervisor, no filter": (sup, {}),
        "supervisor, one day (--from/--to)": (sup, {"start": yesterday, "end": yesterday + dt.timedelta(days=1)}),
        "supervisor, --type abandoned": (sup, {"call_type": "abandoned"}),
        "supervisor, --type missed": (sup, {"call_type": "missed"}),
        "supervisor, --type outbound": (sup, {"call_type": "outbound"}),
        "supervisor, --queue vip (5 %)": (sup, {"queue": "vip"}),
        "supervisor, --queue support": (sup, {"queue": "support"}),
        "supervisor, --agent agent07": (sup, {"agent": "agent07"}),
        "supervisor, --agent agent07 --type missed": (sup, {"agent": "agent07", "call_type": "missed"}),
        "supervisor, --min-duration 600": (sup, {"min_duration": 600}),
        "agent, its own calls": (agent, {}),
        "agent, its own answered calls": (agent, {"call_type": "answered"}),
    }
    print("exact filters:")
    every = []
    for label, (ctx, filters) in cases.items():
        if args.only not in label:
            continue
        times = timed_pages(ctx, filters, args.pages, starts)
        every += times
        show(label, times)
    if every:
        show("all exact-filter pages together", every)
    print("--caller searches:")
    for label, caller in (("an exact number", number), ("a number prefix (6 digits)", number[:6]),
                          ("a number prefix (3 digits)", number[:3]), ("a name prefix", "max")):
        if args.only not in f"--caller {label}":
            continue
        show(f"--caller {label}", timed_pages(sup, {"caller": caller}, max(3, args.pages // 4), [None]))
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
