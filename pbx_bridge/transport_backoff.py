"""Delays between reconnect attempts: exponential, capped, jittered.

Jitter keeps several `aiivr serve` processes (or a restarted one and its old self) from hitting
a freshly restarted Asterisk in lockstep. "Equal jitter" (a delay in [d/2, d]) rather than full
jitter, so a reconnect never happens in a tight loop.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    def __init__(self, initial: float, maximum: float, *, rand: Callable[[], float] = random.random):
        if initial <= 0 or maximum <= 0:
            raise ValueError(f"backoff delays must be positive, got {initial}, {maximum}")
        # A cap below the start (backoff_max=0.2 with the default initial 0.5) means "never
        # wait longer than the cap": honour the cap rather than refuse.
        self.initial = min(initial, maximum)
        self.maximum = maximum
        self._rand = rand
        self.attempt = 0

    def next_delay(self) -> float:
        # The exponent is capped so a days-long outage cannot overflow the float.
        ceiling = min(self.maximum, self.initial * 2 ** min(self.attempt, 60))
        self.attempt += 1
        return ceiling / 2 + self._rand() * ceiling / 2

    def reset(self) -> None:
        self.attempt = 0
