"""The world's agenda: callbacks due at simulated seconds, run in time order.

Ties are broken by the order they were scheduled in, so the same inputs always run in the
same order (the determinism the tests rely on). A Timer can be cancelled; a cancelled timer
stays in the heap and is skipped when it comes up, which is cheaper than removing it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from itertools import count

from pbx_bridge.simulator.clock import VirtualClock


class Timer:
    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when: float, fn: Callable, args: tuple) -> None:
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = count()
        self.ran = 0

    def at(self, when: float, fn: Callable, *args) -> Timer:
        timer = Timer(max(when, self.clock.now), fn, args)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def after(self, delay: float, fn: Callable, *args) -> Timer:
        return self.at(self.clock.now + max(0.0, delay), fn, *args)

    def next_due(self) -> float | None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_until(self, until: float) -> None:
        """Run everything due up to `until`, then leave the clock there."""
        heap, clock = self._heap, self.clock
        while heap and heap[0][0] <= until:
            when, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            clock.now = when
            self.ran += 1
            timer.fn(*timer.args)
        if until > clock.now and until != float("inf"):
            clock.now = until
