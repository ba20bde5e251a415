"""The simulator over TCP, through the product's own AMI transport: `aiivr serve` must find in
it what it expects of an Asterisk (pbx_bridge/transport.py)."""

from __future__ import annotations

import asyncio

from pbx_bridge.simulator import SimulatorServer
from pbx_bridge.transport import AmiTransport
from tests.unit.simulator_helpers import Sim, quiet, roster

ALICE = "Local/1001@agents/n"


def _world():
    return Sim(roster=roster({"support": "rrmemory", "sales": "ringall"}, {"alice": ["support", "sales"]}),
               profile=quiet(), self_wrapup=False).world


async def _session(test) -> None:
    world = _world()
    server = SimulatorServer(world, secret="s3cret", speed=50)
    port = await server.start()
    events: list[dict] = []
    transport = AmiTransport("127.0.0.1", port, "aiivr", "s3cret", on_event=events.append, ping_interval=0.2)
    await transport.start()
    try:
        assert await transport.wait_connected(5)
        await test(server, transport, events)
    finally:
        await transport.stop()
        await server.close()


def test_banner_login_fully_booted_and_ping():
    async def test(server, transport, events):
        assert transport.ami_version == "11.0.0"
        assert [e["Event"] for e in events] == ["FullyBooted"]
        reply = await transport.send({"Action": "Ping"})
        assert reply["Response"] == "Success" and reply["Ping"] == "Pong"
        await asyncio.sleep(0.5)  # the transport's own checked pings keep the session up
        assert transport.connected and transport.counters.ping_failures == 0

    asyncio.run(_session(test))


def test_list_actions_come_back_whole_with_their_action_id():
    async def test(server, transport, events):
        for action, first, last in (("QueueStatus", "QueueParams", "QueueStatusComplete"),
                                    ("QueueSummary", "QueueSummary", "QueueSummaryComplete"),
                                    ("CoreShowChannels", None, "CoreShowChannelsComplete")):
            reply = await transport.send({"Action": action})
            assert reply[0]["EventList"] == "start" and reply[-1]["Event"] == last, action
            assert len({r["ActionID"] for r in reply}) == 1
            if first:
                assert reply[1]["Event"] == first
            assert reply[-1]["ListItems"] == str(len(reply) - 2)

    asyncio.run(_session(test))


def test_queue_actions_reply_then_report():
    async def test(server, transport, events):
        reply = await transport.send({"Action": "QueueAdd", "Queue": "support", "Interface": "Local/1005@agents/n",
                                      "MemberName": "eve"})
        assert reply["Message"] == "Added interface to queue"
        reply = await transport.send({"Action": "QueuePause", "Interface": ALICE, "Paused": "true",
                                      "Reason": "lunch"})
        assert reply["Message"] == "Interface paused successfully"
        await asyncio.sleep(0.1)
        added = [e for e in events if e["Event"] == "QueueMemberAdded"]
        assert [(e["Interface"], e["MemberName"]) for e in added] == [("Local/1005@agents/n", "eve")]
        paused = [(e["Queue"], e["PausedReason"]) for e in events if e["Event"] == "QueueMemberPause"]
        assert sorted(paused) == [("sales", "lunch"), ("support", "lunch")]  # every queue of the member

    asyncio.run(_session(test))


def test_async_originate_answers_then_reports_the_outcome():
    async def test(server, transport, events):
        server.start_clock()
        reply = await transport.send({"Action": "Originate", "Channel": "Local/1001@phones/n",
                                      "Context": "outbound", "Exten": "5551234", "Priority": "1",
                                      "Async": "true", "Variable": "AIIVR_ORIGIN=outbound"})
        response, outcome = reply
        assert response["Message"] == "Originate successfully queued"
        assert (outcome["Event"], outcome["Response"], outcome["Reason"]) == ("OriginateResponse", "Success", "4")
        assert outcome["ActionID"] == response["ActionID"]
        await server.wait_until(60)
        await asyncio.sleep(0.1)
        hangups = [e for e in events if e["Event"] == "Hangup"]
        assert len(hangups) == 4  # the phone's pair and the far end's pair

    asyncio.run(_session(test))


def test_a_wrong_secret_is_refused():
    async def run() -> tuple[bytes, bytes]:
        server = SimulatorServer(_world(), secret="s3cret")
        port = await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        banner = await reader.readline()
        writer.write(b"Action: Login\r\nActionID: 1\r\nUsername: aiivr\r\nSecret: nope\r\n\r\n")
        reply = await reader.readuntil(b"\r\n\r\n")
        writer.close()
        await server.close()
        return banner, reply

    banner, reply = asyncio.run(run())
    assert banner == b"Asterisk Call Manager/11.0.0\r\n"
    assert reply == b"Response: Error\r\nActionID: 1\r\nMessage: Authentication failed\r\n\r\n"


def test_the_clock_waits_for_start_and_stops_where_it_is_held():
    async def run() -> tuple[float, float]:
        world = _world()
        server = SimulatorServer(world, secret="s", speed=100)
        await server.start()
        await asyncio.sleep(0.2)
        before = world.now
        server.hold_at(5)
        server.start_clock()
        await asyncio.sleep(0.3)  # 30 simulated seconds' worth of wall time
        after = world.now
        await server.close()
        return before, after

    assert asyncio.run(run()) == (0.0, 5.0)
