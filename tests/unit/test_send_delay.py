"""bench/send_delay.py and the replay server's schedule: the ingest bench's delay counted from
the send. A bench instrument, tested because a wrong sum here would make a wrong conclusion."""

import asyncio
import json
import time

import pytest

from bench.ami_replay_server import BANNER, AmiReplayServer
from bench.send_delay import SendClock, read_schedule


def test_each_message_counts_from_the_due_time_of_the_chunk_holding_its_reads_first_byte():
    clock = SendClock()
    clock.read_starts = [0, 100, 250]  # three reads; the second begins inside chunk 0, the third in chunk 1
    clock.handed = [(1, 10.030), (1, 10.031), (2, 10.060)]
    schedule = {"due": [10.000, 10.020, 10.040], "offsets": [40, 200, 400]}
    delays = clock.delays([0.050, 0.049, 0.010], schedule)
    assert delays == pytest.approx([0.080, 0.080, 0.050])
    # A read that begins before the stream (the banner, a reply) counts from the first chunk.
    clock.read_starts[1] = 10
    assert clock.delays([0.050, 0.049, 0.010], schedule)[0] == pytest.approx(0.080)


def test_a_writer_that_kept_fewer_delays_than_messages_is_refused():
    clock = SendClock()
    clock.read_starts, clock.handed = [0], [(0, 1.0), (0, 1.0)]
    with pytest.raises(ValueError, match="1 delays for 2 messages"):
        clock.delays([0.1], {"due": [0.0], "offsets": [0]})


async def test_the_server_writes_when_each_chunk_was_due_and_where_it_began(tmp_path):
    chunks = [b"Event: A\r\nX: 1\r\n\r\n", b"Event: B\r\n\r\n", b"Event: C\r\nY: 22\r\n\r\n"]
    schedule = tmp_path / "schedule.json"
    async with AmiReplayServer(chunks, chunk_seconds=0.05, schedule=schedule) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        started = time.monotonic()
        writer.write(b"Action: Login\r\nUsername: u\r\nSecret: s\r\n\r\n")
        received = b""
        while not received.endswith(chunks[-1]):
            received += await asyncio.wait_for(reader.read(65536), 5)
        writer.close()
        written = await asyncio.to_thread(read_schedule, schedule)
    assert received.startswith(BANNER)
    assert [received[o:o + len(c)] for o, c in zip(written["offsets"], chunks)] == chunks
    due = written["due"]
    assert started <= due[0] and due[1] - due[0] == pytest.approx(0.05) and due[2] - due[0] == pytest.approx(0.10)
    assert json.loads(schedule.read_text()) == written and not list(tmp_path.glob("*.part"))
