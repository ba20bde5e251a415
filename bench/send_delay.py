"""Event->commit delay counted from when the replay server was due to send each event.

serve's own figure (BatchWriter.delays) starts when the read loop hands an event to the
writer. Time the event spent before that, in the socket, unread, is not in it: a read loop
that reads late (the core busy with the writer, or reading paused) would look quicker than
it is. This counts from the sender's side instead:
- the replay server notes, per chunk of the stream, when it was due and where it began in
  the connection's bytes (its --schedule file);
- a SendClock, installed around serve's read path and its hand-over to the writer, notes
  where in the connection's bytes each read began and which read carried each message;
- a message's delay from the send is its commit time less the due time of the chunk that
  holds its read's first byte: never shorter than the true one (the read's first byte was
  sent first; a chunk is not sent before it is due). The few messages before the stream
  (the login's FullyBooted, resync replies read before the first chunk) count from its
  first chunk's due time.
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pbx_bridge.transport_protocol import AmiProtocol


class SendClock:
    def __init__(self) -> None:
        self.read_starts: list[int] = []  # per read: connection bytes before it
        self.handed: list[tuple[int, float]] = []  # per message handed over: (its read, when)
        self._bytes = 0

    @contextmanager
    def installed(self, service) -> Iterator["SendClock"]:
        """Note serve's reads and hand-overs (one AMI connection) while the block runs."""
        original = AmiProtocol.data_received
        put = service._put

        def data_received(protocol, data: bytes) -> None:
            self.read_starts.append(self._bytes)
            self._bytes += len(data)
            original(protocol, data)

        def hand_over(events) -> None:
            put(events)
            # After put() stamped it: this time is later, so the delay below is not shorter.
            self.handed.append((len(self.read_starts) - 1, time.monotonic()))

        AmiProtocol.data_received = data_received
        service._put = hand_over
        try:
            yield self
        finally:
            AmiProtocol.data_received = original
            service._put = put

    def delays(self, writer_delays: list[float], schedule: dict) -> list[float]:
        """Seconds from each message's due send to its commit; `writer_delays` is the writer's
        own list, one per message handed over, in order."""
        if len(writer_delays) != len(self.handed):
            raise ValueError(f"{len(writer_delays)} delays for {len(self.handed)} messages: the writer kept "
                             "only its latest (a longer run than its window)")
        due, offsets = schedule["due"], schedule["offsets"]
        out = []
        for (read, handed_at), waited in zip(self.handed, writer_delays):
            chunk = max(0, bisect.bisect_right(offsets, self.read_starts[read]) - 1)
            out.append(handed_at + waited - due[chunk])
        return out


def read_schedule(path: Path, timeout: float = 10.0) -> dict:
    """The server's --schedule file, written once its last chunk is handed to the socket."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replay server wrote no schedule to {path}")
        time.sleep(0.01)
    return json.loads(path.read_text())
