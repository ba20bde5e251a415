"""Hostile byte streams: malformed frames, huge fields, garbage, UTF-8 split at random points.

Property: nothing raises out of the read path, nothing hangs, and every well-formed event
arrives, intact and in order, whatever surrounds it and however the bytes are chunked.
"""

from __future__ import annotations

import asyncio
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbx_bridge.transport import AmiTransport
from pbx_bridge.transport_events import EventSink, TransportCounters
from pbx_bridge.transport_protocol import AmiProtocol
from tests.unit.transport_helpers import NullTransport

TERMINATOR = b"\r\n\r\n"
BANNER = b"Asterisk Call Manager/9.0.0\r\n"

keys = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=16).filter(
    lambda k: k not in ("Event", "ActionID")
)
# Anything but CR/LF (AMI has no way to carry them) and lone surrogates (not encodable).
values = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40)
header_values = st.one_of(values, st.lists(values, min_size=2, max_size=3))


@st.composite
def well_formed_events(draw) -> dict:
    # Any name but Shutdown: that one ends the session on purpose (its own test is in the
    # transport's health tests), and Hypothesis finds it among the code's string literals.
    name = draw(st.text(alphabet=string.ascii_letters, min_size=1, max_size=20).filter(lambda n: n != "Shutdown"))
    event = {"Event": name}
    event.update(draw(st.dictionaries(keys, header_values, max_size=8)))
    huge = draw(st.one_of(st.just(0), st.just(0), st.integers(1_000, 400_000)))
    if huge:
        # Multi-byte characters make sure chunk boundaries land inside them.
        event["Huge"] = ("José Müller 日本 " * (huge // 20 + 1))[:huge]
    return event


def encode(event: dict) -> bytes:
    lines = []
    for key, value in event.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{key}: {item}")
    return "\r\n".join(lines).encode("utf-8") + TERMINATOR


malformed_frames = st.one_of(
    st.binary(max_size=300),  # garbage, invalid UTF-8 included
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b"Event:NoSpace\r\nKey:alsoNoSpace"),
    st.just(b"Response: Success\r\nMessage: a response nobody asked for"),
    st.just(b"NoColonAtAll"),
    st.just(b""),
    st.just(b"\xc3"),  # a truncated multi-byte character right before the terminator
).map(lambda garbage: garbage + TERMINATOR)  # garbage is still delimited; see the note below

# Note: garbage that is *not* followed by a terminator merges into the next frame's first line
# (for Asterisk and panoramisk alike); no reader can recover the next event from that, so the
# property is about delimited garbage.

streams = st.lists(
    st.one_of(well_formed_events().map(lambda e: ("event", e)), malformed_frames.map(lambda g: ("junk", g))),
    min_size=1,
    max_size=25,
)


def build(items, with_banner: bool) -> tuple[bytes, list[dict]]:
    data = bytearray(BANNER if with_banner else b"")
    expected = []
    for kind, item in items:
        if kind == "event":
            data += encode(item)
            expected.append(item)
        else:
            data += item
    return bytes(data), expected


def chunk(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:]) if b > a]


def assert_in_order(expected: list[dict], delivered: list[dict]) -> None:
    remaining = iter(delivered)
    for event in expected:
        assert any(got == event for got in remaining), f"lost or altered: {str(event)[:200]}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(items=streams, with_banner=st.booleans(), data=st.data())
def test_the_read_path_survives_anything_and_loses_no_well_formed_event(items, with_banner, data):
    stream, expected = build(items, with_banner)
    cuts = data.draw(st.lists(st.integers(0, max(len(stream), 1)), max_size=40))
    delivered: list[dict] = []
    counters = TransportCounters()
    protocol = AmiProtocol(EventSink(delivered.append, counters), on_fully_booted=lambda: None)
    null = NullTransport()
    protocol.connection_made(null)
    for piece in chunk(stream, cuts):
        protocol.data_received(piece)  # must not raise
    assert not null.closed
    assert_in_order(expected, delivered)
    assert counters.events_received == len(delivered)


def test_a_chunk_boundary_at_every_byte_of_a_multibyte_name():
    data = encode({"Event": "NewCallerid", "CallerIDName": "José Müller 日本"})
    for cut in range(1, len(data)):
        delivered: list[dict] = []
        protocol = AmiProtocol(EventSink(delivered.append, TransportCounters()), on_fully_booted=lambda: None)
        protocol.connection_made(NullTransport())
        protocol.data_received(data[:cut])
        protocol.data_received(data[cut:])
        assert delivered == [{"Event": "NewCallerid", "CallerIDName": "José Müller 日本"}], cut


# ---------------------------------------------------------------------- through a real socket


async def _serve_stream(chunks: list[bytes], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(BANNER)
    try:
        login = await reader.readuntil(TERMINATOR)
        action_id = next(line.split(b": ", 1)[1] for line in login.split(b"\r\n") if line.startswith(b"ActionID: "))
        writer.write(b"Response: Success\r\nActionID: " + action_id + b"\r\nMessage: Authentication accepted")
        writer.write(TERMINATOR)
        writer.write(b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted" + TERMINATOR)
        for piece in chunks:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0)  # let the client read between pieces: real chunking on the wire
        await reader.read()  # keep the line open until the client goes
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _run_over_socket(chunks: list[bytes], expected: list[dict]) -> None:
    delivered: list[dict] = []
    arrived = asyncio.Event()

    def on_event(message: dict) -> None:
        delivered.append(message)
        if len(delivered) >= len(expected) + 1:
            arrived.set()

    server = await asyncio.start_server(lambda r, w: _serve_stream(chunks, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = AmiTransport("127.0.0.1", port, "u", "s", on_event=on_event, action_timeout=2.0, ping_interval=30.0)
    await transport.start()
    try:
        # Bounded: a reader that stalls on some input fails here instead of hanging the suite.
        await asyncio.wait_for(transport.wait_connected(), 5)
        if expected:
            await asyncio.wait_for(arrived.wait(), 10)
        else:
            await asyncio.sleep(0.05)
        assert transport.connected
        assert transport.counters.reconnects == 0
    finally:
        await transport.stop()
        server.close()
    assert_in_order(expected, delivered[1:])  # [0] is the FullyBooted answering Login


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(items=streams, data=st.data())
def test_the_transport_keeps_its_connection_and_every_event_over_a_real_socket(items, data):
    stream, expected = build(items, with_banner=False)
    cuts = data.draw(st.lists(st.integers(0, max(len(stream), 1)), max_size=15))
    # A sync test running its own loop: keeps hypothesis and pytest-asyncio out of each other's way.
    asyncio.run(_run_over_socket(chunk(stream, cuts), expected))
