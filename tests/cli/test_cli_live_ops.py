"""`aiivr agent login|logout|ready|pause|unpause|move`, `aiivr monitor ...`, `aiivr call
dial|callback`: exit codes, one-line errors and output, with a stand-in for serve (a
thread answering the outbox the way serve and the recorder would). The real serve
against the real Asterisk is tests/integration/test_live_ops_lab.py."""

import json
import threading
import time

import pytest
from sqlmodel import select

from aiivr import outbox
from aiivr.db import Database, utcnow
from aiivr.models import AuditEntry, QueueMember
from aiivr.models.outbox import OutboxCommand

ALICE = "Local/1001@agents/n"


@pytest.fixture
def desk(admin_cli, monkeypatch):
    monkeypatch.setattr(outbox, "WAIT_SECONDS", 2.0)
    monkeypatch.setenv("COLUMNS", "200")
    for name, role, extra in (("alice", "agent", ["--interface", ALICE, "--extension", "1001", "--queues", "support"]),
                              ("bob", "agent", ["--interface", "Local/1002@agents/n", "--queues", "sales"]),
                              ("sue", "supervisor", ["--extension", "9001"])):
        added = admin_cli("user", "add", name, "--role", role, *extra, "--password-stdin", stdin=f"{name}-password\n")
        assert added.code == 0, added.err
    return admin_cli


class StandInServe:
    """Answers each pending command: `answer(command)` -> (status, result); on done,
    writes the queue member rows the recorder would write from Asterisk's events."""

    def __init__(self, url: str, answer) -> None:
        self.db = Database(url)
        self.answer = answer
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.db.write() as session:
                for command in outbox.claim(session, now=utcnow(), connected=True):
                    status, result = self.answer(command)
                    outbox.finish(session, command.id, status, result, now=utcnow())
                    if status == "done":
                        self._as_recorded(session, command)
            time.sleep(0.02)

    @staticmethod
    def _as_recorded(session, command: OutboxCommand) -> None:
        p = outbox.payload_of(command)
        if command.action == "agent.login":
            for m in p["queues"]:
                session.add(QueueMember(queue=m["queue"], interface=p["interface"], member_name=p["member_name"],
                                        penalty=m["penalty"], updated_at=utcnow()))
        elif command.action == "agent.pause":
            for row in session.exec(select(QueueMember).where(QueueMember.interface == p["interface"])):
                row.paused, row.paused_reason = True, p["reason"]
                session.add(row)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.db.dispose()


def as_user(cli, name):
    cli.login(name, f"{name}-password")
    return cli


def test_login_then_pause_wait_for_asterisks_confirmation(desk, database_url):
    cli = as_user(desk, "alice")
    replies = {"agent.login": "support: Added interface to queue", "agent.pause": "Interface paused successfully"}
    with StandInServe(database_url, lambda c: ("done", replies[c.action])):
        login = cli("agent", "login", "--json")
        assert login.code == 0, login.err
        assert login.err == "you logged in: Asterisk confirmed (support: Added interface to queue)\n"
        paused = cli("agent", "pause", "--reason", "lunch", "--json")
    assert paused.code == 0, paused.err
    shown = json.loads(paused.out)
    assert (shown["action"], shown["target"], shown["status"], shown["confirmed"], shown["actor"]) == (
        "agent.pause", "user:alice", "done", True, "alice")
    assert paused.err == "you paused (lunch): Asterisk confirmed (Interface paused successfully)\n"


def test_asterisks_refusal_exits_4_with_its_reason(desk, database_url):
    cli = as_user(desk, "alice")
    with StandInServe(database_url, lambda c: ("failed", "Interface not found")):
        result = cli("agent", "pause", "--reason", "lunch")
    assert result.code == 4
    assert result.err == "error: agent.pause user:alice: Asterisk refused: Interface not found\n"


def test_no_serve_exits_4_and_the_command_is_withdrawn(desk, database_url):
    cli = as_user(desk, "alice")
    result = cli("agent", "ready")
    assert result.code == 4
    assert result.err.startswith("error: agent.ready user:alice: aiivr serve did not pick it up within 2 s")
    db = Database(database_url)
    with db.read() as session:
        (command,) = session.exec(select(OutboxCommand)).all()
    db.dispose()
    assert (command.status, command.result) == ("expired", "withdrawn: nobody sent it within 2 s")


def test_no_wait_queues_the_command_and_returns(desk):
    cli = as_user(desk, "sue")
    result = cli("agent", "pause", "alice", "--reason", "case_work", "--no-wait", "--json")
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert (shown["status"], shown["actor"], shown["target"], shown["confirmed"]) == ("pending", "sue", "user:alice", False)
    assert result.err.startswith(f"queued: alice paused (case_work) (command {shown['id']}; aiivr serve sends it before ")


def test_refusals_exit_3_and_are_audited(desk, database_url):
    cli = as_user(desk, "alice")
    other = cli("agent", "pause", "bob", "--reason", "lunch")
    assert (other.code, other.err) == (3, "error: permission denied: agent.state_all needs a supervisor (you are an agent)\n")
    spy = cli("monitor", "listen", "bob")
    assert (spy.code, spy.err) == (3, "error: permission denied: monitor.spy needs a supervisor (you are an agent)\n")
    move = cli("agent", "move", "bob", "--to", "support")
    assert move.code == 3
    db = Database(database_url)
    with db.read() as session:
        denied = [(e.actor, e.action, e.target) for e in session.exec(
            select(AuditEntry).where(AuditEntry.outcome == "denied").order_by(AuditEntry.seq))]
        assert session.exec(select(OutboxCommand)).all() == []
    db.dispose()
    assert denied == [("alice", "agent.state_all", "user:bob"), ("alice", "monitor.spy", "user:bob"),
                      ("alice", "agent.move", "user:bob")]


def test_moving_a_logged_out_agent_needs_no_pbx(desk):
    cli = as_user(desk, "sue")
    result = cli("agent", "move", "bob", "--to", "support", "--from", "sales", "--penalty", "2")
    assert (result.code, result.err) == (0, "bob moved to support from sales: bob is logged out, "
                                            "the new queues apply at its next login\n")
    shown = cli("agent", "show", "bob", "--json")
    assert json.loads(shown.out)["wanted_queues"] == ["support"]


@pytest.mark.parametrize("args, code, message", [
    (["agent", "pause", "--reason", "nap"], 1, "error: unknown pause reason 'nap' (known: bathroom, case_work, lunch, on_leave, smoke)"),
    (["call", "dial", "12#"], 1, "error: bad number '12#': digits, optionally with a leading +"),
    (["call", "callback", "99"], 1, "error: no call 99"),
    (["monitor", "stop"], 3, "error: permission denied: monitor.spy needs a supervisor (you are an agent)"),
])
def test_bad_input_is_one_line(desk, args, code, message):
    result = as_user(desk, "alice")(*args)
    assert (result.code, result.err.strip()) == (code, message)


def test_pause_without_a_reason_is_a_usage_error(desk):
    assert as_user(desk, "alice")("agent", "pause").code == 2


def test_dial_no_wait_queues_an_originate_from_your_phone(desk):
    result = as_user(desk, "alice")("call", "dial", "+49 30 123456", "--no-wait", "--json")
    assert result.code == 0, result.err
    assert (json.loads(result.out)["action"], json.loads(result.out)["target"]) == ("call.dial", "number:+4930123456")


def test_supervisor_monitor_of_an_agent_not_on_a_call(desk):
    result = as_user(desk, "sue")("monitor", "barge", "alice")
    assert (result.code, result.err) == (1, "error: alice is not on a queue call\n")
