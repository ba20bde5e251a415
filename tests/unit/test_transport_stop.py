"""A cancel must never be lost on the way out of the transport: on Python 3.11, asyncio.wait_for
returns the result when the cancel lands as the awaited reply arrives, and the cancelled task
runs on. The supervisor then kept pinging for ever and serve's stop() waited on it.

Each test bounds what it awaits by a generous timeout: it checks that nothing hangs, not speed."""

from __future__ import annotations

import asyncio

import pytest

from pbx_bridge.simulator import SimulatorServer
from pbx_bridge.transport import AmiTransport
from tests.unit.simulator_helpers import Sim, quiet, roster

GENEROUS = 10.0
PONG = {"Response": "Success", "Ping": "Pong"}


class OneReply:
    """A session's protocol whose reply to the next action is the future the test holds."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.reply: asyncio.Future = loop.create_future()
        self.abandoned = 0

    def send(self, request, as_list=None):
        return self.reply

    def abandon(self, request) -> None:
        self.abandoned += 1


def transport(**options) -> AmiTransport:
    return AmiTransport("127.0.0.1", 1, "aiivr", "secret", on_event=lambda _m: None, **options)


async def test_a_cancel_landing_with_the_reply_is_not_lost():
    protocol = OneReply(asyncio.get_running_loop())
    task = asyncio.create_task(transport()._exchange(protocol, {"Action": "Ping"}, False, 5, 5))
    await asyncio.sleep(0)  # the task waits for the reply
    protocol.reply.set_result(PONG)
    task.cancel()  # in the same turn of the loop as the reply
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(GENEROUS):
            await task


async def test_a_cancel_landing_as_the_session_becomes_ready_is_not_lost():
    t = transport()
    task = asyncio.create_task(t._wait_ready(5))
    await asyncio.sleep(0)
    t._wake_waiters(True)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(GENEROUS):
            await task


async def test_stop_returns_even_when_the_supervisors_cancel_is_lost():
    world = Sim(roster=roster({"support": "rrmemory"}, {"alice": ["support"]}), profile=quiet()).world
    server = SimulatorServer(world, secret="s3cret", speed=50)
    port = await server.start()
    t = AmiTransport("127.0.0.1", port, "aiivr", "s3cret", on_event=lambda _m: None, ping_interval=0.05)
    pinging = asyncio.Event()

    async def ping_that_loses_the_cancel(session):
        pinging.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # what wait_for did when the Pong came with the cancel
        return None

    t._ping = ping_that_loses_the_cancel
    await t.start()
    try:
        assert await t.wait_connected(GENEROUS)
        async with asyncio.timeout(GENEROUS):
            await pinging.wait()
        async with asyncio.timeout(GENEROUS):
            await t.stop()
        assert not t.connected
    finally:
        await server.close()


async def test_stop_during_the_backoff_does_not_wait_for_the_next_attempt():
    t = transport(backoff_initial=3600, backoff_max=3600, action_timeout=0.5)  # nothing listens on port 1
    await t.start()
    await asyncio.sleep(0.2)  # refused; now in an hour-long backoff
    assert t.counters.failed_attempts >= 1
    async with asyncio.timeout(GENEROUS):
        await t.stop()


async def test_stop_returns_only_once_its_hook_and_handler_tasks_have_finished():
    """A resync (an on_connected hook) and an async on_event handler still running when
    serve stops: their clean-up must be over when stop() returns, not run afterwards
    against a writer that serve stops next."""
    world = Sim(roster=roster({"support": "rrmemory"}, {"alice": ["support"]}), profile=quiet()).world
    server = SimulatorServer(world, secret="s3cret", speed=50)
    port = await server.start()
    finished: list[str] = []
    running = {"hook": asyncio.Event(), "handler": asyncio.Event()}

    def slow_to_stop(name: str):
        async def work(*_args) -> None:
            running[name].set()
            try:
                await asyncio.sleep(3600)
            finally:
                await asyncio.sleep(0.05)  # clean-up that itself awaits
                finished.append(name)
        return work

    t = AmiTransport("127.0.0.1", port, "aiivr", "s3cret", on_event=slow_to_stop("handler"),
                     on_connected=slow_to_stop("hook"))
    await t.start()
    try:
        async with asyncio.timeout(GENEROUS):
            await running["hook"].wait()
            await running["handler"].wait()
            await t.stop()
        assert sorted(finished) == ["handler", "hook"]
    finally:
        await server.close()
