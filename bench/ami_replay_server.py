"""A loopback AMI look-alike that streams recorded events as fast as the socket takes them.

Bench tool, not a test double: it answers just enough of AMI for a client to get going
(banner, Login -> Success + FullyBooted, Ping -> Pong, anything else -> Success) and then
sends every frame of a prebuilt stream once per connection.

    python bench/ami_replay_server.py --events 200000     # prints "PORT <n>", serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path

# The reference capture of a real Asterisk 22 (a copy of shared/reference/asterisk22-lab).
SAMPLE_EVENTS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "asterisk22-sample-events.jsonl"
BANNER = b"Asterisk Call Manager/9.0.0\r\n"
EOL = "\r\n"
# Chunks handed to the socket end on frame boundaries, so an action reply written between
# two chunks never lands inside a streamed frame.
CHUNK_BYTES = 64 * 1024


def encode_frame(message: dict) -> bytes:
    """One AMI frame; list values become repeated headers, as Asterisk sends them."""
    lines = []
    for key, value in message.items():
        if isinstance(value, list):
            lines.extend(f"{key}: {item}" for item in value)
        else:
            lines.append(f"{key}: {value}")
    return (EOL.join(lines) + EOL + EOL).encode("utf-8")


def load_sample_events(path: Path = SAMPLE_EVENTS) -> list[dict]:
    """The captured events (not the responses), without the capture's own `_` keys."""
    events = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if "Event" not in record:
                continue
            events.append({k: v for k, v in record.items() if not k.startswith("_")})
    return events


# An Asterisk channel id: "[systemname-]<epoch seconds>.<sequence>".
_CHANNEL_ID = re.compile(r"^(.*?)(\d+)\.(\d+)$")


def as_new_calls(events: list[dict], repeat: int, shift: float = 0.0) -> list[dict]:
    """The same traffic as if it were other calls later on: every Timestamp moves on, and
    every Uniqueid and Linkedid with it, so a recorder sees new calls each time (a plain
    repeat would only exercise its idempotency). FullyBooted is left out: a repeat must not
    look like an Asterisk restart. shift: seconds added to every Timestamp.

    The ids change as a live Asterisk's would: the epoch part moves with the timestamps and
    the sequence goes on counting, so later calls' ids sort after earlier ones. (A suffix
    per repeat would place each repeat's ids among all the earlier ones: every new call
    would land on another page of each index keyed by its id, which no PBX does.)"""
    if repeat == 0 and not shift:
        return [e for e in events if e.get("Event") != "FullyBooted"]
    stamps = [float(e["Timestamp"]) for e in events if "Timestamp" in e]
    span = (max(stamps) - min(stamps) + 1.0) if stamps else 0.0
    seconds = round(repeat * span + shift)
    sequences = [int(m.group(3)) for e in events for k, v in e.items()
                 if (k.endswith("Uniqueid") or k.endswith("Linkedid")) and isinstance(v, str)
                 and (m := _CHANNEL_ID.match(v))]
    counted = repeat * (max(sequences, default=0) + 1)

    def moved(value: str) -> str:
        match = _CHANNEL_ID.match(value)
        if match is None:
            return f"{value}-{repeat}"
        prefix, epoch, sequence = match.groups()
        return f"{prefix}{int(epoch) + seconds}.{int(sequence) + counted}"

    out = []
    for event in events:
        if event.get("Event") == "FullyBooted":
            continue
        copy = {}
        for key, value in event.items():
            if isinstance(value, str) and value and (key.endswith("Uniqueid") or key.endswith("Linkedid")):
                value = moved(value)
            elif key == "Timestamp":
                value = f"{float(value) + repeat * span + shift:.6f}"
            copy[key] = value
        out.append(copy)
    return out


def build_stream(events: list[dict], target_events: int, *, new_calls: bool = False,
                 starts_now: bool = False) -> tuple[list[bytes], int]:
    """Repeat `events` until at least `target_events`; returns frame-aligned chunks and the count.

    new_calls: each repeat is new calls (see as_new_calls), for benches that record them.
    starts_now: with new_calls, the stream's first Timestamp is now, as a live PBX's would be.
    Without it the calls ended years (or hours) ago, and serve's recording intake spends the
    run on thousands of calls whose recording "never reached the spool" (a write transaction
    and an alert each), which is no part of ingesting events."""
    frames = [encode_frame(event) for event in events]
    repeats = max(1, -(-target_events // len(frames)))
    shift = 0.0
    if new_calls and starts_now:
        stamps = [float(e["Timestamp"]) for e in events if "Timestamp" in e]
        shift = time.time() - min(stamps) if stamps else 0.0
    chunks, current, size = [], [], 0
    for repeat in range(repeats):
        if new_calls:
            frames = [encode_frame(event) for event in as_new_calls(events, repeat, shift)]
        for frame in frames:
            current.append(frame)
            size += len(frame)
            if size >= CHUNK_BYTES:
                chunks.append(b"".join(current))
                current, size = [], 0
    if current:
        chunks.append(b"".join(current))
    return chunks, repeats * len(frames)


def _parse_action(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("utf-8", "replace").split(EOL):
        key, sep, value = line.partition(": ")
        if sep:
            headers[key.lower()] = value
    return headers


def _reply(action: dict[str, str]) -> bytes:
    reply = {"Response": "Success"}
    if "actionid" in action:
        reply["ActionID"] = action["actionid"]
    name = action.get("action", "").lower()
    if name == "login":
        reply["Message"] = "Authentication accepted"
        booted = {"Event": "FullyBooted", "Privilege": "system,all", "Uptime": "0",
                  "LastReload": "0", "Status": "Fully Booted"}
        return encode_frame(reply) + encode_frame(booted)
    if name == "ping":
        reply["Ping"] = "Pong"
        reply["Timestamp"] = "0.000000"
    return encode_frame(reply)


class AmiReplayServer:
    """Serves `chunks` to every client that logs in. Use `async with` or start()/close()."""

    def __init__(self, chunks: list[bytes], *, host: str = "127.0.0.1", port: int = 0,
                 chunk_seconds: float = 0.0, schedule: Path | None = None):
        self.chunks = chunks
        self.chunk_seconds = chunk_seconds  # pacing: at least this long per chunk (0 = flat out)
        # Where to write, once a connection's stream is all written, when each chunk was due
        # and where it began in that connection's bytes (bench/send_delay.py reads it).
        self.schedule = schedule
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> "AmiReplayServer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        self._tasks.add(handler)
        writer = _CountingWriter(writer)
        writer.write(BANNER)
        streamer = None
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = _parse_action(block)
                writer.write(_reply(action))
                if action.get("action", "").lower() == "login" and streamer is None:
                    streamer = asyncio.create_task(self._stream(writer))
                    self._tasks.add(streamer)
                    streamer.add_done_callback(self._tasks.discard)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # Ending normally on close(): on 3.11 asyncio's stream callback calls
            # task.exception() on a cancelled handler and logs a spurious error.
            pass
        finally:
            self._tasks.discard(handler)
            if streamer is not None:
                streamer.cancel()
            writer.close()

    async def _stream(self, writer: "_CountingWriter") -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()  # time.monotonic(): the same clock in every process of the machine
        due, offsets = [], []
        try:
            for number, chunk in enumerate(self.chunks):
                due.append(start + number * self.chunk_seconds)
                if self.chunk_seconds:
                    delay = due[-1] - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                offsets.append(writer.written)
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            return
        if self.schedule is not None:  # whole or not at all: the bench may be reading it already
            partial = self.schedule.with_name(self.schedule.name + ".part")
            partial.write_text(json.dumps({"due": due, "offsets": offsets}))
            partial.replace(self.schedule)


class _CountingWriter:
    """A StreamWriter that counts the bytes written to it (replies and stream alike)."""

    def __init__(self, writer: asyncio.StreamWriter):
        self._writer = writer
        self.written = 0

    def write(self, data: bytes) -> None:
        self._writer.write(data)
        self.written += len(data)

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        self._writer.close()


async def _serve_forever(target_events: int, port: int, new_calls: bool = False, rate: float = 0.0,
                         starts_now: bool = False, schedule: Path | None = None) -> None:
    chunks, count = build_stream(load_sample_events(), target_events, new_calls=new_calls, starts_now=starts_now)
    # Pacing works per chunk (~64 KiB, a few hundred events): fine enough for a rate.
    chunk_seconds = (count / len(chunks)) / rate if rate else 0.0
    server = AmiReplayServer(chunks, port=port, chunk_seconds=chunk_seconds, schedule=schedule)
    await server.start()
    # The bench reads these two lines to learn where to connect and how many events to expect.
    print(f"PORT {server.port}", flush=True)
    print(f"EVENTS {count}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--new-calls", action="store_true", help="every repeat is new calls (new ids, later times)")
    parser.add_argument("--rate", type=float, default=0.0, help="events per second (default: as fast as read)")
    parser.add_argument("--starts-now", action="store_true", help="with --new-calls: the first Timestamp is now")
    parser.add_argument("--schedule", type=Path, default=None,
                        help="write when each chunk was due and where it began in the connection's bytes "
                             "(JSON) to this file once a connection's stream is written")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve_forever(args.events, args.port, args.new_calls, args.rate, args.starts_now,
                                   args.schedule))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
