"""The sums every KPI is computed from, and the formulas (docs/kpis.md writes them down).

Pure: no database. A Sums holds counts and durations in whole milliseconds for one slice
(a day, queue and agent, say); slices add up exactly in any order, so a report folded
from the daily rollup equals one computed from the raw rows. metrics() turns a Sums into
the contract's KPI keys: rates are fractions 0-1, null when the denominator is 0;
durations are seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# Summed when slices are added (wait_max_ms takes the maximum instead).
ADDITIVE = (
    "offered", "answered", "abandoned", "short_abandoned", "timed_out", "wait_n", "wait_ms", "asa_ms",
    "sl_within", "sl_abandoned_after", "handled", "talk_ms", "hold_ms", "wrapup_ms", "missed",
    "fcr_resolved", "fcr_repeated", "fcr_pending", "csat_n", "csat_sum", "csat_satisfied", "handling_ms",
    "available_ms",
)
# The columns of the daily rollup (aiivr.models.reports.KpiDaily), besides its key.
ROLLUP_COLUMNS = tuple(n for n in ADDITIVE if n != "fcr_pending") + ("wait_max_ms", "paused_ms")

# KPI keys that describe a queue, not an agent: null in an agent's row.
QUEUE_ONLY = ("offered", "abandoned", "short_abandoned", "timed_out", "abandon_rate", "service_level")
# The contract's KPI keys, in its order; then what this report adds.
CONTRACT_KEYS = (
    "offered", "answered", "abandoned", "short_abandoned", "timed_out", "abandon_rate", "asa_seconds",
    "avg_wait_seconds", "max_wait_seconds", "service_level", "aht_seconds", "handled", "missed", "fcr_rate",
    "csat_avg", "csat_pct_satisfied", "occupancy",
)
EXTRA_KEYS = ("talk_seconds", "hold_seconds", "wrapup_seconds", "handling_seconds", "available_seconds",
              "fcr_pending", "pause_seconds")
COUNT_KEYS = ("offered", "answered", "abandoned", "short_abandoned", "timed_out", "handled", "missed", "fcr_pending")
SECONDS_KEYS = ("talk_seconds", "hold_seconds", "wrapup_seconds", "handling_seconds", "available_seconds")

SERVICE_LEVEL_VARIANT = "answered within threshold / (answered + abandoned after threshold)"
UNSPECIFIED_REASON = "unspecified"  # a pause Asterisk was given no reason for


@dataclass
class Sums:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0           # abandoned after the queue's short-abandon time
    short_abandoned: int = 0
    timed_out: int = 0
    wait_n: int = 0              # entries that finished waiting (any outcome)
    wait_ms: int = 0
    wait_max_ms: int = 0
    asa_ms: int = 0              # wait of answered entries
    sl_within: int = 0           # answered with wait <= the queue's threshold
    sl_abandoned_after: int = 0  # abandoned (not short) with wait > the threshold
    handled: int = 0             # answered entries whose talk time is known (the call ended)
    talk_ms: int = 0
    hold_ms: int = 0
    wrapup_ms: int = 0
    missed: int = 0
    fcr_resolved: int = 0        # resolved inbound calls with a number, window closed
    fcr_repeated: int = 0        # ... whose number called again within the window
    fcr_pending: int = 0         # resolved calls whose window is still open
    csat_n: int = 0
    csat_sum: int = 0
    csat_satisfied: int = 0      # scores 4 and 5
    handling_ms: int = 0         # on_call + wrap_up
    available_ms: int = 0        # online + ringing
    pause: dict[str, int] = field(default_factory=dict)  # reason -> ms paused

    def add(self, other: "Sums") -> "Sums":
        for name in ADDITIVE:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wait_max_ms = max(self.wait_max_ms, other.wait_max_ms)
        for reason, ms in other.pause.items():
            self.pause[reason] = self.pause.get(reason, 0) + ms
        return self

    def copy(self) -> "Sums":
        return dataclasses.replace(self, pause=dict(self.pause))

    def settled(self, is_settled: bool) -> "Sums":
        """This slice's FCR windows: all closed (count them) or not all (pending)."""
        if is_settled:
            return self
        out = self.copy()
        out.fcr_pending += out.fcr_resolved
        out.fcr_resolved = out.fcr_repeated = 0
        return out


def total(parts) -> Sums:
    out = Sums()
    for part in parts:
        out.add(part)
    return out


def _rate(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _seconds(ms: float, n: float = 1) -> float | None:
    return round(ms / n / 1000, 3) if n else None


def metrics(s: Sums, *, agent_row: bool = False) -> dict:
    """The KPI keys for one slice. An agent's row has no queue-only figures."""
    out = {
        "offered": s.offered,
        "answered": s.answered,
        "abandoned": s.abandoned,
        "short_abandoned": s.short_abandoned,
        "timed_out": s.timed_out,
        "abandon_rate": _rate(s.abandoned, s.offered - s.short_abandoned),
        "asa_seconds": _seconds(s.asa_ms, s.answered),
        "avg_wait_seconds": _seconds(s.wait_ms, s.wait_n),
        "max_wait_seconds": _seconds(s.wait_max_ms) if s.wait_n else None,
        "service_level": _rate(s.sl_within, s.answered + s.sl_abandoned_after),
        "aht_seconds": _seconds(s.talk_ms + s.hold_ms + s.wrapup_ms, s.handled),
        "handled": s.handled,
        "missed": s.missed,
        "fcr_rate": _rate(s.fcr_resolved - s.fcr_repeated, s.fcr_resolved),
        "csat_avg": round(s.csat_sum / s.csat_n, 2) if s.csat_n else None,
        "csat_pct_satisfied": _rate(s.csat_satisfied, s.csat_n),
        "occupancy": _rate(s.handling_ms, s.handling_ms + s.available_ms),
        "talk_seconds": _seconds(s.talk_ms),
        "hold_seconds": _seconds(s.hold_ms),
        "wrapup_seconds": _seconds(s.wrapup_ms),
        "handling_seconds": _seconds(s.handling_ms),
        "available_seconds": _seconds(s.available_ms),
        "fcr_pending": s.fcr_pending,
        "pause_seconds": {reason: _seconds(ms) for reason, ms in sorted(s.pause.items())},
    }
    if agent_row:
        out.update(dict.fromkeys(QUEUE_ONLY))
    return out


def team_average(agent_sums: list[Sums]) -> dict:
    """What an agent may see of its colleagues: counts and times per agent, and the team's
    pooled rates and means (ASA, AHT, FCR, CSAT, occupancy) — no one else's own figures."""
    n = len(agent_sums)
    pooled = metrics(total(agent_sums), agent_row=True)
    if not n:
        return {**pooled, **dict.fromkeys(COUNT_KEYS + SECONDS_KEYS), "pause_seconds": {}}
    for key in COUNT_KEYS:
        if pooled[key] is not None:
            pooled[key] = round(pooled[key] / n, 2)
    for key in SECONDS_KEYS:
        pooled[key] = round(pooled[key] / n, 3)
    pooled["pause_seconds"] = {r: round(v / n, 3) for r, v in pooled["pause_seconds"].items()}
    return pooled
