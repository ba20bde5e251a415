"""The simulator's AMI server: a loopback TCP listener that talks like Asterisk 22.

`aiivr serve` connects to it exactly as to Asterisk: the banner `Asterisk Call Manager/11.0.0`,
Login -> Success then FullyBooted, Ping -> Pong, list actions with EventList start/Complete
and the ActionID on every item, async Originate -> Response then OriginateResponse. Events go
to every logged-in client that wants events, in the order the world made them.

One asyncio task paces the world (clock.Pacer): it runs the world up to the simulated second
that is due, writes what happened, and sleeps until the next thing is due. An action runs the
world up to now first, so it acts on the present; its replies are written before the events
it caused. A client that stops reading is dropped once 64 MiB are waiting for it (Asterisk's
writetimeout does the same), so one stuck client never stalls the centre. Flat out (speed
None) the world runs as fast as the slowest client reads: that is the load generator's
capacity measurement.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from pbx_bridge.simulator.actions import AMI_VERSION, ActionHandler, AmiSession
from pbx_bridge.simulator.clock import Pacer
from pbx_bridge.simulator.events import Event
from pbx_bridge.simulator.world import World
from pbx_bridge.transport_frames import parse_frame

log = logging.getLogger("pbx_bridge.simulator")

BANNER = f"Asterisk Call Manager/{AMI_VERSION}\r\n".encode()
FRAME_END = b"\r\n\r\n"
MAX_TICK = 0.2  # wall seconds between checks when nothing is due (a newly started clock, say)
FLAT_OUT_SLICE = 0.5  # simulated seconds per step when running flat out
MAX_BUFFERED = 64 * 1024 * 1024


def encode(message: Event) -> bytes:
    return ("\r\n".join(f"{key}: {value}" for key, value in message.items()) + "\r\n\r\n").encode("utf-8")


@dataclass
class ServerCounters:
    events: int = 0  # events the world made
    frames_sent: int = 0  # events written, summed over clients
    bytes_sent: int = 0
    connections: int = 0
    dropped_clients: int = 0
    max_lag: float = 0.0  # simulated seconds the world fell behind the wall clock (paced runs)


class _Client:
    __slots__ = ("writer", "session")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.session = AmiSession()


class SimulatorServer:
    def __init__(self, world: World, *, host: str = "127.0.0.1", port: int = 0, username: str = "aiivr",
                 secret: str = "", speed: float | None = 1.0) -> None:
        self.world = world
        self.host, self.port = host, port
        self.pacer = Pacer(speed)
        self.handler = ActionHandler(world, username, secret)
        self.counters = ServerCounters()
        self._pending: list[Event] = []
        world.ami.sink = self._pending.append
        self._clients: set[_Client] = set()
        self._server: asyncio.base_events.Server | None = None
        self._pace_task: asyncio.Task | None = None
        self._client_tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._pace_task = asyncio.create_task(self._pace(), name="simulator pacing")
        return self.port

    def start_clock(self) -> None:
        """Let simulated time run (until then the world holds at its first second)."""
        self.pacer.start(self.world.now)
        self._wake.set()

    def stop_clock(self) -> None:
        """Hold simulated time where it is (the end of a timed demo); actions still work."""
        self._advance()
        self.pacer.hold(self.world.now)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in (self._pace_task, *self._client_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in list(self._clients):
            client.writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> "SimulatorServer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def wait_until(self, sim_seconds: float, poll: float = 0.02) -> None:
        """Return once the world has reached that simulated second."""
        while self.world.now < sim_seconds:
            self._advance()
            await asyncio.sleep(poll)

    @property
    def clients(self) -> int:
        return sum(1 for c in self._clients if c.session.logged_in)

    # ---------------------------------------------------------------- the world's pace

    def hold_at(self, sim_seconds: float | None) -> None:
        """Simulated time will stop at that second (a timed run ends exactly there)."""
        self.pacer.until = sim_seconds

    def _advance(self) -> None:
        world = self.world
        if self.pacer.flat_out and self.pacer.started:
            world.run_until(min(world.now + FLAT_OUT_SLICE, self.pacer.sim_now()))
        else:
            world.run_until(self.pacer.sim_now())
            if self.pacer.started:
                lag = self.pacer.sim_now() - world.now
                if lag > self.counters.max_lag:
                    self.counters.max_lag = lag
        self.flush()

    async def _pace(self) -> None:
        while True:
            self._advance()
            if self.pacer.flat_out and self.pacer.started and self.world.now < self.pacer.sim_now():
                await self._drain()
                continue
            due = self.world.next_due()
            delay = MAX_TICK
            if due is not None and self.pacer.started:
                delay = min(MAX_TICK, self.pacer.wall_delay(due))
            self._wake.clear()
            if delay > 0:
                # Not asyncio.wait_for: on 3.11 it can swallow the cancellation close() sends.
                timer = asyncio.get_running_loop().call_later(delay, self._wake.set)
                try:
                    await self._wake.wait()
                finally:
                    timer.cancel()
            else:
                await asyncio.sleep(0)  # let clients' actions in between steps

    async def _drain(self) -> None:
        """Flat out: wait for every listener to take what was written (the slowest sets the
        pace), and always let the loop run: drain() does not yield when nothing is queued."""
        for client in [c for c in self._clients if c.session.logged_in and c.session.events]:
            try:
                await client.writer.drain()
            except ConnectionError:
                self._drop(client, "connection lost")
        await asyncio.sleep(0)

    def flush(self) -> None:
        """Write the events made so far to every logged-in client that wants events."""
        pending = self._pending
        if not pending:
            return
        count = len(pending)
        data = b"".join(map(encode, pending))
        pending.clear()
        self.counters.events += count
        for client in list(self._clients):
            session = client.session
            if not (session.logged_in and session.events):
                continue
            transport = client.writer.transport
            if transport.is_closing():
                continue
            if transport.get_write_buffer_size() > MAX_BUFFERED:
                self._drop(client, "not reading (write buffer full)")
                continue
            client.writer.write(data)
            self.counters.frames_sent += count
            self.counters.bytes_sent += len(data)

    def _drop(self, client: _Client, why: str) -> None:
        log.warning("simulator: dropping an AMI client: %s", why)
        self.counters.dropped_clients += 1
        self._clients.discard(client)
        client.writer.close()

    # ---------------------------------------------------------------- clients

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._client_tasks.add(task)
        client = _Client(writer)
        self._clients.add(client)
        self.counters.connections += 1
        writer.write(BANNER)
        try:
            while not client.session.closing:
                block = await reader.readuntil(FRAME_END)
                message = parse_frame(block[: -len(FRAME_END)].decode("utf-8", "replace"))
                if not message:
                    continue
                self._advance()  # act on the present, and send what led up to it first
                replies = self.handler.handle(client.session, message)
                writer.write(b"".join(map(encode, replies)))
                self.flush()
                self._wake.set()  # the action may have made something due sooner
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass  # close(): ending normally
        finally:
            self._client_tasks.discard(task)
            self._clients.discard(client)
            writer.close()
