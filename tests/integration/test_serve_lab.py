"""`aiivr serve` against the real Asterisk 22 lab: what it records agrees with
Asterisk's own queue_log of the same run."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import select

from aiivr.db import Database
from aiivr.models import AgentStatus, CallEvent
from aiivr.principal import Ctx
from aiivr.services import agents
from tests.integration.serve_helpers import (ALICE, BOTH_QUEUES, add_agent_users, assert_agrees_with_queue_log,
                                             blind_transfer_when_connected, lab_config, recorded_calls, serving,
                                             wait_until)

pytestmark = pytest.mark.lab


@pytest.fixture
def served(clean_lab, database_url, tmp_path):
    _, cfg = lab_config(clean_lab, database_url, tmp_path)
    db = Database(database_url)
    ctx = add_agent_users(db, cfg)
    yield clean_lab, cfg, db, ctx
    db.dispose()


async def test_a_mixed_run_agrees_with_asterisks_queue_log(served):
    lab, cfg, db, ctx = served
    async with serving(lab, cfg, db, *BOTH_QUEUES) as service:
        call = lambda queue, **knobs: asyncio.to_thread(lab.originate_customer, queue, **knobs)  # noqa: E731
        # answered with CSAT; abandoned (nobody answers, the customer gives up after 3 s);
        # timed out (the queue gives up after 3 s); ring-no-answer then answered; a transfer.
        await call("support", talk=2, ring=1, csat=5, wait=30, callerid="5550101")
        await asyncio.to_thread(lab.wait_idle)
        await call("support", noanswer="1", wait=3, callerid="5550102")
        await asyncio.to_thread(lab.wait_idle)
        await call("sales", noanswer="1", timeout=3, wait=30, callerid="5550103")
        await asyncio.to_thread(lab.wait_idle)
        await call("support", noanswer="1001", talk=2, ring=1, wait=30, callerid="5550104")
        await asyncio.to_thread(lab.wait_idle)
        transfer_id = await call("support", talk=30, ring=1, csat=4, wait=60, callerid="5550105",
                                 talk_per_agent={"1002": 2, "1001": 30})
        await asyncio.to_thread(blind_transfer_when_connected, lab, transfer_id, "support", "sales")
        await asyncio.to_thread(lab.wait_idle, 60)
        await asyncio.sleep(0.5)
        assert service.writer.flush(10)
        health = service.health()

    theirs = assert_agrees_with_queue_log(db, lab)
    outcomes = sorted(s.outcome for s in theirs.values())
    assert outcomes == ["abandoned", "answered", "answered", "answered", "answered", "timed_out"]
    calls = {c.caller_num: c for c in recorded_calls(db)}
    assert {n: calls[n].disposition for n in ("5550101", "5550102", "5550103", "5550104", "5550105")} == {
        "5550101": "answered", "5550102": "abandoned", "5550103": "timed_out", "5550104": "answered",
        "5550105": "answered"}
    assert calls["5550101"].csat_score == 5 and calls["5550105"].csat_score == 4
    assert all(c.ended_at is not None for c in calls.values())
    assert calls["5550101"].agent_user_id is not None  # members mapped to users by interface
    with db.read() as session:
        misses = session.exec(select(CallEvent).where(CallEvent.kind == "ring_no_answer")).all()
        kinds = {e.kind for e in session.exec(select(CallEvent).where(CallEvent.call_id == calls["5550105"].id))}
    assert {m.interface for m in misses} >= {ALICE}
    assert {"transfer", "transferred", "csat"} <= kinds
    assert health["resyncs"] == 1 and health["handler_errors"] == 0


async def test_agent_status_follows_the_pbx(served):
    lab, cfg, db, ctx = served
    async with serving(lab, cfg, db, ("support", "1001", "alice")):

        def alice_status():
            with db.read() as session:
                row = session.exec(select(AgentStatus).where(AgentStatus.interface == ALICE,
                                                             AgentStatus.ended_at.is_(None))).first()
                return (row.status, row.reason) if row else None

        await wait_until(lambda: alice_status() == ("online", None), what="alice online")
        with lab.ami() as client:
            assert client.action("QueuePause", Interface=ALICE, Paused="true", Reason="lunch")["Response"] == "Success"
        await wait_until(lambda: alice_status() == ("paused", "lunch"), what="alice paused for lunch")
        with lab.ami() as client:
            assert client.action("QueuePause", Interface=ALICE, Paused="false")["Response"] == "Success"
        await wait_until(lambda: alice_status() == ("online", None), what="alice back online")
        await asyncio.to_thread(lab.originate_customer, "support", talk=3, ring=1, wait=30)
        await wait_until(lambda: alice_status() == ("on_call", None), what="alice on a call")
        view = agents.show_agent(Ctx(db=db, config=cfg, actor=ctx.actor), "alice")
        assert view.status == "on_call" and view.current_caller == "5550001"
        await asyncio.to_thread(lab.wait_idle)
        await wait_until(lambda: alice_status() == ("online", None), what="alice online after the call")


def test_serve_check_against_the_lab(clean_lab, database_url, tmp_path, capsys):
    from cli.main import main

    path, _ = lab_config(clean_lab, database_url, tmp_path)
    assert main(["--config", str(path), "serve", "--check"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["database"] == "ok" and report["ami"] == "ok"
