"""How the simulated centre behaves: the knobs (Profile), the daily curve and the draws.

All randomness comes from one seeded random.Random owned by the world, drawn in event order,
so a seed fixes the whole run.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

# Arrivals per hour of the day relative to the busiest hour (a typical inbound centre: quiet
# night, a morning peak, a dip at lunch, a smaller afternoon peak).
DAILY_CURVE = (0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.70, 0.95, 1.00, 0.95,
               0.75, 0.80, 0.90, 0.85, 0.70, 0.50, 0.35, 0.25, 0.18, 0.12, 0.09, 0.06)

# (code, weight, median seconds). The codes are AIIVR's default pause reasons (docs/cli.md).
BREAKS = (("bathroom", 4, 20.0), ("smoke", 2, 30.0), ("case_work", 3, 40.0), ("lunch", 1, 90.0))
CSAT_WEIGHTS = ((5, 40), (4, 30), (3, 15), (2, 8), (1, 7))
DEMO_LOAD = 0.95  # offered load as a share of what the demo's agents can take


@dataclass(frozen=True)
class Profile:
    """Everything about the traffic and the people; times in simulated seconds."""

    arrivals_per_second: float = 0.5  # at the busiest hour of the curve
    day_start_hour: float = 10.0  # the simulated time of day at second 0 (the curve's clock)
    curve: tuple[float, ...] = DAILY_CURVE
    talk_median: float = 12.0
    talk_sigma: float = 0.5
    ring_median: float = 2.0  # how long a person lets the phone ring before answering
    ring_sigma: float = 0.4
    no_answer_probability: float = 0.05  # the person does not pick up (ring-no-answer)
    patience_median: float = 20.0  # how long a caller waits before hanging up
    patience_sigma: float = 0.8
    queue_timeout: float = 120.0  # Queue()'s timeout: the queue gives up on the caller
    member_timeout: float = 5.0  # queues.conf timeout: ring one member this long
    retry: float = 1.0  # queues.conf retry: pause before ringing again
    wrapuptime: float = 2.0  # queues.conf wrapuptime: rest after a call, across queues
    caller_ends_probability: float = 0.3  # the caller, not the agent, hangs up first
    csat_probability: float = 0.6  # the caller stays for the survey
    survey_seconds: float = 0.5
    wrapup_median: float = 6.0  # how long a person stays in after-call work before "ready"
    wrapup_sigma: float = 0.5
    breaks_per_hour: float = 12.0  # per person
    initial_break_fraction: float = 0.1  # people already on a break when the run starts
    # Callers who were waiting for the lines to open: this many per agent arrive in the first
    # opening_seconds, so a short run already has queues, waits and a few who give up.
    opening_callers_per_agent: float = 1.5
    opening_seconds: float = 5.0
    outbound_ring_median: float = 3.0
    outbound_answer_probability: float = 0.8
    recording_max_seconds: float = 20.0  # cap on the audio written per recording
    callers: int = 900  # distinct customer numbers (repeat callers make callbacks and FCR real)

    def scaled(self, **changes) -> "Profile":
        return replace(self, **changes)


def demo_profile(agents: int) -> Profile:
    """A busy but not hopeless centre for `aiivr demo`: offered load just under what the agents
    can take once breaks are counted, so queues build at peaks, some callers give up and most
    are answered."""
    base = Profile()
    cycle = base.ring_median + base.talk_median * math.exp(base.talk_sigma ** 2 / 2) + base.wrapup_median
    mean_break = sum(w * m for _, w, m in BREAKS) / sum(w for _, w, _ in BREAKS)
    working = 1 - base.breaks_per_hour * mean_break / 3600
    return base.scaled(arrivals_per_second=round(agents * working * DEMO_LOAD / cycle, 3))


def load_profile(arrivals_per_second: float) -> Profile:
    """The load generator's centre: no breaks (they only lower capacity), wrap-up by the queue."""
    return Profile(arrivals_per_second=arrivals_per_second, breaks_per_hour=0.0, initial_break_fraction=0.0,
                   opening_callers_per_agent=0.0, wrapup_median=2.0, recording_max_seconds=0.0)


class Draws:
    """The distributions, on the world's one random.Random."""

    def __init__(self, rng: random.Random, profile: Profile) -> None:
        self.rng = rng
        self.p = profile
        self._curve_max = max(profile.curve)
        self._break_codes = [code for code, _, _ in BREAKS]
        self._break_weights = [weight for _, weight, _ in BREAKS]
        self._break_medians = {code: median for code, _, median in BREAKS}

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.rng.gauss(0.0, 1.0))

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def curve_factor(self, sim_seconds: float) -> float:
        """The daily curve at a simulated second, linear between whole hours."""
        hours = (self.p.day_start_hour + sim_seconds / 3600.0) % 24.0
        low = int(hours)
        frac = hours - low
        curve = self.p.curve
        return curve[low] * (1 - frac) + curve[(low + 1) % 24] * frac

    def next_arrival(self, now: float) -> float | None:
        """A non-homogeneous Poisson process by thinning: candidate gaps at the peak rate,
        each kept with probability curve(t) / peak."""
        peak = self.p.arrivals_per_second * self._curve_max
        if peak <= 0:
            return None
        t = now
        while True:
            t += self.rng.expovariate(peak)
            if self.rng.random() * self._curve_max <= self.curve_factor(t):
                return t

    def talk(self) -> float:
        return max(1.0, self.lognormal(self.p.talk_median, self.p.talk_sigma))

    def ring(self) -> float | None:
        """Seconds until the person answers, or None: it will not answer this ring."""
        if self.chance(self.p.no_answer_probability):
            return None
        return min(self.p.member_timeout * 0.9, max(0.3, self.lognormal(self.p.ring_median, self.p.ring_sigma)))

    def patience(self) -> float:
        return max(1.0, self.lognormal(self.p.patience_median, self.p.patience_sigma))

    def wrapup(self) -> float:
        return max(0.5, self.lognormal(self.p.wrapup_median, self.p.wrapup_sigma))

    def next_break(self) -> float | None:
        if self.p.breaks_per_hour <= 0:
            return None
        return self.rng.expovariate(self.p.breaks_per_hour / 3600.0)

    def break_reason(self) -> tuple[str, float]:
        code = self.rng.choices(self._break_codes, self._break_weights)[0]
        return code, max(3.0, self.lognormal(self._break_medians[code], 0.4))

    def csat(self) -> int | None:
        if not self.chance(self.p.csat_probability):
            return None
        return self.rng.choices([s for s, _ in CSAT_WEIGHTS], [w for _, w in CSAT_WEIGHTS])[0]

    def caller_number(self) -> str:
        return f"555{self.rng.randrange(self.p.callers):04d}"
