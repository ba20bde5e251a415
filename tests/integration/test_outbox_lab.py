"""The outbox against the real lab: a command written while `aiivr serve` is down runs when
serve comes back if it is still within its time to live, and is expired (never sent)
otherwise; while serve is up but cannot reach Asterisk, commands wait within their
time to live."""

from __future__ import annotations

import asyncio
import time

import pytest

from aiivr.db import Database
from aiivr.services import live_ops
from tests.integration.live_helpers import ServeThread, act, commands, live_config, queue_show, staff
from tests.integration.serve_helpers import CuttableProxy, serving, wait_until

pytestmark = pytest.mark.lab


def test_commands_written_while_serve_is_down_run_in_time_or_never(clean_lab, database_url, tmp_path):
    lab = clean_lab
    cfg = live_config(lab, database_url, tmp_path)
    db = Database(database_url)
    people = staff(db, cfg, alice_queues=("support", "sales"))
    with ServeThread(cfg, db):
        act(people, people.alice, live_ops.agent_login)
    # serve is down now: two pauses are asked for, one with a time to live too short to wait
    alice = people.ctx(people.alice)
    in_time = live_ops.agent_pause(alice, reason="lunch", ttl_seconds=60)
    too_late = live_ops.agent_pause(alice, reason="smoke", ttl_seconds=1)
    time.sleep(1.5)
    assert [c.status for c in commands(db)][-2:] == ["pending", "pending"]
    assert queue_show(lab)[("support", "alice")][2] is False  # nothing reached Asterisk meanwhile

    with ServeThread(cfg, db):
        live_ops.wait(alice, in_time)
        rows = {c.id: c for c in commands(db)}
        assert (rows[in_time.id].status, rows[in_time.id].result) == ("done", "Interface paused successfully")
        assert (rows[too_late.id].status, rows[too_late.id].sent_at) == ("expired", None)
        assert rows[too_late.id].result == "expired: not sent within its time to live of 1 s"
        assert {v[2:] for v in queue_show(lab).values()} == {(True, "lunch")}
    reasons = {line.split("|")[5] for line in lab.queue_log() if "|PAUSE" in line}
    assert reasons == {"lunch"}  # smoke never reached Asterisk
    db.dispose()


async def test_a_command_waits_out_an_ami_outage_within_its_time_to_live(clean_lab, database_url, tmp_path):
    """serve is up but cannot reach Asterisk (the network is cut): the command waits, and
    goes as soon as the AMI session is back."""
    lab = clean_lab
    proxy = CuttableProxy(lab.host, lab.port)
    await proxy.start()
    cfg = live_config(lab, database_url, tmp_path, port=proxy.port)
    db = Database(database_url)
    people = await asyncio.to_thread(staff, db, cfg)
    alice = people.ctx(people.alice)
    async with serving(lab, cfg, db, ping_interval=1, backoff_max=0.5) as service:
        await asyncio.to_thread(act, people, people.alice, live_ops.agent_login)
        proxy.down = True
        proxy.cut()
        await wait_until(lambda: not service.transport.connected, 10, "the AMI session lost")
        command = await asyncio.to_thread(live_ops.agent_pause, alice, reason="bathroom", ttl_seconds=30)
        await asyncio.sleep(1.0)
        assert commands(db)[-1].status == "pending"
        assert queue_show(lab)[("support", "alice")][2] is False
        proxy.down = False
        done = await asyncio.to_thread(live_ops.wait, alice, command, timeout=20)
        assert done.result == "Interface paused successfully"
        await proxy.stop()
        db.dispose()
    assert queue_show(lab)[("support", "alice")][2:] == (True, "bathroom")
