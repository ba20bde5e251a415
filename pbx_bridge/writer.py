"""The recorder's writer thread: batches of domain events committed ≤ 50 ms apart.

The AMI read loop only appends to a deque (never blocks on the database); this
thread takes whatever has arrived, applies it in one transaction, and measures how
long each event waited between arriving and being committed.

A batch starts at most BATCH_INTERVAL after the previous one started (at once when the
previous one took longer). What arrives while a batch is written waits for the next one,
unless a full batch (MAX_BATCH) is already waiting. Each batch has a fixed cost (its
transaction, a dozen statements, the change counters, a few hundred pages written to the
WAL), all but the database's own part under the GIL the AMI read loop needs too: the full
50 ms the issue allows means fewer of them. (Draining again at once, as this did before,
made 130-330 batches of a 5 s run at 40,000 events/s, not the ~100 of a 50 ms beat.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

log = logging.getLogger("pbx_bridge.writer")
BATCH_INTERVAL = 0.05  # seconds from one batch's start to the next one's, at most
MAX_BATCH = 5000


def percentile_99(ordered: Sequence[float]) -> float | None:
    """The 99th percentile of delays sorted ascending (None for none): serve's health figure,
    and the ingest bench's."""
    return ordered[int(len(ordered) * 0.99) - 1] if ordered else None


class BatchWriter:
    def __init__(self, apply: Callable[[Sequence[object]], None], *, interval: float = BATCH_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._apply = apply
        self._interval = interval
        self._clock = clock  # arrival stamps, commit times and the batches' beat
        self._queue: deque[tuple[float, object]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aiivr-recorder", daemon=True)
        self.received = 0  # messages handed over by put() (only the event loop's thread puts)
        self.committed = 0  # messages (groups of domain events) committed
        self.events = 0  # domain events committed
        self.batches = 0
        self.delays: deque[float] = deque(maxlen=100_000)  # seconds from arrival to commit, per message
        self.failed = 0
        self._in_flight = 0  # taken from the queue, not yet committed

    def start(self) -> None:
        self._thread.start()

    def put(self, events: Sequence[object]) -> None:
        """Hand over the domain events of one AMI message (called from the read loop)."""
        if events:
            self._queue.append((self._clock(), events))
            self.received += 1
            if len(self._queue) >= MAX_BATCH:
                self._wake.set()

    def pending(self) -> int:
        return len(self._queue)

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is left, then stop: nothing received is lost on a clean stop."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        # Not committed + in flight + queued: the writer takes messages off the queue before
        # it counts them in flight, and one taken in between would be in neither.
        target = self.received
        self._wake.set()
        while self.committed < target and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.committed >= target

    def _run(self) -> None:
        clock = self._clock
        started = clock()
        while True:
            self._wake.wait(max(0.0, started + self._interval - clock()))
            self._wake.clear()
            started = clock()
            self._drain()
            if self._stop.is_set() and not self._queue:
                return

    def _drain(self) -> None:
        while self._queue:
            self._commit_one()
            # What arrived while that batch was written waits for the next interval, unless a
            # full batch of it is already there (a backlog) or we are stopping: batches back
            # to back would each pay the fixed cost for a few events.
            if len(self._queue) < MAX_BATCH and not self._stop.is_set():
                return

    def _commit_one(self) -> None:
        batch = []
        arrived = []
        queue = self._queue
        while queue and len(batch) < MAX_BATCH:
            at, events = queue.popleft()
            arrived.append(at)
            batch.extend(events)
        self._in_flight = len(arrived)
        try:
            self._apply(batch)
        except Exception:  # noqa: BLE001 - the recorder isolates bad events; this is the last guard
            self.failed += len(batch)
            self.committed += len(arrived)  # counted as handled so flush() does not wait forever
            self._in_flight = 0
            log.exception("writer lost a batch of %d events", len(batch))
            return
        done = self._clock()
        self.delays.extend(done - at for at in arrived)
        self.committed += len(arrived)
        self.events += len(batch)
        self._in_flight = 0
        self.batches += 1
