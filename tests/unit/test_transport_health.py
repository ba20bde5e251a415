"""AmiTransport connection health: readiness, ping liveness, reconnects with backoff, shutdown and stop."""

from __future__ import annotations

import asyncio
import time

import pytest

from pbx_bridge.transport import ActionTimeout, ConnectionLost, TransportClosed
from pbx_bridge.transport_backoff import Backoff
from tests.unit.transport_helpers import eventually, silent
from tests.unit.transport_helpers import asterisk, make_transport  # noqa: F401 - shared fixtures


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


# ------------------------------------------------------------------------ liveness


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


# ------------------------------------------------------------------------ backoff


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
