"""AmiTransport against the real Asterisk 22 lab: the replies, lists and restart it really sends.

Run as root after .ci/install-lab.sh:
    .venv/bin/python -m pytest tests/integration/test_transport_lab.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from pbx_bridge import lab as lab_manager
from pbx_bridge import lab_calls
from pbx_bridge.transport import AmiTransport, ConnectionLost

pytestmark = pytest.mark.lab

ALICE = lab_calls.agent_interface("1001")
GHOST = lab_calls.agent_interface("2999")  # a member only the in-flight QueueAdd would create


async def connected_transport(lab, events: list[dict], **options) -> AmiTransport:
    settings = dict(action_timeout=5.0, ping_interval=1.0, backoff_initial=0.2, backoff_max=2.0)
    settings.update(options)
    transport = AmiTransport(lab.host, lab.port, lab.username, lab.secret, on_event=events.append, **settings)
    await transport.start()
    assert await transport.wait_connected(15), "no AMI session with the lab within 15 s"
    return transport


def members(lab, queue: str) -> str:
    return "\n".join(line for line in lab.cli(f"queue show {queue}").splitlines() if "Local/" in line)


async def eventually(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_replies_lists_and_membership_against_real_asterisk(clean_lab):
    lab = clean_lab
    events: list[dict] = []
    transport = await connected_transport(lab, events)
    try:
        assert any(e.get("Event") == "FullyBooted" for e in events)

        ping = await transport.send({"Action": "Ping"})
        assert ping["Response"] == "Success" and ping["Ping"] == "Pong"

        # Resolves although its Message matches panoramisk's "a list follows" heuristic.
        added = await transport.send(
            {"Action": "QueueAdd", "Queue": "support", "Interface": ALICE, "MemberName": "Alice"}
        )
        assert added["Response"] == "Success", added
        assert added["Message"] == "Added interface to queue"

        status = await transport.send({"Action": "QueueStatus", "Queue": "support"})
        assert isinstance(status, list)
        assert status[0]["Response"] == "Success" and status[0]["EventList"] == "start"
        assert status[-1]["Event"] == "QueueStatusComplete"
        assert [m["Location"] for m in status if m.get("Event") == "QueueMember"] == [ALICE]
        assert any(m.get("Event") == "QueueParams" and m["Queue"] == "support" for m in status)

        summary = await transport.send({"Action": "QueueSummary"})
        assert summary[-1]["Event"] == "QueueSummaryComplete"
        assert {s["Queue"] for s in summary if s.get("Event") == "QueueSummary"} >= {"support", "sales"}

        channels = await transport.send({"Action": "CoreShowChannels"})
        assert channels[-1]["Event"] == "CoreShowChannelsComplete"

        removed = await transport.send({"Action": "QueueRemove", "Queue": "support", "Interface": ALICE})
        assert removed["Response"] == "Success", removed
        assert ALICE not in members(lab, "support")

        # List items went to the replies; state events went to on_event.
        await eventually(lambda: any(e.get("Event") == "QueueMemberRemoved" for e in events))
        names = {e.get("Event") for e in events}
        assert "QueueMemberAdded" in names
        assert not names & {"QueueMember", "QueueParams", "QueueStatusComplete", "QueueSummary"}

        await asyncio.sleep(2.5)  # a few real Ping round trips
        assert transport.connected
        assert transport.counters.ping_failures == 0 and transport.counters.reconnects == 0
    finally:
        await transport.stop()


async def test_async_originate_resolves_to_response_and_originate_response(clean_lab):
    lab = clean_lab
    transport = await connected_transport(lab, [])
    try:
        # A phone that answers at once, into Wait: OriginateResponse follows within a second.
        replies = await transport.send(
            {"Action": "Originate", "Channel": "Local/9001@phones/n", "Application": "Wait", "Data": "1",
             "Async": "true"}
        )
        assert [r.get("Event", r.get("Response")) for r in replies] == ["Success", "OriginateResponse"]
        assert replies[1]["Response"] == "Success"
    finally:
        await transport.stop()
        await asyncio.to_thread(lab.wait_idle)


async def hold_session_with_an_in_flight_queue_add(transport: AmiTransport) -> tuple[asyncio.Task, asyncio.Task]:
    """Asterisk runs one session's actions one after another, so a synchronous Originate to an
    agent who rings for a minute holds the session, and the QueueAdd sent behind it is in flight
    (sent, unanswered). The QueueAdd is the canary: after the restart no member survives
    (persistentmembers = no), so the Ghost member reappearing would mean it was re-sent."""
    blocker = asyncio.create_task(
        transport.send(
            {"Action": "Originate", "Channel": "Local/1001@agents/n", "Application": "Wait", "Data": "1",
             "Timeout": "60000", "Variable": "RING=60"},
            timeout=90,
        )
    )
    await asyncio.sleep(0.5)
    in_flight = asyncio.create_task(
        transport.send(
            {"Action": "QueueAdd", "Queue": "support", "Interface": GHOST, "MemberName": "Ghost"}, timeout=90
        )
    )
    await asyncio.sleep(0.3)
    assert not in_flight.done()
    return blocker, in_flight


async def assert_reconnected_without_resending(lab, transport: AmiTransport) -> None:
    assert await transport.wait_connected(20), "did not reconnect after the restart"
    assert transport.counters.reconnects == 1
    await asyncio.sleep(2)  # panoramisk re-sends its pending actions right after FullyBooted
    assert GHOST not in members(lab, "support"), "the in-flight QueueAdd was re-sent"
    assert lab.cli("core show channels count").strip().startswith("0 active channels")

    # Usable again, through the same transport object.
    ping = await transport.send({"Action": "Ping"})
    assert ping["Ping"] == "Pong"
    status = await transport.send({"Action": "QueueStatus", "Queue": "support"})
    assert status[-1]["Event"] == "QueueStatusComplete"
    added = await transport.send({"Action": "QueueAdd", "Queue": "support", "Interface": ALICE})
    assert added["Response"] == "Success"
    await transport.send({"Action": "QueueRemove", "Queue": "support", "Interface": ALICE})


async def test_restart_reconnects_by_itself_and_in_flight_actions_fail(clean_lab):
    lab = clean_lab
    disconnects: list[str] = []
    transport = await connected_transport(lab, [], ping_interval=10.0, on_disconnected=disconnects.append)
    try:
        blocker, in_flight = await hold_session_with_an_in_flight_queue_add(transport)

        await asyncio.to_thread(lab.restart)  # `core stop now`, then start

        outcomes = await asyncio.wait_for(asyncio.gather(blocker, in_flight, return_exceptions=True), 30)
        # A clean stop answers what it can before closing: the Originate with "Originate
        # failed" (its channel was hung up), the queued QueueAdd with "Asterisk is shutting
        # down". Either that or ConnectionLost: failed, never left waiting.
        for outcome in outcomes:
            assert isinstance(outcome, ConnectionLost) or outcome.get("Response") == "Error", outcome
        assert disconnects, "on_disconnected was not called"
        await assert_reconnected_without_resending(lab, transport)
    finally:
        await transport.stop()


async def test_after_a_crash_the_unanswered_action_fails_and_is_not_replayed(clean_lab):
    lab = clean_lab
    transport = await connected_transport(lab, [], ping_interval=10.0)
    try:
        blocker, in_flight = await hold_session_with_an_in_flight_queue_add(transport)

        # A crash answers nothing: exactly the case in which panoramisk would replay the
        # QueueAdd after the new Asterisk's FullyBooted. The lab's Asterisk is this session's
        # own (started by the `lab` fixture); kill it by pid, then start it again.
        for pid in lab_manager.status(lab.root).pids:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(ConnectionLost) as caught:
            await asyncio.wait_for(in_flight, 10)
        assert caught.value.action == "QueueAdd"
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(blocker, 10)

        await asyncio.to_thread(lab.restart)
        await assert_reconnected_without_resending(lab, transport)
    finally:
        await transport.stop()
