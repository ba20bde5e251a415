"""Live operations against the real Asterisk 22 lab: people act through the CLI and the
core services, `aiivr serve` carries the commands out over AMI, and what Asterisk then
does (its `queue show`, queue_log, AMI events) agrees with our database."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlmodel import select

from aiivr.db import Database, utcnow
from aiivr.models import AgentStatus, AuditEntry, Call, CallEvent, QueueEntry
from aiivr.services import live_ops
from aiivr.services.kpi import kpi_report
from tests.cli.conftest import Aiivr
from tests.integration.live_helpers import (ServeThread, act, live_config, members, queue_show, staff, status,
                                            until)
from tests.integration.serve_helpers import ALICE, BOB

pytestmark = pytest.mark.lab


@pytest.fixture
def desk(clean_lab, database_url, tmp_path, capsys, monkeypatch):
    """Returns start(extra_config="", **queues) -> (lab, staff, serve, cli)."""
    made: list[ServeThread] = []
    dbs: list[Database] = []

    def start(extra: str = "", alice_queues=("support",), bob_queues=("support",)):
        cfg = live_config(clean_lab, database_url, tmp_path, extra=extra)
        db = Database(database_url)
        dbs.append(db)
        people = staff(db, cfg, alice_queues=alice_queues, bob_queues=bob_queues)
        serve = ServeThread(cfg, db).start()
        made.append(serve)
        return clean_lab, people, serve, Aiivr(tmp_path / "live.toml", capsys, monkeypatch)

    yield start
    for serve in made:
        serve.stop()
    for db in dbs:
        db.dispose()


def ok(result):
    assert result.code == 0, result.err
    return result


def entry_of(db, linkedid) -> QueueEntry | None:
    with db.read() as session:
        return session.exec(select(QueueEntry).where(QueueEntry.linkedid == linkedid)).first()


def call_of(db, linkedid) -> Call | None:
    with db.read() as session:
        return session.exec(select(Call).where(Call.linkedid == linkedid)).first()


def rang(db, linkedid, interface) -> bool:
    with db.read() as session:
        return session.exec(select(CallEvent.id).join(Call, Call.id == CallEvent.call_id).where(
            Call.linkedid == linkedid, CallEvent.kind == "ringing", CallEvent.interface == interface)).first() is not None


def history(db, interface) -> list[tuple[str, str | None, str]]:
    with db.read() as session:
        rows = session.exec(select(AgentStatus).where(AgentStatus.interface == interface)
                            .order_by(AgentStatus.started_at, AgentStatus.id)).all()
        return [(r.status, r.reason, r.set_by) for r in rows]


# ---------------------------------------------------------------------------- pause

def test_a_paused_agent_is_offered_no_call_until_it_unpauses(desk):
    lab, people, serve, cli = desk()
    cli.login("alice", "alice-password")
    ok(cli("agent", "login"))
    paused = ok(cli("agent", "pause", "--reason", "lunch"))
    assert paused.err == "you paused (lunch): Asterisk confirmed (Interface paused successfully)\n"
    assert (status(people.db, ALICE).status, status(people.db, ALICE).reason, status(people.db, ALICE).set_by) == (
        "paused", "lunch", "alice")

    linkedid = lab.originate_customer("support", talk=1, ring=0.5, wait=40, callerid="5550301")
    until(lambda: entry_of(people.db, linkedid), 10, "the caller waiting in support")
    time.sleep(3)  # the queue retries every timeout + retry (6 s); 3 s of a caller waiting and nobody rung
    assert not rang(people.db, linkedid, ALICE)
    assert entry_of(people.db, linkedid).outcome == "open" and status(people.db, ALICE).status == "paused"

    ok(cli("agent", "unpause"))
    until(lambda: (entry_of(people.db, linkedid).outcome == "answered"), 15, "the waiting caller answered by alice")
    assert entry_of(people.db, linkedid).member_name == "alice"
    # the reason reached Asterisk's own log
    pauses = [line.split("|") for line in lab.queue_log() if "|PAUSE" in line]
    assert {(p[3], p[4], p[5]) for p in pauses} == {("alice", "PAUSEALL", "lunch"), ("alice", "PAUSE", "lunch")}


def test_changing_the_reason_while_paused_opens_a_new_interval(desk):
    lab, people, serve, cli = desk(alice_queues=("support", "sales"))
    act(people, people.alice, live_ops.agent_login)
    act(people, people.alice, live_ops.agent_pause, reason="lunch")
    act(people, people.sue, live_ops.agent_pause, "alice", reason="case_work")
    assert history(people.db, ALICE) == [("online", None, "alice"), ("paused", "lunch", "alice"),
                                         ("paused", "case_work", "sue")]
    assert queue_show(lab) == members(people.db)
    assert {v[3] for v in queue_show(lab).values()} == {"case_work"}


# ---------------------------------------------------------------------------- after-call work

def test_after_a_call_the_agent_is_in_wrap_up_until_ready(desk):
    lab, people, serve, cli = desk()
    act(people, people.alice, live_ops.agent_login)
    first = lab.originate_customer("support", talk=1, ring=0.5, wait=30, callerid="5550311")
    until(lambda: status(people.db, ALICE) and status(people.db, ALICE).status == "wrap_up", 20, "alice in wrap-up")
    row = status(people.db, ALICE)
    assert (row.reason, row.set_by) == ("acw", "system")

    second = lab.originate_customer("support", talk=1, ring=0.5, wait=40, callerid="5550312")
    until(lambda: entry_of(people.db, second), 10, "the second caller waiting")
    time.sleep(3)
    assert not rang(people.db, second, ALICE) and status(people.db, ALICE).status == "wrap_up"

    cli.login("alice", "alice-password")
    ok(cli("agent", "ready"))
    until(lambda: entry_of(people.db, second).outcome == "answered", 15, "the second caller answered")
    wrapped = call_of(people.db, first).wrapup_seconds
    assert 3 <= wrapped < 30  # from the end of the call to `agent ready`: counts toward AHT
    # AHT takes wrap-up from the status history (docs/kpis.md): the same span, from the
    # acw pause Asterisk reported (a moment after the call ended) to `agent ready`.
    report = kpi_report(people.ctx(people.sue), by="agent", start=call_of(people.db, first).started_at,
                        end=utcnow() + dt.timedelta(minutes=1), now=utcnow() + dt.timedelta(minutes=1))
    (mine,) = [row for row in report.rows if row["group"] == "alice"]
    assert mine["wrapup_seconds"] == pytest.approx(wrapped, abs=1.0)
    assert mine["aht_seconds"] * mine["handled"] == pytest.approx(
        mine["talk_seconds"] + mine["hold_seconds"] + mine["wrapup_seconds"], abs=0.01)


def test_after_call_work_ends_by_itself_at_its_maximum(desk):
    lab, people, serve, cli = desk(extra="[wrapup]\nmax_seconds = 3\n")
    act(people, people.alice, live_ops.agent_login)
    first = lab.originate_customer("support", talk=1, ring=0.5, wait=30, callerid="5550321")
    until(lambda: status(people.db, ALICE) and status(people.db, ALICE).status == "wrap_up", 20, "alice in wrap-up")
    second = lab.originate_customer("support", talk=1, ring=0.5, wait=40, callerid="5550322")
    until(lambda: entry_of(people.db, second), 10, "the second caller waiting")
    assert not rang(people.db, second, ALICE)
    until(lambda: entry_of(people.db, second).outcome == "answered", 15, "answered once wrap-up ran out")
    # Never before the maximum; how late after it depends on the machine's load (bounded by
    # the wait above); the wrap_up row set by "system" below says serve ended it.
    assert 2.5 <= call_of(people.db, first).wrapup_seconds < 3.0 + 15
    assert ("wrap_up", "acw", "system") in history(people.db, ALICE)


# ---------------------------------------------------------------------------- membership

def test_login_move_logout_agree_with_asterisks_queue_show(desk):
    lab, people, serve, cli = desk(alice_queues=("support",), bob_queues=("sales",))
    act(people, people.alice, live_ops.agent_login)
    act(people, people.bob, live_ops.agent_login)
    assert queue_show(lab) == members(people.db) == {
        ("support", "alice"): (ALICE, 0, False, ""), ("sales", "bob"): (BOB, 0, False, "")}

    cli.login("sue", "sue-password")
    ok(cli("agent", "move", "alice", "--to", "sales", "--from", "support", "--penalty", "2"))
    ok(cli("agent", "move", "bob", "--to", "support", "--penalty", "1"))
    assert queue_show(lab) == members(people.db) == {
        ("sales", "alice"): (ALICE, 2, False, ""), ("sales", "bob"): (BOB, 0, False, ""),
        ("support", "bob"): (BOB, 1, False, "")}
    shown = json.loads(ok(cli("agent", "show", "alice", "--json")).out)
    assert shown["wanted_queues"] == shown["queues"] == ["sales"]
    # Into a queue it is in already: Asterisk answers QueueAdd "Already there", so only the
    # penalty changes (QueuePenalty), and its QueueMemberPenalty event reaches our records.
    ok(cli("agent", "move", "bob", "--to", "support", "--penalty", "3"))
    until(lambda: members(people.db).get(("support", "bob")) == (BOB, 3, False, ""), 10, "bob's new penalty recorded")
    assert queue_show(lab) == members(people.db) == {
        ("sales", "alice"): (ALICE, 2, False, ""), ("sales", "bob"): (BOB, 0, False, ""),
        ("support", "bob"): (BOB, 3, False, "")}
    ok(cli("agent", "move", "bob", "--to", "support", "--penalty", "1"))
    until(lambda: members(people.db).get(("support", "bob")) == (BOB, 1, False, ""), 10, "bob's penalty back to 1")

    ok(cli("agent", "logout", "alice"))
    assert queue_show(lab) == members(people.db) == {("sales", "bob"): (BOB, 0, False, ""),
                                                     ("support", "bob"): (BOB, 1, False, "")}
    assert history(people.db, ALICE)[-1] == ("offline", None, "sue")


def test_the_member_watches_the_agents_phone_so_dialling_out_shows_on_call(desk):
    lab, people, serve, cli = desk()
    act(people, people.alice, live_ops.agent_login)
    assert "alice (Local/1001@agents/n from Local/1001@phones/n)" in lab.cli("queue show support")
    cli.login("alice", "alice-password")
    placed = ok(cli("call", "dial", "5551234", "--json"))
    linkedid = json.loads(placed.out)["outcome"]["uniqueid"]
    until(lambda: status(people.db, ALICE).status == "on_call", 10, "alice on_call while dialling out")
    call = call_of(people.db, linkedid)
    assert (call.direction, call.agent_user_id, call.agent_name, call.origin) == (
        "outbound", people.alice.user_id, "alice", "outbound")
    lab.wait_idle()
    until(lambda: status(people.db, ALICE).status == "online", 10, "alice back online after the call")
    assert call_of(people.db, linkedid).disposition == "answered"


def test_an_asterisk_restart_is_followed_by_memberships_and_pauses_reapplied(desk):
    lab, people, serve, cli = desk(alice_queues=("support", "sales"))
    act(people, people.alice, live_ops.agent_login)
    act(people, people.alice, live_ops.agent_pause, reason="lunch")
    act(people, people.bob, live_ops.agent_login)
    before = queue_show(lab)
    assert before == members(people.db) and len(before) == 3
    lab.restart()
    until(lambda: queue_show(lab) == before, 30, "memberships and pauses re-applied")
    until(lambda: members(people.db) == before, 10, "our database agreeing")
    # Asterisk forgot them (persistentmembers = no): after its restart they were added again
    log = [line.split("|") for line in lab.queue_log()]
    boot = max(i for i, line in enumerate(log) if line[4] == "QUEUESTART")
    again = sorted((line[2], line[3], line[4], line[5] if len(line) > 5 else "") for line in log[boot:]
                   if line[4] in ("ADDMEMBER", "PAUSE"))
    assert again == [("sales", "alice", "ADDMEMBER", ""), ("sales", "alice", "PAUSE", "lunch"),
                     ("support", "alice", "ADDMEMBER", ""), ("support", "alice", "PAUSE", "lunch"),
                     ("support", "bob", "ADDMEMBER", "")]
    assert history(people.db, ALICE)[-3:] == [("offline", None, "pbx"), ("online", None, "system"),
                                              ("paused", "lunch", "system")]


# ---------------------------------------------------------------------------- monitoring

def test_listen_whisper_barge_spy_on_the_agents_bridged_channel(desk):
    lab, people, serve, cli = desk()
    ami = lab.ami()
    act(people, people.alice, live_ops.agent_login)
    linkedid = lab.originate_customer("support", talk=30, ring=0.5, wait=60, callerid="5550331")
    agent_channel = ami.wait_for("AgentConnect", Linkedid=linkedid, timeout=15)["DestChannel"]
    until(lambda: status(people.db, ALICE).status == "on_call", 10, "alice on the call")

    cli.login("alice", "alice-password")
    refused = cli("monitor", "listen", "alice")
    assert (refused.code, refused.err.strip()) == (3, "error: permission denied: monitor.spy needs a supervisor (you are an agent)")

    cli.login("sue", "sue-password")
    spyers = []
    for mode in ("listen", "whisper", "barge"):
        mark = ami.mark()
        shown = json.loads(ok(cli("monitor", mode, "alice", "--json")).out)
        start = ami.wait_for("ChanSpyStart", since=mark, timeout=10)
        assert start["SpyeeChannel"] == agent_channel  # the full bridged channel, not a prefix
        assert start["SpyerChannel"] == shown["outcome"]["channel"] and start["SpyerChannel"].startswith("Local/9001@phones-")
        spyers.append(start["SpyerChannel"])
        if spyers[:-1]:  # switching mode ended the previous session
            ami.wait_for("ChanSpyStop", SpyerChannel=spyers[-2], timeout=10)
    mark = ami.mark()
    ok(cli("monitor", "stop"))
    ami.wait_for("ChanSpyStop", since=mark, SpyerChannel=spyers[-1], timeout=10)

    call = call_of(people.db, linkedid)
    with people.db.read() as session:
        timeline = session.exec(select(CallEvent).where(CallEvent.call_id == call.id,
                                                        CallEvent.kind.in_(("monitor", "monitor_stop")))
                                .order_by(CallEvent.at)).all()
        audited = [(e.actor, e.action, e.outcome) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action.like("monitor.%")).order_by(AuditEntry.seq))]
    assert [(e.kind, json.loads(e.detail).get("mode"), json.loads(e.detail)["by"], json.loads(e.detail)["spyer_channel"])
            for e in timeline] == [("monitor", "listen", "sue", spyers[0]), ("monitor", "whisper", "sue", spyers[1]),
                                   ("monitor", "barge", "sue", spyers[2]), ("monitor_stop", None, "sue", spyers[2])]
    assert audited == [("alice", "monitor.spy", "denied"), ("sue", "monitor.listen", "ok"),
                       ("sue", "monitor.whisper", "ok"), ("sue", "monitor.barge", "ok"), ("sue", "monitor.stop", "ok")]


# ---------------------------------------------------------------------------- outbound

def test_callback_dials_the_caller_of_an_abandoned_call_and_links_the_calls(desk):
    lab, people, serve, cli = desk()
    act(people, people.alice, live_ops.agent_login)
    act(people, people.alice, live_ops.agent_pause, reason="case_work")
    abandoned_id = lab.originate_customer("support", wait=2, callerid="5550341")
    until(lambda: call_of(people.db, abandoned_id) and call_of(people.db, abandoned_id).ended_at, 15, "the abandon")
    abandoned = call_of(people.db, abandoned_id)
    assert abandoned.disposition == "abandoned"

    cli.login("alice", "alice-password")
    placed = json.loads(ok(cli("call", "callback", str(abandoned.id), "--json")).out)
    back = call_of(people.db, placed["outcome"]["uniqueid"])
    assert (back.direction, back.origin, back.agent_user_id, back.linked_call_id) == (
        "outbound", "callback", people.alice.user_id, abandoned.id)
    with people.db.read() as session:
        dialled = session.exec(select(CallEvent).where(CallEvent.call_id == back.id, CallEvent.kind == "dial")).one()
    assert json.loads(dialled.detail)["number"] == "5550341"
