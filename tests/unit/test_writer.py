"""serve's writer thread: flush() waits for everything handed over before it was called."""

from __future__ import annotations

from collections import deque

from pbx_bridge.writer import BatchWriter


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
