"""serve's outbox executor with a stand-in AMI transport (the lab tests use the real one):
what it sends, in which order, what it records, and serve's own commands (after-call
work, its maximum, ring-no-answer, re-applying after an Asterisk restart)."""

import asyncio
import dataclasses
import datetime as dt
import time
from types import SimpleNamespace

import pytest
from sqlmodel import select

from aiivr import events as ev
from aiivr import outbox
from aiivr.config import RingNoAnswerConfig, WrapupConfig
from aiivr.db import utcnow
from aiivr.models import User
from aiivr.models.outbox import AgentPresence
from aiivr.recorder.expectations import Expectations
from pbx_bridge.outbox_executor import OutboxExecutor
from pbx_bridge.transport import ActionTimeout, ConnectionLost
from tests.unit.live_ops_helpers import call, commands, give_phones, timeline

ALICE = "Local/1001@agents/n"
OK = {"Response": "Success", "Message": "Interface paused successfully"}


class Transport:
    """Records what is sent; answers with `reply(action)` (a dict, or an exception to raise)."""

    def __init__(self, reply=lambda action: OK, delay=0.0):
        self.connected = True
        self.sent: list[dict] = []
        self.reply, self.delay = reply, delay
        self.log: list[tuple[str, str]] = []

    async def send(self, action, timeout=None):
        self.sent.append(action)
        self.log.append(("start", action["ActionID"]))
        if self.delay:
            await asyncio.sleep(self.delay(action) if callable(self.delay) else self.delay)
        self.log.append(("end", action["ActionID"]))
        answer = self.reply(action)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
async def serve(db, config):
    """Starts executors on a stand-in service (transport, config); stops them after the test."""
    made = []

    async def start(transport=None, cfg=None):
        service = SimpleNamespace(db=db, config=cfg or config, transport=transport or Transport(),
                                  recorder=SimpleNamespace(expected=Expectations()))
        executor = OutboxExecutor(poll_seconds=0.02)
        await executor.start(service)
        made.append(executor)
        return service, executor

    yield start
    for executor in made:
        await executor.stop()


def write(db, action="agent.pause", payload=None, *, actor="alice", target="user:alice", at=None, ttl=30):
    """A command (alice's lunch pause unless said otherwise) for the user with its interface."""
    payload = dict(payload or {"interface": ALICE, "reason": "lunch"})
    with db.write() as session:
        payload["user_id"] = session.exec(select(User.id).where(User.interface == payload["interface"])).one()
        return outbox.enqueue(session, actor=actor, action=action, target=target, payload=payload,
                              now=at or utcnow(), ttl_seconds=ttl).id


async def settled(db, predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rows = await asyncio.to_thread(commands, db)
        if predicate(rows):
            return rows
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox never settled: {[(c.id, c.action, c.status, c.result) for c in rows]}")


def finished(rows, n=None):
    return (n is None or len(rows) >= n) and all(c.status in ("done", "failed", "expired") for c in rows)


async def test_a_pending_command_is_sent_and_its_outcome_recorded(db, serve, people):
    service, _ = await serve()
    command = write(db)
    (row,) = await settled(db, finished)
    assert service.transport.sent == [{"Action": "QueuePause", "Interface": ALICE, "Paused": "true", "Reason": "lunch",
                                       "ActionID": f"aiivr-outbox-{command}-1"}]
    assert (row.status, row.result) == ("done", "Interface paused successfully")
    assert row.sent_at is not None and row.finished_at >= row.sent_at
    # the recorder was told who asked before Asterisk's event could arrive
    event = ev.MemberPaused(ts=0, system="", queue="support", interface=ALICE, member_name="alice", state_interface="",
                            membership="dynamic", penalty=0, calls_taken=0, last_call=None, last_pause=None,
                            login_time=None, in_call=False, device_state=None, paused=True, paused_reason="lunch",
                            wrapup_seconds=None)
    assert service.recorder.expected.who(event) == "alice"


async def test_asterisks_refusal_and_a_lost_connection_fail_the_command(db, serve, people):
    lost = ConnectionLost("QueuePause", "Asterisk went away")
    answers = iter([{"Response": "Error", "Message": "Interface not found"}, lost])
    service, _ = await serve(Transport(reply=lambda action: next(answers)))
    write(db)
    write(db, target="user:bob")
    rows = await settled(db, lambda rows: finished(rows, 2))
    assert [(r.status, r.result) for r in rows] == [("failed", "Interface not found"), ("failed", str(lost))]
    assert len(service.transport.sent) == 2  # never re-sent: Asterisk may have acted on it


async def test_a_command_that_never_left_serve_goes_later_within_its_time_to_live(db, serve, people):
    answers = iter([ActionTimeout("QueuePause", 5, sent=False), OK])
    service, _ = await serve(Transport(reply=lambda action: next(answers)))
    command = write(db)
    (row,) = await settled(db, finished)
    assert (row.id, row.status, len(service.transport.sent)) == (command, "done", 2)


async def test_a_command_past_its_time_to_live_is_expired_and_never_sent(db, serve, people):
    stale = write(db, at=utcnow() - dt.timedelta(seconds=31), ttl=30)  # written while serve was down
    fresh = write(db, action="agent.unpause", at=utcnow() - dt.timedelta(seconds=10), ttl=30)
    service, _ = await serve()
    rows = await settled(db, lambda rows: finished(rows, 2))
    assert [(r.id, r.status) for r in rows] == [(stale, "expired"), (fresh, "done")]
    assert [a["Paused"] for a in service.transport.sent] == ["false"]  # only the unpause went


async def test_while_asterisk_is_unreachable_commands_wait_within_their_time_to_live(db, serve, people):
    transport = Transport()
    transport.connected = False
    service, _ = await serve(transport)
    command = write(db)
    await asyncio.sleep(0.2)
    assert [c.status for c in commands(db)] == ["pending"] and transport.sent == []
    transport.connected = True
    (row,) = await settled(db, finished)
    assert (row.id, row.status) == (command, "done")


async def test_one_targets_commands_run_in_order_others_side_by_side(db, serve, people):
    slow = lambda action: 0.3 if action.get("Reason") == "lunch" else 0.0  # noqa: E731
    transport = Transport(delay=slow)
    await serve(transport)
    lunch = write(db)
    back = write(db, action="agent.unpause", payload={"interface": ALICE})
    bob = write(db, target="user:bob", payload={"interface": "Local/1002@agents/n", "reason": "smoke"})
    await settled(db, lambda rows: finished(rows, 3))
    order = [(what, int(action_id.split("-")[2])) for what, action_id in transport.log]
    assert order.index(("end", lunch)) < order.index(("start", back))  # alice's unpause waited for her pause
    assert order.index(("end", bob)) < order.index(("end", lunch))  # bob's did not wait for alice's


async def test_commands_a_dead_serve_left_sent_are_failed_at_start_not_resent(db, serve, people):
    command = write(db)
    with db.write() as session:
        outbox.claim(session, now=utcnow(), connected=True)
    service, _ = await serve()
    await asyncio.sleep(0.1)
    (row,) = commands(db)
    assert (row.id, row.status, row.result) == (command, "failed", "serve stopped before Asterisk answered; not sent again")
    assert service.transport.sent == []


# ---------------------------------------------------------------------------- serve's own commands

def logged_in(db, user_id, *, pause=None, paused_at=None, call_id=None):
    with db.write() as session:
        session.merge(AgentPresence(user_id=user_id, logged_in=True, pause_reason=pause, paused_at=paused_at,
                                    acw_call_id=call_id, updated_at=utcnow()))


def presence(db, user_id):
    with db.read() as session:
        row = session.get(AgentPresence, user_id)
        return row.pause_reason, row.acw_call_id


async def test_after_a_call_serve_pauses_the_agent_for_after_call_work(db, serve, people):
    logged_in(db, people.agent.user_id)
    service, _ = await serve()
    finished_call = call(db, disposition="answered")
    ended = utcnow().replace(microsecond=0)
    timeline(db, finished_call, "completed", interface=ALICE, at=ended)
    (row,) = await settled(db, lambda rows: finished(rows, 1))
    assert (row.actor, row.action, row.target, outbox.payload_of(row)) == (
        "system", "agent.pause", "user:alice",
        {"user_id": people.agent.user_id, "interface": ALICE, "reason": "acw", "call_id": finished_call,
         "since": ended.isoformat()})
    assert service.transport.sent[0]["Reason"] == "acw"
    assert presence(db, people.agent.user_id) == ("acw", finished_call)


@pytest.mark.parametrize("case", ["lunch", "not logged in through AIIVR", "no after-call work", "bob's call"])
async def test_no_after_call_work_when_it_does_not_apply(db, config, serve, people, case):
    if case == "lunch":
        logged_in(db, people.agent.user_id, pause="lunch")  # paused during the call: lunch stands
    elif case != "not logged in through AIIVR":
        logged_in(db, people.agent.user_id)
    cfg = dataclasses.replace(config, wrapup=WrapupConfig(max_seconds=0)) if case == "no after-call work" else config
    service, _ = await serve(cfg=cfg)
    interface = "Local/1002@agents/n" if case == "bob's call" else ALICE
    timeline(db, call(db, disposition="answered"), "completed", interface=interface)
    await asyncio.sleep(0.3)
    assert commands(db) == [] and service.transport.sent == []


async def test_after_call_work_ends_by_itself_at_its_maximum(db, config, serve, people):
    finished_call = call(db, disposition="answered")
    logged_in(db, people.agent.user_id, pause="acw", paused_at=utcnow() - dt.timedelta(seconds=0.5),
              call_id=finished_call)
    service, _ = await serve(cfg=dataclasses.replace(config, wrapup=WrapupConfig(max_seconds=1)))
    await asyncio.sleep(0.2)
    assert commands(db) == []  # not yet
    (row,) = await settled(db, lambda rows: finished(rows, 1), timeout=3)
    assert (row.actor, row.action, outbox.payload_of(row)["why"]) == (
        "system", "agent.ready", "after-call work reached its maximum of 1 s")
    assert service.transport.sent[0]["Paused"] == "false"
    assert presence(db, people.agent.user_id) == (None, None)
    with db.read() as session:
        from aiivr.models import Call
        # Never before the maximum; how late after it depends on the machine's load (the
        # sweep runs every 0.5 s), and `why` above already says the maximum ended it.
        assert 0.9 <= session.get(Call, finished_call).wrapup_seconds < 1.0 + 3
    await asyncio.sleep(0.7)
    assert len(commands(db)) == 1  # said once


async def test_a_poll_with_nothing_to_write_begins_no_write_transaction(db, config, serve, people, monkeypatch):
    """SQLite has one write lock and the recorder's writer waits for it, so polls that find
    nothing to do (no command, after-call work short of its maximum) only read."""
    finished_call = call(db, disposition="answered")
    logged_in(db, people.agent.user_id, pause="acw", paused_at=utcnow(), call_id=finished_call)
    _, executor = await serve(cfg=dataclasses.replace(config, wrapup=WrapupConfig(max_seconds=60)))
    real_write, writes = db.write, []

    def counted_write():
        writes.append(time.monotonic())
        return real_write()

    monkeypatch.setattr(db, "write", counted_write)
    await asyncio.sleep(1.2)  # some 60 polls, two sweeps of the maximum at least
    assert writes == [] and commands(db) == []
    monkeypatch.setattr(db, "write", real_write)
    logged_in(db, people.agent.user_id, pause="acw", paused_at=utcnow() - dt.timedelta(seconds=61),
              call_id=finished_call)
    monkeypatch.setattr(db, "write", counted_write)
    (row,) = await settled(db, lambda rows: finished(rows, 1), timeout=3)
    # The sweep that found it due wrote the command, and the claim and the outcome followed.
    assert (row.action, row.status) == ("agent.ready", "done") and len(writes) >= 2


async def test_consecutive_rings_with_no_answer_pause_the_agent_when_configured(db, config, serve, people):
    logged_in(db, people.agent.user_id)
    cfg = dataclasses.replace(config, ring_no_answer=RingNoAnswerConfig(pause_after=2, reason="no_answer"))
    service, _ = await serve(cfg=cfg)
    first, second, third = (call(db, disposition="answered") for _ in range(3))
    timeline(db, first, "ring_no_answer", interface=ALICE)
    timeline(db, second, "connected", interface=ALICE, agent_channel="x")  # answered one: the count starts again
    timeline(db, second, "ring_no_answer", interface=ALICE)
    await asyncio.sleep(0.2)
    assert commands(db) == []
    timeline(db, third, "ring_no_answer", interface=ALICE)
    (row,) = await settled(db, lambda rows: finished(rows, 1))
    assert outbox.payload_of(row) == {
        "user_id": people.agent.user_id, "interface": ALICE, "reason": "no_answer",
        "why": f"2 queue calls in a row rang alice with no answer (calls {second}, {third})"}
    assert service.transport.sent[0]["Reason"] == "no_answer"


async def test_the_rule_is_off_by_default(db, serve, people):
    logged_in(db, people.agent.user_id)
    await serve()
    for _ in range(4):
        timeline(db, call(db, disposition="answered"), "ring_no_answer", interface=ALICE)
    await asyncio.sleep(0.3)
    assert commands(db) == []


@pytest.mark.parametrize("restarted", [True, False])
async def test_after_an_asterisk_restart_memberships_then_pauses_are_reapplied(db, serve, people, restarted):
    give_phones(people, alice="1001")
    logged_in(db, people.agent.user_id, pause="lunch", paused_at=utcnow() - dt.timedelta(minutes=5))
    logged_in(db, people.agent2.user_id)
    with db.write() as session:  # a logged-out agent is not brought back
        session.merge(AgentPresence(user_id=people.supervisor.user_id, logged_in=False, updated_at=utcnow()))
    service, executor = await serve()
    await executor.on_session_ready(service, pbx_restarted=restarted)
    if not restarted:
        await asyncio.sleep(0.2)
        assert commands(db) == []
        return
    rows = await settled(db, lambda rows: finished(rows, 3))
    assert [(r.actor, r.action, r.target, r.status) for r in rows] == [
        ("system", "agent.login", "user:alice", "done"), ("system", "agent.pause", "user:alice", "done"),
        ("system", "agent.login", "user:bob", "done")]
    sent = [(a["Action"], a.get("Queue"), a.get("Reason"), a.get("StateInterface")) for a in service.transport.sent]
    assert sent.index(("QueueAdd", "support", None, "PJSIP/1001")) < sent.index(("QueuePause", None, "lunch", None))
    assert ("QueueAdd", "sales", None, "Local/1002@agents/n") in sent
    assert presence(db, people.agent.user_id)[0] == "lunch"


def test_the_timeline_cursor_sees_each_row_once_even_one_committed_late(db, people):
    from aiivr.agent_rules import TimelineCursor
    from aiivr.models import CallEvent

    clock = SimpleNamespace(t=0.0)
    cursor = TimelineCursor(clock=lambda: clock.t)
    call_id = call(db, disposition="answered")
    with db.read() as session:
        cursor.start(session)

    def add(row_id, kind="completed"):
        with db.write() as session:  # explicit ids: PostgreSQL hands them out before commit
            session.add(CallEvent(id=row_id, call_id=call_id, at=utcnow(), kind=kind, interface=ALICE,
                                  detail="{}", dedupe_key=f"cursor-{row_id}"))

    def read():
        with db.read() as session:
            return [e.id for e in cursor.read(session)]

    base = cursor.floor
    add(base + 10)
    add(base + 11, kind="hold")  # not a kind the rules watch
    assert read() == [base + 10]
    add(base + 5)  # committed after a higher id
    clock.t += 0.1
    assert read() == []  # the quick read looks above the highest id only
    clock.t += 1.0
    assert read() == [base + 5]  # the once-a-second read from the settled floor finds it
    clock.t += 10
    assert read() == [] and cursor.floor == base + 10


async def test_stop_always_ends_the_loop_even_when_woken_at_that_moment(db, config):
    # Python 3.11's wait_for could swallow the cancel when the wake-up landed with it:
    # serve's shutdown then waited forever for a loop that kept polling.
    for _ in range(30):
        service = SimpleNamespace(db=db, config=config, transport=Transport(),
                                  recorder=SimpleNamespace(expected=Expectations()))
        executor = OutboxExecutor(poll_seconds=0.001)
        await executor.start(service)
        await asyncio.sleep(0.002)
        await executor.on_session_ready(service, pbx_restarted=False)  # wakes the loop
        await asyncio.wait_for(executor.stop(), 3)
        assert executor._task.done()


def test_the_timeline_rules_read_every_rules_seconds_while_commands_are_claimed_at_every_poll(db, config, people):
    # A busy centre's timeline read is hundreds of rows and two queries: the rules run four
    # times a second, the outbox poll (a command someone is waiting for) every 50 ms.
    from aiivr.agent_rules import AgentRules
    from pbx_bridge.outbox_executor import RULES_SECONDS

    executor = OutboxExecutor()
    executor._service = SimpleNamespace(db=db, config=config, transport=Transport(),
                                        recorder=SimpleNamespace(expected=Expectations()))
    executor._rules = AgentRules(config)
    executor._prepare()
    reads = []
    read = executor._rules.cursor.read
    executor._rules.cursor.read = lambda session: reads.append(session) or read(session)

    before = time.monotonic()
    assert executor._scan(True) == [] and len(reads) == 1
    assert before + RULES_SECONDS <= executor._next_rules <= time.monotonic() + RULES_SECONDS
    executor._next_rules = time.monotonic() + 3600  # the next rules read is not due yet
    command = write(db)
    assert [c.id for c in executor._scan(True)] == [command]
    assert len(reads) == 1  # claimed without reading the timeline
    executor._next_rules = 0.0  # due
    assert executor._scan(True) == [] and len(reads) == 2
