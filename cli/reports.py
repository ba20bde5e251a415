"""`aiivr report kpi`: the KPIs over a range, grouped by agent, queue, day or hour.

JSON is the contract's report shape; CSV has one line per row and a last line for the
total (or, for an agent, the team average); the table is for people (rates in %).
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from aiivr.db import utcnow
from aiivr.kpi_sums import CONTRACT_KEYS, EXTRA_KEYS
from aiivr.services.kpi import KpiReport, kpi_report
from aiivr.timerange import parse_range
from cli.output import FormatOpt, JsonOpt, choose, plain, stdout
from cli.runtime import current

app = typer.Typer(name="report", help="Reports: KPIs over any range.", no_args_is_help=True)

RATES = ("abandon_rate", "service_level", "fcr_rate", "csat_pct_satisfied", "occupancy")
HEADERS = {
    "offered": "Offered", "answered": "Answered", "abandoned": "Abandoned", "short_abandoned": "Short ab.",
    "timed_out": "Timed out", "abandon_rate": "Aband. %", "asa_seconds": "ASA s", "avg_wait_seconds": "Avg wait s",
    "max_wait_seconds": "Max wait s", "service_level": "SL %", "aht_seconds": "AHT s", "handled": "Handled",
    "missed": "Missed", "fcr_rate": "FCR %", "csat_avg": "CSAT", "csat_pct_satisfied": "CSAT 4-5 %",
    "occupancy": "Occup. %",
}
SCALARS = tuple(k for k in EXTRA_KEYS if k != "pause_seconds")


@app.command("kpi")
def kpi(
    by: Annotated[Optional[str], typer.Option("--by", help="agent, queue, day or hour (site time zone).")] = None,
    start: Annotated[Optional[str], typer.Option("--from", help="ISO date/time, today, yesterday, Nd, Nh (default: today).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="End (exclusive; a date-only --to includes that day; default: now).")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Offered, answered, abandoned, ASA, service level, AHT, missed, FCR, CSAT, occupancy and
    pause time, as docs/kpis.md defines them. An agent gets its own figures and the team's
    averages.

    Examples:

    aiivr report kpi --from today

    aiivr report kpi --by agent --from 2026-11-01 --to 2026-11-30

    aiivr report kpi --by hour --from yesterday --to yesterday --format csv
    """
    ctx = current().ctx()
    now = utcnow()
    lo, hi = parse_range(start, end, ctx.config.tz, now=now)
    report = kpi_report(ctx, start=lo, end=hi, by=by, now=now)
    chosen = choose(fmt, as_json)
    if chosen == "json":
        print(json.dumps(plain(report), ensure_ascii=False))
    elif chosen == "csv":
        _csv(report)
    else:
        _table(report)


def _reasons(report: KpiReport) -> list[str]:
    return sorted({r for row in [*report.rows, report.total] for r in (row.get("pause_seconds") or {})})


def _csv(report: KpiReport) -> None:
    reasons = _reasons(report)
    writer = csv.writer(sys.stdout)
    writer.writerow(["row", "group", *CONTRACT_KEYS, *SCALARS, *[f"pause_{r}_seconds" for r in reasons]])
    last = "total" if report.total_is == "all" else "team_average"
    for kind, row in [*(("row", r) for r in report.rows), (last, {"group": None, **report.total})]:
        pauses = row.get("pause_seconds") or {}
        writer.writerow([kind, _plain(row["group"]), *(_plain(row[k]) for k in CONTRACT_KEYS + SCALARS),
                         *(_plain(pauses.get(r, 0.0)) for r in reasons)])


def _plain(value) -> str:
    return "" if value is None else str(value)


def _table(report: KpiReport) -> None:
    span = report.range
    grouped = f", by {report.by}" if report.by else ""
    stdout.print(f"KPIs from {span['from']} to {span['to']} ({span['timezone']}){grouped}", highlight=False)
    stdout.print(f"service level = {report.service_level_variant}", highlight=False)
    if report.total_is == "team_average":
        stdout.print(f"your figures; the last line is the average of {report.team_agents} agents", highlight=False)
    reasons = _reasons(report)
    table = Table(header_style="bold")
    table.add_column(report.by or "", overflow="fold")
    for key in CONTRACT_KEYS:
        table.add_column(HEADERS[key], justify="right")
    for reason in reasons:
        table.add_column(f"{reason} s", justify="right")
    last = "total" if report.total_is == "all" else "team average"
    for label, row in [*((r["group"], r) for r in report.rows), (last, report.total)]:
        pauses = row.get("pause_seconds") or {}
        table.add_row(str(label) if label is not None else "all",
                      *(_cell(k, row[k]) for k in CONTRACT_KEYS), *(_cell("", pauses.get(r)) for r in reasons))
    stdout.print(table)


def _cell(key: str, value) -> str:
    if value is None:
        return "-"
    if key in RATES:
        return f"{value * 100:.1f}"
    return str(value)
