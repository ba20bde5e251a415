"""AmiTransport reading: framing, header parsing, UTF-8 split across reads, events handed to the handler."""

from __future__ import annotations

import asyncio
import logging

from pbx_bridge.transport_events import EventSink, TransportCounters
from pbx_bridge.transport_frames import FrameBuffer, parse_frame
from pbx_bridge.transport_protocol import AmiProtocol
from tests.unit.transport_helpers import (  # noqa: F401 - shared fixtures
    NullTransport,
    asterisk,
    eventually,
    frame,
    make_transport,
)

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


# ------------------------------------------------------------------------ framing and parsing


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


def test_framing_lost_drops_the_connection_instead_of_growing_forever(caplog):
    counters = TransportCounters()
    protocol = AmiProtocol(EventSink(lambda m: None, counters), on_fully_booted=lambda: None)
    null = NullTransport()
    protocol.connection_made(null)
    protocol._frames.max_bytes = 1024
    with caplog.at_level(logging.ERROR, logger="pbx_bridge.transport"):
        protocol.data_received(b"Event: X\r\nHuge: " + b"x" * 2048)
    assert null.closed and protocol.closed
    assert "framing lost" in caplog.text
