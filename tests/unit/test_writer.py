"""serve's writer thread: flush() waits for everything handed over before it was called."""

from __future__ import annotations

from collections import deque

from pbx_bridge.writer import BatchWriter


class FakeWake:
    """The writer thread's wake-up Event, for running its loop in the test's own thread: each
    wait returns at once, after noting its timeout and calling `after_wait(waits so far)`."""

    def __init__(self, after_wait):
        self.waits: list[float] = []
        self._after_wait = after_wait

    def wait(self, timeout):
        self.waits.append(round(timeout, 6))
        self._after_wait(self.waits)
        return False

    def clear(self):
        pass

    def set(self):
        pass


def test_flush_waits_for_a_message_the_writer_has_taken_but_not_yet_committed():
    # The window: the writer thread has taken the message off the queue and not yet counted
    # it in flight. flush() must not say "all committed" then (serve reads pbx_restarts next).
    seen: list[bool] = []
    writer = BatchWriter(lambda batch: None)

    class Queue(deque):
        def popleft(self):
            item = super().popleft()
            if not seen:
                seen.append(writer.flush(0))  # asked at that very moment
            return item

    writer._queue = Queue()
    writer.put(["an event"])
    writer.start()
    try:
        assert writer.flush(10)
    finally:
        writer.stop()
    assert seen == [False]
    assert writer.committed == writer.received == 1


def test_a_batch_starts_at_most_one_interval_after_the_previous_one_started():
    # The interval runs from one batch's start to the next's: a batch that took 30 ms of a
    # 50 ms interval leaves 20 ms of waiting, one that took longer than the interval none.
    clock = [100.0]
    apply_seconds = iter([0.03, 0.08, 0.0])
    writer = BatchWriter(lambda batch: clock.__setitem__(0, clock[0] + next(apply_seconds)), interval=0.05,
                         clock=lambda: clock[0])

    def after_wait(waits):
        if len(waits) == 4:
            writer._stop.set()
        else:
            writer.put(["an event"])  # something to write when the wait ends

    writer._wake = FakeWake(after_wait)
    writer._run()  # in this thread: returns once stopped and drained
    assert writer._wake.waits == [0.05, 0.02, 0.0, 0.05]
    assert writer.batches == 3


def test_what_arrives_during_a_batch_waits_for_the_next_interval_unless_a_full_batch_is_waiting(monkeypatch):
    # Batches back to back would each pay a transaction's fixed cost for the few events that
    # came in meanwhile; only a backlog (a full batch already waiting) is written at once.
    import pbx_bridge.writer as writer_module

    clock = [100.0]
    monkeypatch.setattr(writer_module, "MAX_BATCH", 3)
    arrivals = iter([1, 3, 0])  # messages that arrive while each batch is being written
    sizes: list[int] = []

    def apply(batch):
        sizes.append(len(batch))
        clock[0] += 0.01
        for _ in range(next(arrivals)):
            writer.put(["an event"])

    writer = BatchWriter(apply, interval=0.05, clock=lambda: clock[0])
    writer._wake = FakeWake(lambda waits: len(waits) == 3 and writer._stop.set())
    writer.put(["an event"])
    writer._run()
    assert sizes == [1, 1, 3]  # the 3 that came during the second batch: written at once
    assert writer._wake.waits == [0.05, 0.04, 0.03]  # the 1 that came during the first: after a wait
    assert writer.committed == writer.received == 5
