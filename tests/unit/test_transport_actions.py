"""AmiTransport actions: timeouts, single and list replies, async Originate, refusals before sending."""

from __future__ import annotations

import time

import pytest

from pbx_bridge.transport import ActionTimeout, AmiTransport, TransportClosed
from tests.unit.transport_helpers import Client, eventually, frame, silent
from tests.unit.transport_helpers import asterisk, make_transport  # noqa: F401 - shared fixtures


# ------------------------------------------------------------------------ timeouts


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


async def test_on_reply_gets_each_reply_message_in_its_place_among_the_events(asterisk, make_transport):
    seen: list[str] = []

    def channels(client: Client, action: dict) -> None:
        action_id = action["ActionID"]
        # One write: an event before the list, the list, an event after it.
        client.write(frame({"Event": "Newchannel", "Uniqueid": "before"})
                     + frame({"Response": "Success", "EventList": "start", "ActionID": action_id})
                     + frame({"Event": "CoreShowChannel", "Uniqueid": "listed", "ActionID": action_id})
                     + frame({"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ActionID": action_id})
                     + frame({"Event": "Newchannel", "Uniqueid": "after"}))

    asterisk.responders["coreshowchannels"] = channels
    transport = await make_transport(on_event=lambda e: seen.append(f"event {e.get('Uniqueid')}"))
    replies = await transport.send({"Action": "CoreShowChannels"},
                                   on_reply=lambda m: seen.append(f"reply {m.get('Event', m.get('Response'))}"))
    await eventually(lambda: "event after" in seen)
    assert [s for s in seen if "before" in s or "reply" in s or "after" in s] == [
        "event before", "reply Success", "reply CoreShowChannel", "reply CoreShowChannelsComplete", "event after"]
    assert [r.get("Event", r.get("Response")) for r in replies] == ["Success", "CoreShowChannel",
                                                                     "CoreShowChannelsComplete"]


async def test_replies_to_panoramisks_own_actions_go_through_no_hook(asterisk, make_transport, caplog):
    """Login is panoramisk's own Action, which answers '' for any attribute it lacks."""
    caplog.set_level("ERROR", logger="pbx_bridge.transport")
    transport = await make_transport(on_event=lambda e: None)
    assert (await transport.send({"Action": "Ping"}))["Response"] == "Success"
    assert [r.getMessage() for r in caplog.records if r.name == "pbx_bridge.transport"] == []


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
