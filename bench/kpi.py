"""How long a one-year KPI report takes, through the core service.

    .venv/bin/python bench/kpi.py [--database URL] [--runs 5]

Needs a database from bench/data.py (default: the 5,000,000-call SQLite file). Prints:
the first report (the daily rollup is built for every day), then the steady state (the
rollup is current: p50 of --runs) by agent, by day, by queue, the whole, and an agent's
own view; a report after a late change to an old day (one day rebuilt); and the same
one-year report straight from the rows, without the rollup. Target (SQLite, 5 M calls):
one year grouped by agent <= 0.5 s. Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from aiivr.principal import Ctx  # noqa: E402
from aiivr.services.kpi import kpi_report  # noqa: E402
from aiivr.timerange import local_midnight  # noqa: E402
from bench.data import DEFAULT_URL, TZ, open_bench  # noqa: E402


def once(ctx: Ctx, span, by, **kw) -> tuple[float, object]:
    began = time.perf_counter()
    report = kpi_report(ctx, start=span[0], end=span[1], by=by, **kw)
    return time.perf_counter() - began, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-raw", action="store_true", help="leave out the report without the rollup")
    args = parser.parse_args(argv)
    db, sup, agent, calls = open_bench(args.database)
    today = dt.datetime.now(TZ).date()
    year = (local_midnight(today - dt.timedelta(days=365), TZ), local_midnight(today, TZ))
    print(f"{db.engine.dialect.name}: {calls:,} calls; one year = {year[0]:%Y-%m-%d} .. {today - dt.timedelta(days=1)}")
    elapsed, report = once(sup, year, "agent")
    print(f"  first report by agent (builds the rollup for 365 days): {elapsed:8.3f} s "
          f"({report.total['offered']:,} offered)")
    for label, ctx, by in (("by agent", sup, "agent"), ("by day", sup, "day"), ("by queue", sup, "queue"),
                           ("whole year", sup, None), ("an agent's own, by agent", agent, "agent")):
        times = [once(ctx, year, by)[0] for _ in range(args.runs)]
        print(f"  {label:<40} p50 {statistics.median(times):8.3f} s   best {min(times):8.3f} s")
    with db.write() as session:  # a late correction to a day three months back
        session.execute(sa.text("UPDATE calls SET csat_score = 1 WHERE id = (SELECT min(id) FROM calls WHERE "
                                "local_date = :d)"), {"d": today - dt.timedelta(days=90)})
    elapsed, _ = once(sup, year, "agent")
    print(f"  by agent after a late change to one old day (rebuilds it): {elapsed:8.3f} s")
    since_now = (local_midnight(today - dt.timedelta(days=365), TZ), dt.datetime.now(dt.timezone.utc))
    elapsed, _ = once(sup, since_now, "agent")
    print(f"  by agent, a year up to now (today's part from the rows): {elapsed:8.3f} s")
    if not args.skip_raw:
        elapsed, _ = once(sup, year, "agent", use_rollup=False)
        print(f"  by agent without the rollup (all from the rows):   {elapsed:8.3f} s")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
