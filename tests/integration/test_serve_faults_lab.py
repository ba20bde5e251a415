"""Faults, against the real lab: the AMI connection cut mid-traffic, `serve` killed
and restarted mid-call, Asterisk restarted mid-call. Afterwards every queue entry in
Asterisk's queue_log is in our database exactly once and every call is closed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from sqlmodel import select

from aiivr.db import Database
from aiivr.models import DataGap, QueueEntry, QueueMember
from pbx_bridge import lab as lab_manager
from pbx_bridge.service import BridgeService
from tests.integration.serve_helpers import (CuttableProxy, add_members, assert_agrees_with_queue_log, lab_config,
                                             recorded_calls, serving, wait_until)

pytestmark = pytest.mark.lab
SERVE = "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def setup_db(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _entry(db, caller: str):
    with db.read() as session:
        return session.exec(select(QueueEntry).where(QueueEntry.caller_num == caller)).first()


def _connected(db, caller: str) -> bool:
    entry = _entry(db, caller)
    return entry is not None and entry.connected_at is not None


def _members(db) -> int:
    with db.read() as session:
        return len(session.exec(select(QueueMember)).all())


def _all_closed(db) -> bool:
    calls = recorded_calls(db)
    return bool(calls) and all(c.ended_at is not None for c in calls)


async def test_ami_cut_mid_traffic(clean_lab, setup_db, tmp_path):
    lab, db = clean_lab, setup_db
    proxy = CuttableProxy(lab.host, lab.port)
    await proxy.start()
    _, cfg = lab_config(lab, db.url, tmp_path, port=proxy.port)
    members = (("support", "1001", "alice"), ("support", "1002", "bob"))
    try:
        async with serving(lab, cfg, db, *members, ping_interval=1, backoff_max=1.0) as service:
            await asyncio.to_thread(lab.originate_customer, "support", talk=4, ring=1, wait=30, callerid="5550201")
            await wait_until(lambda: _connected(db, "5550201"), what="first call answered")
            proxy.down = True
            proxy.cut()  # mid-call: its end happens while serve cannot see the PBX
            await asyncio.to_thread(lab.originate_customer, "support", talk=1, ring=1, wait=30, callerid="5550202")
            await asyncio.to_thread(lab.wait_idle)
            await asyncio.sleep(1.5)
            proxy.down = False
            await wait_until(lambda: service.resyncs >= 2, what="a second session and resync")
            await asyncio.sleep(0.5)
            assert service.writer.flush(10)
            await wait_until(lambda: _all_closed(db), what="every call closed")
    finally:
        await proxy.stop()
    assert_agrees_with_queue_log(db, lab)
    with db.read() as session:
        gaps = session.exec(select(DataGap)).all()
    assert len(gaps) == 1 and gaps[0].backfilled and gaps[0].reason == "ami_unreachable"
    assert proxy.connections >= 2


async def test_serve_killed_and_restarted_mid_call(clean_lab, setup_db, tmp_path):
    lab, db = clean_lab, setup_db
    path, cfg = lab_config(lab, db.url, tmp_path)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-c", SERVE, "--config", str(path), "serve", "--log-level", "warning"]
    serve = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        await asyncio.to_thread(add_members, lab, ("support", "1001", "alice"), ("sales", "1002", "bob"))
        await wait_until(lambda: _members(db) == 2, what="serve to see the members")
        await asyncio.to_thread(lab.originate_customer, "support", talk=5, ring=1, wait=30, callerid="5550301")
        await wait_until(lambda: _connected(db, "5550301"), what="the call answered")
        serve.send_signal(signal.SIGKILL)  # no clean shutdown, no flush
        serve.wait(10)
        # While serve is dead: the first call ends, and a whole second call happens.
        await asyncio.to_thread(lab.originate_customer, "sales", talk=1, ring=1, wait=30, callerid="5550302")
        await asyncio.to_thread(lab.wait_idle)
        serve = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        await wait_until(lambda: _entry(db, "5550302") is not None and _all_closed(db), timeout=30,
                         what="the restarted serve to backfill and close everything")
    finally:
        serve.send_signal(signal.SIGTERM)
        _, err = serve.communicate(timeout=20)
    assert serve.returncode == 0, err
    assert_agrees_with_queue_log(db, lab)
    assert _entry(db, "5550302").source == "queue_log"


@pytest.mark.parametrize("how", ["graceful", "crash"])
async def test_asterisk_restarted_mid_call(clean_lab, setup_db, tmp_path, how):
    lab, db = clean_lab, setup_db
    _, cfg = lab_config(lab, db.url, tmp_path)
    async with serving(lab, cfg, db, ("support", "1001", "alice"), ping_interval=1, backoff_max=1.0) as service:
        await asyncio.to_thread(lab.originate_customer, "support", talk=30, ring=1, wait=60, callerid="5550401")
        await wait_until(lambda: _connected(db, "5550401"), what="the call answered")
        if how == "crash":  # no hangup events at all: only the new boot tells
            for pid in lab_manager.status(lab.root).pids:
                os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(lab.restart)
        await wait_until(lambda: service.recorder.pbx_restarts >= 1, timeout=30, what="the restart noticed")
        assert service.writer.flush(10)
        await wait_until(lambda: _all_closed(db), what="every call closed")
    calls = recorded_calls(db)
    assert len(calls) == 1, [(c.linkedid, c.caller_num, c.disposition, c.end_cause, c.origin, c.queue) for c in calls]
    (call,) = calls
    if how == "crash":
        assert (call.disposition, call.end_cause) == ("pbx_restart", "pbx_restart")
    else:  # a clean stop hangs the channels up first, and we saw that
        assert call.disposition == "answered" and call.ended_at is not None
    assert _members(db) == 0  # Asterisk forgot its dynamic members; serve re-adds them (outbox)
    assert_agrees_with_queue_log(db, lab)


async def test_resync_lists_landing_mid_call_name_the_same_call(clean_lab, setup_db, tmp_path, monkeypatch):
    """List replies carry no SystemName. On a loaded machine the login's CoreShowChannels can
    come back after a call began: it must name that call, not a second one ("", linkedid)
    that would also end the real one as ended_while_away. Made certain here by holding the
    resync until the recorder has seen the call."""
    lab, db = clean_lab, setup_db
    _, cfg = lab_config(lab, db.url, tmp_path)
    resync = BridgeService._on_connected

    async def resync_once_the_call_is_seen(self):
        while not self.recorder.store.calls:
            await asyncio.sleep(0.05)
        await resync(self)

    monkeypatch.setattr(BridgeService, "_on_connected", resync_once_the_call_is_seen)
    async with serving(lab, cfg, db, ("support", "1001", "alice"), ping_interval=1, backoff_max=1.0) as service:
        await asyncio.to_thread(lab.originate_customer, "support", talk=3, ring=1, wait=30, callerid="5550501")
        await wait_until(lambda: service.resyncs >= 1, what="the resync during the call")
        assert service.writer.flush(10)
        (call,) = recorded_calls(db)
        assert call.system == service.system != "" and call.ended_at is None  # the lab names itself
        await asyncio.to_thread(lab.wait_idle)
        assert service.writer.flush(10)
        await wait_until(lambda: _all_closed(db), what="the call closed")
    (call,) = recorded_calls(db)
    assert (call.disposition, call.caller_num) == ("answered", "5550501") and call.end_cause != "ended_while_away"
    assert_agrees_with_queue_log(db, lab)
