"""AmiTransport against a loopback AMI server the test steers (answers, silences, cuts)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import pytest

from pbx_bridge.transport import (
    ActionTimeout,
    AmiTransport,
    ConnectionLost,
    TransportClosed,
)
from pbx_bridge.transport_backoff import Backoff
from pbx_bridge.transport_events import EventSink, TransportCounters
from pbx_bridge.transport_frames import FrameBuffer, parse_frame
from pbx_bridge.transport_protocol import AmiProtocol

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
SECRET = "s3cret"
# Short enough to keep the file fast, long enough for a loaded 2-core CI box.
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


# ------------------------------------------------------------------------ readiness


async def test_an_action_waits_for_login_and_then_for_fully_booted(asterisk, make_transport):
    asterisk.login_gate = asyncio.Event()
    asterisk.booted = False  # Asterisk still loading modules: FullyBooted comes later
    transport = await make_transport(action_timeout=3.0)
    client = await asterisk.next_client()

    pending = asyncio.create_task(transport.send({"Action": "QueueStatus", "Queue": "support"}, timeout=3.0))
    await eventually(lambda: asterisk.actions("Login"))
    await asyncio.sleep(0.1)
    assert not asterisk.actions("QueueStatus"), "sent before Login was answered"

    asterisk.login_gate.set()
    await asyncio.sleep(0.15)
    assert not asterisk.actions("QueueStatus"), "sent before FullyBooted"
    assert not transport.connected

    client.send(Event="FullyBooted", Privilege="system,all", Status="Fully Booted")
    reply = await pending
    assert reply["Response"] == "Success"
    assert transport.connected
    assert len(asterisk.actions("QueueStatus")) == 1


async def test_an_action_that_never_gets_ready_times_out_unsent(asterisk, make_transport):
    asterisk.booted = False
    transport = await make_transport()
    with pytest.raises(ActionTimeout) as caught:
        await transport.send({"Action": "QueuePause", "Interface": "Local/1001@agents/n"}, timeout=0.2)
    assert caught.value.sent is False
    assert caught.value.action == "QueuePause"
    assert not asterisk.actions("QueuePause")


async def test_connected_hooks_run_per_session(asterisk, make_transport):
    calls: list[str] = []

    async def connected():
        calls.append("connected")

    transport = await make_transport(
        on_connected=connected, on_disconnected=lambda reason: calls.append(f"lost: {reason}")
    )
    first = await asterisk.next_client()
    assert await transport.wait_connected(2)
    first.cut()
    await asterisk.next_client()
    await eventually(lambda: calls.count("connected") == 2)
    assert calls[0] == "connected" and calls[1].startswith("lost: ")


# ------------------------------------------------------------------------ timeouts and liveness


async def test_an_unanswered_action_raises_action_timeout_with_its_name(asterisk, make_transport):
    asterisk.responders["hangup"] = silent
    transport = await make_transport()
    assert await transport.wait_connected(2)
    started = time.monotonic()
    with pytest.raises(ActionTimeout, match="Hangup") as caught:
        await transport.send({"Action": "Hangup", "Channel": "Local/1001@agents-00000001;1"}, timeout=0.3)
    assert 0.25 <= time.monotonic() - started < 2
    assert caught.value.sent is True
    assert transport.counters.action_timeouts == 1


async def test_a_late_reply_to_a_timed_out_list_action_is_not_delivered_as_events(asterisk, make_transport):
    events: list[dict] = []
    held: list[tuple[Client, dict]] = []
    asterisk.responders["queuestatus"] = lambda client, action: held.append((client, action))
    transport = await make_transport(on_event=events.append)
    assert await transport.wait_connected(2)
    with pytest.raises(ActionTimeout):
        await transport.send({"Action": "QueueStatus"}, timeout=0.2)

    client, action = held[0]
    client.reply(action, EventList="start", Message="Queue status will follow")
    client.send(Event="QueueMember", Queue="support", Name="Alice", ActionID=action["ActionID"])
    client.send(Event="QueueStatusComplete", EventList="Complete", ListItems="1", ActionID=action["ActionID"])
    client.send(Event="Hangup", Uniqueid="1.1")  # an ordinary event after them still arrives
    await eventually(lambda: any(e["Event"] == "Hangup" for e in events))
    assert [e["Event"] for e in events if e["Event"] != "FullyBooted"] == ["Hangup"]


async def test_an_unanswered_ping_drops_the_session_and_reconnects(asterisk, make_transport):
    asterisk.answer_pings = False
    transport = await make_transport()
    await asterisk.next_client()
    assert await transport.wait_connected(2)
    await asterisk.next_client(timeout=3)  # the half-open session was noticed and replaced
    assert transport.counters.ping_failures >= 1
    assert asterisk.actions("Ping")

    asterisk.answer_pings = True
    assert await transport.wait_connected(2)
    reconnects = transport.counters.reconnects
    await asyncio.sleep(0.6)  # several answered pings: the session stays
    assert transport.connected
    assert transport.counters.reconnects == reconnects


async def test_a_wrong_ping_answer_counts_as_a_failure(asterisk, make_transport):
    asterisk.responders["ping"] = lambda client, action: client.reply(
        action, Response="Error", Message="Missing action"
    )
    transport = await make_transport()
    await asterisk.next_client()
    await asterisk.next_client(timeout=3)
    assert transport.counters.ping_failures >= 1


# ------------------------------------------------------------------------ reconnects, no re-sends


async def test_a_cut_mid_traffic_reconnects_with_backoff_and_never_resends_the_pending_action(asterisk, make_transport):
    events: list[dict] = []
    asterisk.responders["queuepause"] = silent  # in flight when the line drops
    transport = await make_transport(on_event=events.append, backoff_initial=0.3, backoff_max=1.0, action_timeout=2.0)
    first = await asterisk.next_client()
    assert await transport.wait_connected(2)

    for i in range(200):
        first.send(Event="Newexten", Uniqueid=f"1.{i}", Application="Wait")
    pause = asyncio.create_task(
        transport.send({"Action": "QueuePause", "Interface": "Local/1001@agents/n", "Paused": "true"})
    )
    await eventually(lambda: asterisk.actions("QueuePause"))
    for i in range(200, 300):
        first.send(Event="Newexten", Uniqueid=f"1.{i}", Application="Wait")
    cut_at = time.monotonic()
    first.cut()

    with pytest.raises(ConnectionLost) as caught:
        await pause
    assert caught.value.action == "QueuePause"

    second = await asterisk.next_client(timeout=3)
    assert second.connected_at - cut_at >= 0.15  # equal jitter: at least half of backoff_initial
    assert await transport.wait_connected(2)
    await asyncio.sleep(0.5)  # FullyBooted has come and gone: panoramisk would have re-sent by now
    assert len(asterisk.actions("QueuePause")) == 1
    assert transport.counters.reconnects == 1
    assert transport.counters.disconnects == 1
    del asterisk.responders["queuepause"]
    reply = await transport.send(
        {"Action": "QueuePause", "Interface": "Local/1001@agents/n", "Paused": "false"}, timeout=1
    )
    assert reply["Response"] == "Success"


async def test_refused_connections_are_retried_with_growing_delays(asterisk, make_transport):
    port = asterisk.port
    asterisk._server.close()  # nothing listens: every attempt is refused
    await asterisk._server.wait_closed()
    transport = await make_transport(backoff_initial=0.05, backoff_max=0.4)
    await asyncio.sleep(1.0)
    attempts = transport.counters.failed_attempts
    # 0.05, 0.1, 0.2, 0.4, 0.4 ... (each jittered down to at most half): a handful, not hundreds
    assert 3 <= attempts <= 12
    assert not transport.connected

    server = await asyncio.start_server(asterisk._serve, "127.0.0.1", port)
    try:
        assert await transport.wait_connected(3)
    finally:
        await transport.stop()
        server.close()


async def test_a_refused_login_is_retried_and_never_connects(asterisk, make_transport):
    transport = await make_transport(secret="wrong")
    await asterisk.next_client()
    await asterisk.next_client(timeout=3)
    assert not await transport.wait_connected(0.1)
    assert transport.counters.failed_attempts >= 1
    with pytest.raises(ActionTimeout) as caught:
        await transport.send({"Action": "Ping"}, timeout=0.1)
    assert not caught.value.sent


async def test_shutdown_event_fails_pending_actions_at_once(asterisk, make_transport):
    asterisk.responders["queueremove"] = silent
    transport = await make_transport(action_timeout=5.0)
    client = await asterisk.next_client()
    assert await transport.wait_connected(2)
    pending = asyncio.create_task(
        transport.send({"Action": "QueueRemove", "Queue": "support", "Interface": "Local/2001@agents/n"})
    )
    await eventually(lambda: asterisk.actions("QueueRemove"))
    started = time.monotonic()
    client.send(Event="Shutdown", Privilege="system,all", Shutdown="Cleanly", Restart="True")
    with pytest.raises(ConnectionLost, match="shutting down"):
        await pending
    assert time.monotonic() - started < 1  # not after the 5 s timeout
    await asterisk.next_client(timeout=3)
    assert await transport.wait_connected(2)
    assert len(asterisk.actions("QueueRemove")) == 1


async def test_stop_fails_pending_and_later_sends(asterisk, make_transport):
    asterisk.responders["originate"] = silent
    transport = await make_transport()
    assert await transport.wait_connected(2)
    pending = asyncio.create_task(transport.send({"Action": "Originate", "Channel": "Local/1001@agents/n"}))
    await eventually(lambda: asterisk.actions("Originate"))
    await transport.stop()
    with pytest.raises(ConnectionLost):
        await pending
    with pytest.raises(TransportClosed):
        await transport.send({"Action": "Ping"})
    assert not transport.connected


# ------------------------------------------------------------------------ events


async def test_a_handler_exception_is_logged_and_the_rest_of_the_read_still_arrives(asterisk, make_transport, caplog):
    seen: list[str] = []

    def on_event(message: dict) -> None:
        if message["Event"] == "Boom":
            raise RuntimeError("translator bug")
        seen.append(message["Event"])

    transport = await make_transport(on_event=on_event)
    client = await asterisk.next_client()
    assert await transport.wait_connected(2)
    # One write: the three frames arrive in the same read.
    client.write(
        frame({"Event": "Newchannel"}) + frame({"Event": "Boom", "Uniqueid": "9.9"}) + frame({"Event": "Hangup"})
    )
    await eventually(lambda: "Hangup" in seen)
    assert seen[-2:] == ["Newchannel", "Hangup"]
    assert transport.counters.handler_errors == 1
    assert transport.connected
    assert any("Boom" in r.getMessage() and r.exc_info for r in caplog.records if r.name == "pbx_bridge.transport")


async def test_an_async_handler_exception_is_logged_not_lost(asterisk, make_transport, caplog):
    async def on_event(message: dict) -> None:
        if message["Event"] == "Boom":
            raise RuntimeError("async handler bug")

    transport = await make_transport(on_event=on_event)
    client = await asterisk.next_client()
    assert await transport.wait_connected(2)
    client.send(Event="Boom")
    await eventually(lambda: transport.counters.handler_errors == 1)
    assert any("async handler bug" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_a_name_split_inside_a_multibyte_character_arrives_intact(asterisk, make_transport):
    names: list[str] = []
    transport = await make_transport(on_event=lambda m: names.append(m.get("CallerIDName")))
    client = await asterisk.next_client()
    assert await transport.wait_connected(2)
    data = frame({"Event": "NewCallerid", "CallerIDName": "José Müller", "Uniqueid": "1.1"})
    cut = data.index("é".encode()) + 1  # between the two bytes of é
    client.write(data[:cut])
    await client.writer.drain()
    await asyncio.sleep(0.05)  # make sure the halves are two reads
    client.write(data[cut:])
    await eventually(lambda: "José Müller" in names)


async def test_events_are_plain_dicts_with_repeated_headers_as_lists(asterisk, make_transport):
    events: list[dict] = []
    transport = await make_transport(on_event=events.append)
    client = await asterisk.next_client()
    assert await transport.wait_connected(2)
    client.send(Event="VarSet", ChanVariable=["A=1", "B=2"], Value="x: y")
    await eventually(lambda: any(e["Event"] == "VarSet" for e in events))
    varset = next(e for e in events if e["Event"] == "VarSet")
    assert type(varset) is dict
    assert varset == {"Event": "VarSet", "ChanVariable": ["A=1", "B=2"], "Value": "x: y"}
    assert transport.counters.events_received == len(events)


# ------------------------------------------------------------------------ replies


async def test_queue_add_resolves_despite_panoramisks_list_heuristic(asterisk, make_transport):
    asterisk.responders["queueadd"] = lambda client, action: client.reply(action, Message="Added interface to queue")
    transport = await make_transport()
    reply = await transport.send({"Action": "QueueAdd", "Queue": "support", "Interface": "Local/2001@agents/n"})
    assert reply["Message"] == "Added interface to queue"


async def test_a_list_reply_is_collected_and_not_dispatched(asterisk, make_transport):
    events: list[dict] = []

    def queue_status(client: Client, action: dict) -> None:
        action_id = action["ActionID"]
        client.reply(action, EventList="start", Message="Queue status will follow")
        client.send(Event="QueueParams", Queue="support", Calls="0", ActionID=action_id)
        for name, location in (("Alice", "Local/1001@agents/n"), ("Bob", "Local/1002@agents/n")):
            client.send(Event="QueueMember", Queue="support", Name=name, Location=location, ActionID=action_id)
        client.send(Event="QueueStatusComplete", EventList="Complete", ListItems="3", ActionID=action_id)

    asterisk.responders["queuestatus"] = queue_status
    transport = await make_transport(on_event=events.append)
    replies = await transport.send({"Action": "QueueStatus"})
    assert [r.get("Event", r.get("Response")) for r in replies] == [
        "Success", "QueueParams", "QueueMember", "QueueMember", "QueueStatusComplete",
    ]
    assert replies[2]["Name"] == "Alice"
    assert all(type(r) is dict and "content" not in r for r in replies)
    assert not [e for e in events if e["Event"].startswith("Queue")]


async def test_an_async_originate_resolves_to_response_and_originate_response(asterisk, make_transport):
    def originate(client: Client, action: dict) -> None:
        client.reply(action, Message="Originate successfully queued")
        client.send(
            Event="OriginateResponse", ActionID=action["ActionID"], Response="Success",
            Channel="Local/support@caller-00000001;1", Reason="4",
        )

    asterisk.responders["originate"] = originate
    transport = await make_transport()
    replies = await transport.send(
        {"Action": "Originate", "Channel": "Local/support@caller/n", "Application": "Wait", "Data": "5",
         "Async": "true"}
    )
    assert [r.get("Event", "") for r in replies] == ["", "OriginateResponse"]
    assert replies[1]["Reason"] == "4"


def test_an_async_originate_gets_a_timeout_that_covers_its_ringing():
    transport = AmiTransport("127.0.0.1", 1, "u", "s", on_event=lambda m: None, action_timeout=5.0)
    timeout_for = transport._timeout_for  # noqa: SLF001
    assert timeout_for("Originate", {"Action": "Originate", "Async": "true", "Timeout": "20000"}, None) == 25.0
    assert timeout_for("Originate", {"Action": "Originate", "Async": "true"}, None) == 35.0
    assert timeout_for("Originate", {"Action": "Originate"}, None) == 5.0
    assert timeout_for("Originate", {"Action": "Originate", "Async": "true"}, 2.0) == 2.0


async def test_a_header_with_a_line_break_is_refused_before_sending(asterisk, make_transport):
    transport = await make_transport()
    assert await transport.wait_connected(2)
    with pytest.raises(ValueError, match="line break"):
        await transport.send({"Action": "QueuePause", "Reason": "lunch\r\nAction: Hangup"})
    assert not asterisk.actions("QueuePause") and not asterisk.actions("Hangup")


async def test_send_before_start_is_refused():
    transport = AmiTransport("127.0.0.1", 1, "u", "s", on_event=lambda m: None)
    with pytest.raises(TransportClosed):
        await transport.send({"Action": "Ping"})


# ------------------------------------------------------------------------ pieces


def test_backoff_doubles_up_to_the_cap_with_equal_jitter():
    low = Backoff(0.5, 4.0, rand=lambda: 0.0)
    high = Backoff(0.5, 4.0, rand=lambda: 1.0)
    assert [low.next_delay() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert [high.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    high.reset()
    assert high.next_delay() == 0.5
    for _ in range(2000):  # no overflow after a very long outage
        high.next_delay()
    with pytest.raises(ValueError):
        Backoff(0, 1)
    capped = Backoff(0.5, 0.2, rand=lambda: 1.0)  # a cap below the default start wins
    assert [capped.next_delay() for _ in range(3)] == [0.2, 0.2, 0.2]


def test_frames_are_decoded_only_when_complete():
    buffer = FrameBuffer()
    data = frame({"Event": "Newchannel", "CallerIDName": "Zoë"})
    split = data.index("ë".encode()) + 1
    assert buffer.feed(data[:split]) == []
    assert buffer.feed(data[split:]) == ["Event: Newchannel\r\nCallerIDName: Zoë"]
    assert len(buffer) == 0


def test_parse_frame_skips_lines_without_a_separator_and_keeps_colons_in_values():
    assert parse_frame("Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nMessage: a: b") == {
        "Response": "Success",
        "Message": "a: b",
    }
    assert parse_frame("") == {}
    assert parse_frame("Event: X\r\nKey: 1\r\nKey: 2\r\nKey: 3") == {"Event": "X", "Key": ["1", "2", "3"]}


class _NullTransport(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.closed = False

    def write(self, data) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_framing_lost_drops_the_connection_instead_of_growing_forever(caplog):
    counters = TransportCounters()
    protocol = AmiProtocol(EventSink(lambda m: None, counters), on_fully_booted=lambda: None)
    null = _NullTransport()
    protocol.connection_made(null)
    protocol._frames.max_bytes = 1024
    with caplog.at_level(logging.ERROR, logger="pbx_bridge.transport"):
        protocol.data_received(b"Event: X\r\nHuge: " + b"x" * 2048)
    assert null.closed and protocol.closed
    assert "framing lost" in caplog.text
