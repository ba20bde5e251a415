"""Simulated time: a virtual clock the world reads, and a pacer that ties it to the wall clock.

The world never looks at the wall clock. Everything it does happens at a simulated second
(`VirtualClock.now`, seconds since the simulation began), so a run with the same seed and the
same actions at the same simulated seconds gives the same events, however fast the machine is
and however the server slices its work. Event timestamps are `start_epoch + now`.

The pacer decides how far the world may run: `speed` simulated seconds per wall second
(1 = real time; 10 = a 30 s demo in 3 s). `speed=None` means flat out: the server runs the
world as fast as it can (the load generator's capacity measurement).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class VirtualClock:
    __slots__ = ("start_epoch", "now")

    def __init__(self, start_epoch: float) -> None:
        self.start_epoch = start_epoch
        self.now = 0.0  # simulated seconds since the start

    @property
    def epoch(self) -> float:
        return self.start_epoch + self.now


class Pacer:
    """Maps wall time to the simulated second the world should have reached.

    Until start() it holds the world at 0, so a client (aiivr serve) can log in and resync
    before the first caller arrives."""

    def __init__(self, speed: float | None = 1.0, wall: Callable[[], float] = time.monotonic) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.speed = speed
        self._wall = wall
        self._wall_start: float | None = None
        self._sim_start = 0.0
        self.until: float | None = None  # simulated time never passes this (a timed run's end)

    @property
    def started(self) -> bool:
        return self._wall_start is not None

    @property
    def flat_out(self) -> bool:
        return self.speed is None

    def start(self, at_sim: float = 0.0) -> None:
        if self._wall_start is None:
            self._wall_start = self._wall()
            self._sim_start = at_sim

    def hold(self, at_sim: float) -> None:
        """Stop simulated time at `at_sim` (start() lets it run on from there)."""
        self._wall_start = None
        self._sim_start = at_sim

    def sim_now(self) -> float:
        """The simulated second that is due now (0 before start; unbounded when flat out)."""
        if self._wall_start is None:
            due = self._sim_start
        elif self.speed is None:
            due = float("inf")
        else:
            due = self._sim_start + (self._wall() - self._wall_start) * self.speed
        return due if self.until is None else min(due, self.until)

    def wall_delay(self, sim_t: float) -> float:
        """Wall seconds until simulated second sim_t is due (0 if it already is)."""
        if self._wall_start is None or self.speed is None:
            return 0.0
        due = self._wall_start + (sim_t - self._sim_start) / self.speed
        return max(0.0, due - self._wall())
