"""Live-operation services: who may do what (both ways, audited), and the command each
writes to the outbox, with its audit entry, in one transaction."""

import pytest
from sqlmodel import select

from aiivr import outbox
from aiivr.errors import BadInput, Conflict, NotFound, PermissionDenied
from aiivr.models import UserQueue
from aiivr.models.outbox import DONE, AgentPresence
from aiivr.services import live_ops
from tests.unit.live_ops_helpers import (NOW, audit_tuple, call, commands, connected_call, give_phones, last_audit,
                                         member, timeline)

ALICE = "Local/1001@agents/n"


@pytest.fixture
def desk(people):
    give_phones(people, alice="1001", bob="1002", sue="9001")
    return people


def only_command(db):
    (command,) = commands(db)
    return command.actor, command.action, command.target, outbox.payload_of(command)


# ---------------------------------------------------------------------------- agents

def test_an_agent_logs_itself_in_with_its_interface_state_interface_and_queues(desk):
    with desk.db.write() as session:  # a penalty in one of its queues
        session.add(UserQueue(user_id=desk.agent.user_id, queue_id=_queue_id(desk, "sales"), penalty=2))
    view = live_ops.agent_login(desk.ctx(desk.agent), now=NOW)
    assert (view.status, view.action, view.expires_at) == ("pending", "agent.login", "2026-11-26T09:00:30.000+00:00")
    # A Local member is busy only on queue calls: Asterisk watches its phone instead.
    assert only_command(desk.db) == ("alice", "agent.login", "user:alice", {
        "user_id": desk.agent.user_id, "interface": ALICE, "member_name": "alice", "state_interface": "PJSIP/1001",
        "queues": [{"queue": "sales", "penalty": 2}, {"queue": "support", "penalty": 0}], "reapply": False})
    assert audit_tuple(last_audit(desk.db)) == ("alice", "agent.login", "user:alice", "ok", {"command": view.id})


def _queue_id(desk, name):
    from aiivr.services.users import ensure_queue
    with desk.db.write() as session:
        return ensure_queue(desk.ctx(desk.admin), session, name).id


@pytest.mark.parametrize("function, kwargs", [
    (live_ops.agent_login, {}), (live_ops.agent_logout, {}), (live_ops.agent_ready, {}),
    (live_ops.agent_unpause, {}), (live_ops.agent_pause, {"reason": "lunch"})])
def test_an_agent_may_not_change_another_agent_and_the_refusal_is_audited(desk, function, kwargs):
    with pytest.raises(PermissionDenied, match="agent.state_all needs a supervisor"):
        function(desk.ctx(desk.agent), "bob", **kwargs)
    assert commands(desk.db) == []
    assert audit_tuple(last_audit(desk.db)) == ("alice", "agent.state_all", "user:bob", "denied", {})


def test_a_supervisor_changes_any_agent_and_is_the_commands_actor(desk):
    view = live_ops.agent_pause(desk.ctx(desk.supervisor), "bob", reason="Lunch")
    assert only_command(desk.db) == ("sue", "agent.pause", "user:bob",
                                     {"user_id": desk.agent2.user_id, "interface": "Local/1002@agents/n",
                                      "reason": "lunch"})
    assert audit_tuple(last_audit(desk.db)) == ("sue", "agent.pause", "user:bob", "ok",
                                                {"reason": "lunch", "command": view.id})


def test_pause_reasons_are_the_configured_codes_and_never_acw(desk):
    alice = desk.ctx(desk.agent)
    with pytest.raises(BadInput, match=r"unknown pause reason 'nap' \(known: bathroom, case_work, lunch, on_leave, smoke\)"):
        live_ops.agent_pause(alice, reason="nap")
    with pytest.raises(BadInput, match="acw is the automatic after-call-work pause"):
        live_ops.agent_pause(alice, reason="acw")
    assert commands(desk.db) == []


def test_logout_removes_wanted_queues_and_whatever_asterisk_has_it_in(desk):
    member(desk.db, "vip", ALICE, name="alice")  # added on the PBX by hand
    live_ops.agent_logout(desk.ctx(desk.agent))
    assert only_command(desk.db)[3]["queues"] == ["support", "vip"]


def test_agents_without_queues_or_interface_cannot_log_in(desk):
    with pytest.raises(BadInput, match="sue has no queue interface"):
        live_ops.agent_login(desk.ctx(desk.supervisor))
    with desk.db.write() as session:
        for row in session.exec(select(UserQueue).where(UserQueue.user_id == desk.agent.user_id)):
            session.delete(row)
    with pytest.raises(BadInput, match="alice belongs to no queue"):
        live_ops.agent_login(desk.ctx(desk.agent))
    with pytest.raises(NotFound):
        live_ops.agent_login(desk.ctx(desk.supervisor), "nobody")
    assert commands(desk.db) == []


# ---------------------------------------------------------------------------- move

def wanted(desk, user_id):
    from aiivr.live_payloads import wanted_memberships
    with desk.db.read() as session:
        return wanted_memberships(session, user_id)


def test_move_is_for_supervisors(desk):
    with pytest.raises(PermissionDenied, match="agent.move needs a supervisor"):
        live_ops.agent_move(desk.ctx(desk.agent), "alice", to="sales")
    assert audit_tuple(last_audit(desk.db))[1:4] == ("agent.move", "user:alice", "denied")
    assert wanted(desk, desk.agent.user_id) == [{"queue": "support", "penalty": 0}]


def test_moving_a_logged_out_agent_changes_only_its_wanted_queues(desk):
    result = live_ops.agent_move(desk.ctx(desk.supervisor), "alice", to="sales", from_="support", penalty=3)
    assert result is None and commands(desk.db) == []
    assert wanted(desk, desk.agent.user_id) == [{"queue": "sales", "penalty": 3}]
    assert audit_tuple(last_audit(desk.db)) == ("sue", "agent.move", "user:alice", "ok",
                                                {"to": "sales", "from": "support", "penalty": 3})


def test_moving_a_logged_in_agent_tells_asterisk(desk):
    with desk.db.write() as session:
        session.add(AgentPresence(user_id=desk.agent.user_id, logged_in=True, updated_at=NOW))
    view = live_ops.agent_move(desk.ctx(desk.supervisor), "alice", to="sales", penalty=1)
    _, action, _, payload = only_command(desk.db)
    assert (action, payload["to"], payload["from"], payload["penalty"]) == ("agent.move", "sales", None, 1)
    assert wanted(desk, desk.agent.user_id) == [{"queue": "sales", "penalty": 1}, {"queue": "support", "penalty": 0}]
    # only the penalty now: it stays where it is
    live_ops.agent_move(desk.ctx(desk.supervisor), "alice", to="support", penalty=4)
    assert wanted(desk, desk.agent.user_id)[1] == {"queue": "support", "penalty": 4}
    assert view.id == commands(desk.db)[0].id


def test_move_refuses_nonsense(desk):
    sue = desk.ctx(desk.supervisor)
    with pytest.raises(BadInput, match="not in queue 'sales'"):
        live_ops.agent_move(sue, "alice", to="vip", from_="sales")
    with pytest.raises(BadInput, match="the same queue"):
        live_ops.agent_move(sue, "alice", to="sales", from_="sales")
    with pytest.raises(BadInput, match="--penalty must be 0 or more"):
        live_ops.agent_move(sue, "alice", to="sales", penalty=-1)
    assert wanted(desk, desk.agent.user_id) == [{"queue": "support", "penalty": 0}]


# ---------------------------------------------------------------------------- monitoring

def test_an_agent_may_not_monitor_and_the_refusal_is_audited(desk):
    connected_call(desk.db, "Local/1002@agents/n", "Local/1002@agents-00000001;1")
    with pytest.raises(PermissionDenied, match="monitor.spy needs a supervisor"):
        live_ops.monitor(desk.ctx(desk.agent), "listen", "bob")
    assert commands(desk.db) == []
    assert audit_tuple(last_audit(desk.db)) == ("alice", "monitor.spy", "user:bob", "denied", {})


def test_a_supervisor_spies_on_the_agents_full_bridged_channel(desk):
    # PJSIP/1001 is a prefix of PJSIP/10010's channels: only the full name is safe.
    call_id = connected_call(desk.db, ALICE, "Local/1001@agents-0000000a;1")
    connected_call(desk.db, "Local/10010@agents/n", "Local/10010@agents-0000000b;1")
    view = live_ops.monitor(desk.ctx(desk.supervisor), "whisper", "alice", now=NOW)
    assert only_command(desk.db) == ("sue", "monitor.whisper", "user:alice", {
        "mode": "whisper", "channel": "PJSIP/9001", "context": "supervisor", "spy_channel": "Local/1001@agents-0000000a;1",
        "call_id": call_id, "agent": "alice", "agent_interface": ALICE, "supervisor_user_id": desk.supervisor.user_id,
        "caller_id": '"Whisper alice" <9001>', "hangup": None})
    assert audit_tuple(last_audit(desk.db)) == ("sue", "monitor.whisper", "user:alice", "ok", {
        "mode": "whisper", "call": call_id, "channel": "Local/1001@agents-0000000a;1", "command": view.id})


def answered(desk, command_id, channel):
    with desk.db.write() as session:
        outbox.finish(session, command_id, DONE, "answered", now=NOW, outcome={"channel": channel, "uniqueid": "u1"})


def test_switching_mode_ends_the_running_session_and_stop_ends_it(desk):
    call_id = connected_call(desk.db, ALICE, "Local/1001@agents-0000000a;1")
    sue = desk.ctx(desk.supervisor)
    with pytest.raises(BadInput, match="you are not monitoring anyone"):
        live_ops.monitor_stop(sue)
    first = live_ops.monitor(sue, "listen", "alice")
    with pytest.raises(Conflict, match=f"previous monitor command \\({first.id}\\) has not finished"):
        live_ops.monitor(sue, "barge", "alice")
    answered(desk, first.id, "PJSIP/9001-00000001")
    second = live_ops.monitor(sue, "barge", "alice")
    assert outbox.payload_of(commands(desk.db)[-1])["hangup"] == "PJSIP/9001-00000001"
    answered(desk, second.id, "PJSIP/9001-00000002")
    stop = live_ops.monitor_stop(sue)
    assert outbox.payload_of(commands(desk.db)[-1]) == {
        "hangup": "PJSIP/9001-00000002", "call_id": call_id, "agent": "alice", "agent_interface": ALICE,
        "supervisor_user_id": desk.supervisor.user_id}
    answered(desk, stop.id, "")
    with pytest.raises(BadInput, match="you are not monitoring anyone"):
        live_ops.monitor_stop(sue)


def test_monitoring_needs_an_agent_on_a_call_and_a_supervisor_phone(desk):
    with pytest.raises(BadInput, match="alice is not on a queue call"):
        live_ops.monitor(desk.ctx(desk.supervisor), "listen", "alice")
    call_id = connected_call(desk.db, ALICE, "Local/1001@agents-0000000a;1")
    timeline(desk.db, call_id, "completed", interface=ALICE)  # it transferred the caller and left
    with pytest.raises(BadInput, match="alice is not on a queue call"):
        live_ops.monitor(desk.ctx(desk.supervisor), "listen", "alice")
    give_phones(desk, sue="")
    connected_call(desk.db, ALICE, "Local/1001@agents-0000000c;1")
    with pytest.raises(BadInput, match="you have no extension"):
        live_ops.monitor(desk.ctx(desk.supervisor), "listen", "alice")
    with pytest.raises(BadInput, match="unknown monitor mode"):
        live_ops.monitor(desk.ctx(desk.supervisor), "shout", "alice")
    assert commands(desk.db) == []


# ---------------------------------------------------------------------------- outbound

def test_dial_rings_the_agents_own_phone_into_the_outbound_context(desk):
    view = live_ops.dial(desk.ctx(desk.agent), "+49 (30) 123-456")
    assert only_command(desk.db) == ("alice", "call.dial", "number:+4930123456", {
        "channel": "PJSIP/1001", "context": "outbound", "number": "+4930123456", "origin": "outbound",
        "caller_id": '"alice" <1001>', "user_id": desk.agent.user_id, "interface": ALICE, "agent_name": "alice",
        "linked_call_id": None})
    assert audit_tuple(last_audit(desk.db)) == ("alice", "call.dial", "number:+4930123456", "ok",
                                                {"number": "+4930123456", "command": view.id})


@pytest.mark.parametrize("number", ["1", "abc", "+", "12#4", ""])
def test_dial_refuses_what_is_not_a_number(desk, number):
    with pytest.raises(BadInput, match="bad number"):
        live_ops.dial(desk.ctx(desk.agent), number)


def test_dial_needs_a_phone(desk):
    with pytest.raises(BadInput, match="you have no extension"):
        live_ops.dial(desk.ctx(desk.admin), "5551234")


def test_an_agent_calls_back_an_abandoned_call_of_its_queue_and_the_calls_link(desk):
    abandoned = call(desk.db, queue="support")
    live_ops.callback(desk.ctx(desk.agent), abandoned)
    _, action, target, payload = only_command(desk.db)
    assert (action, target, payload["number"], payload["origin"], payload["linked_call_id"]) == (
        "call.callback", f"call:{abandoned}", "+49301234567", "callback", abandoned)


def test_an_agent_may_not_call_back_another_queues_call_but_one_that_rang_it(desk):
    elsewhere = call(desk.db, queue="sales")
    with pytest.raises(PermissionDenied, match=f"call {elsewhere} is not one of yours"):
        live_ops.callback(desk.ctx(desk.agent), elsewhere)
    assert audit_tuple(last_audit(desk.db)) == ("alice", "call.dial", f"call:{elsewhere}", "denied",
                                                {"reason": f"call {elsewhere} is not one of yours (your queues, or it rang you)"})
    timeline(desk.db, elsewhere, "ring_no_answer", interface=ALICE)  # it rang alice: hers to call back
    live_ops.callback(desk.ctx(desk.agent), elsewhere)
    live_ops.callback(desk.ctx(desk.supervisor), call(desk.db, queue="sales"))  # supervisors: any
    assert [c.actor for c in commands(desk.db)] == ["alice", "sue"]


@pytest.mark.parametrize("kwargs, message", [
    ({"disposition": "answered"}, "was answered: nothing to call back"),
    ({"disposition": "open", "ended": False}, "is still going on"),
    ({"caller_num": ""}, "has no caller number"),
])
def test_callback_refuses_calls_there_is_nothing_to_call_back(desk, kwargs, message):
    with pytest.raises(BadInput, match=message):
        live_ops.callback(desk.ctx(desk.supervisor), call(desk.db, **kwargs))
    with pytest.raises(NotFound):
        live_ops.callback(desk.ctx(desk.supervisor), 9999)
    assert commands(desk.db) == []
