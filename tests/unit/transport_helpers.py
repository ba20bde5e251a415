"""Shared by the test_transport*.py files: a loopback AMI server the test steers (answers, silences, cuts)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from pbx_bridge.transport import AmiTransport
from pbx_bridge.transport_frames import parse_frame

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
SECRET = "s3cret"
# Short enough to keep the tests fast, long enough for a loaded 2-core CI box.
FAST = dict(action_timeout=0.5, ping_interval=0.2, backoff_initial=0.05, backoff_max=0.2)


def frame(headers: dict) -> bytes:
    lines = []
    for key, value in headers.items():
        values = value if isinstance(value, list) else [value]
        lines.extend(f"{key}: {item}" for item in values)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class Client:
    """One connection as the fake Asterisk sees it."""

    def __init__(self, writer: asyncio.StreamWriter):
        self.writer = writer
        self.connected_at = time.monotonic()

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, **headers) -> None:
        self.write(frame(headers))

    def reply(self, action: dict, **headers) -> None:
        self.send(Response=headers.pop("Response", "Success"), ActionID=action["ActionID"], **headers)

    def cut(self) -> None:
        """Drop the TCP connection without an AMI goodbye (cable pulled, Asterisk killed)."""
        self.writer.transport.abort()


Responder = Callable[[Client, dict], Awaitable[None] | None]


class FakeAsterisk:
    """Answers Login (Success + FullyBooted), Ping (Pong) and anything else (Success) unless told
    otherwise through the attributes below. Records every action it receives."""

    def __init__(self):
        self.booted = True  # send FullyBooted right after a successful Login
        self.answer_pings = True
        self.login_gate: asyncio.Event | None = None  # if set, Login is answered once it is set
        self.responders: dict[str, Responder] = {}  # lower-case action name -> custom answer
        self.received: list[dict] = []
        self.clients: list[Client] = []
        self._arrivals: asyncio.Queue[Client] = asyncio.Queue()
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        for client in self.clients:
            client.writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def next_client(self, timeout: float = 3.0) -> Client:
        return await asyncio.wait_for(self._arrivals.get(), timeout)

    def actions(self, name: str) -> list[dict]:
        return [a for a in self.received if a.get("Action", "").lower() == name.lower()]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        client = Client(writer)
        self.clients.append(client)
        self._arrivals.put_nowait(client)
        writer.write(BANNER)
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = parse_frame(block.decode("utf-8").strip("\r\n"))
                self.received.append(action)
                # Answer in a task so a held answer (login gate) never stops us reading: a test
                # must see an action the transport should not have sent yet.
                answer = asyncio.create_task(self._answer(client, action))
                self._tasks.add(answer)
                answer.add_done_callback(self._tasks.discard)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)

    async def _answer(self, client: Client, action: dict) -> None:
        name = action.get("Action", "").lower()
        if name == "login":
            if self.login_gate is not None:
                await self.login_gate.wait()
            if action.get("Secret") != SECRET:
                client.reply(action, Response="Error", Message="Authentication failed")
                return
            client.reply(action, Message="Authentication accepted")
            if self.booted:
                client.send(Event="FullyBooted", Privilege="system,all", Uptime="1", Status="Fully Booted")
        elif name in self.responders:
            result = self.responders[name](client, action)
            if asyncio.iscoroutine(result):
                await result
        elif name == "ping":
            if self.answer_pings:
                client.reply(action, Ping="Pong", Timestamp="1795670143.000000")
        else:
            client.reply(action)


class NullTransport(asyncio.Transport):
    """A socket for an AmiProtocol fed by hand: writes vanish, close() is remembered."""

    def __init__(self):
        super().__init__()
        self.closed = False

    def write(self, data) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def silent(_client: Client, _action: dict) -> None:
    """A responder that never answers (a stuck or half-open Asterisk)."""


@pytest.fixture
async def asterisk():
    server = FakeAsterisk()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def make_transport(asterisk):
    made: list[AmiTransport] = []

    async def make(on_event=None, secret=SECRET, start=True, **options) -> AmiTransport:
        settings = dict(FAST)
        settings.update(options)
        transport = AmiTransport(
            "127.0.0.1", asterisk.port, "aiivr", secret, on_event=on_event or (lambda message: None), **settings
        )
        made.append(transport)
        if start:
            await transport.start()
        return transport

    yield make
    for transport in made:
        await transport.stop()


async def eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
