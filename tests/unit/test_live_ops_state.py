"""What a confirmed command changes in AIIVR's records, when a command counts as
confirmed, and who a status row says asked for it (set_by)."""

import datetime as dt
import json

import pytest
from sqlmodel import select

from aiivr import confirmations, live_state, outbox
from aiivr.models import AgentStatus, Call, CallEvent
from aiivr.models.outbox import AgentPresence
from aiivr.recorder import Recorder
from aiivr.recorder.expectations import Expectations
from tests.unit.live_ops_helpers import NOW, call, member, timeline
from tests.unit.recorder_helpers import events_of

ALICE = "Local/1001@agents/n"
S = dt.timedelta(seconds=1)


def done(db, action, payload, *, at=NOW, actor="alice", outcome=None):
    """Write a command and apply it as serve does when Asterisk accepted it."""
    with db.write() as session:
        command = outbox.enqueue(session, actor=actor, action=action, target="user:alice", payload=payload, now=at)
        outbox.finish(session, command.id, "done", "ok", now=at, outcome=outcome or {})
        live_state.apply_done(session, command, now=at)
        return command.id


def presence(db, user_id):
    with db.read() as session:
        row = session.get(AgentPresence, user_id)
        return (row.logged_in, row.pause_reason, row.paused_at, row.acw_call_id, row.updated_by)


def test_presence_follows_confirmed_commands(people):
    db, uid = people.db, people.agent.user_id
    agent = {"user_id": uid, "interface": ALICE}
    done(db, "agent.login", {**agent, "queues": [], "reapply": False})
    assert presence(db, uid) == (True, None, None, None, "alice")
    done(db, "agent.pause", {**agent, "reason": "lunch"}, at=NOW + S)
    done(db, "agent.pause", {**agent, "reason": "lunch"}, at=NOW + 2 * S)  # again: the same pause goes on
    assert presence(db, uid) == (True, "lunch", NOW + S, None, "alice")
    done(db, "agent.pause", {**agent, "reason": "smoke"}, at=NOW + 3 * S, actor="sue")  # a new pause begins
    assert presence(db, uid) == (True, "smoke", NOW + 3 * S, None, "sue")
    done(db, "agent.unpause", agent, at=NOW + 4 * S)
    assert presence(db, uid) == (True, None, None, None, "alice")
    done(db, "agent.logout", {**agent, "queues": []}, at=NOW + 5 * S)
    assert presence(db, uid)[:2] == (False, None)


def test_after_call_work_gives_its_call_the_wrap_up_time(people):
    db, uid = people.db, people.agent.user_id
    agent = {"user_id": uid, "interface": ALICE}
    first, second = call(db, disposition="answered"), call(db, disposition="answered")
    done(db, "agent.login", {**agent, "queues": [], "reapply": False})
    # serve pauses from the end of the call, which came a moment before the pause
    done(db, "agent.pause", {**agent, "reason": "acw", "call_id": first, "since": NOW.isoformat()},
         at=NOW + S / 10, actor="system")
    assert presence(db, uid) == (True, "acw", NOW, first, "system")
    done(db, "agent.ready", agent, at=NOW + 42 * S)
    done(db, "agent.pause", {**agent, "reason": "acw", "call_id": second, "since": (NOW + 60 * S).isoformat()},
         at=NOW + 60 * S, actor="system")
    done(db, "agent.pause", {**agent, "reason": "lunch"}, at=NOW + 70 * S)  # lunch ends the wrap-up too
    with db.read() as session:
        assert [session.get(Call, i).wrapup_seconds for i in (first, second)] == [42.0, 10.0]
    assert presence(db, uid)[1:4] == ("lunch", NOW + 70 * S, None)


def test_a_reapplied_login_keeps_the_pause_it_reapplies_next(people):
    db, uid = people.db, people.agent.user_id
    agent = {"user_id": uid, "interface": ALICE}
    done(db, "agent.pause", {**agent, "reason": "lunch"})
    done(db, "agent.login", {**agent, "queues": [], "reapply": True}, at=NOW + S, actor="system")
    assert presence(db, uid)[:3] == (True, "lunch", NOW)
    done(db, "agent.login", {**agent, "queues": [], "reapply": False}, at=NOW + 2 * S)  # a person's login: unpaused
    assert presence(db, uid)[:2] == (True, None)


def test_a_monitoring_session_goes_on_the_spied_calls_timeline_once(people):
    db = people.db
    call_id = call(db, disposition="open", ended=False)
    payload = {"mode": "barge", "call_id": call_id, "agent": "alice", "agent_interface": ALICE,
               "supervisor_user_id": people.supervisor.user_id}
    command = done(db, "monitor.barge", payload, actor="sue", outcome={"channel": "PJSIP/9001-0001", "uniqueid": "u"})
    with db.write() as session:  # applied again (a retried transaction): still one line
        live_state.apply_done(session, session.get(outbox.OutboxCommand, command), now=NOW)
    done(db, "monitor.stop", {"hangup": "PJSIP/9001-0001", **payload}, at=NOW + S, actor="sue")
    with db.read() as session:
        rows = session.exec(select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.at)).all()
    assert [(r.kind, r.user_id, r.interface, json.loads(r.detail)) for r in rows] == [
        ("monitor", people.supervisor.user_id, ALICE,
         {"mode": "barge", "by": "sue", "agent": "alice", "spyer_channel": "PJSIP/9001-0001", "command": command}),
        ("monitor_stop", people.supervisor.user_id, ALICE,
         {"by": "sue", "agent": "alice", "spyer_channel": "PJSIP/9001-0001", "command": command + 1}),
    ]


def test_a_placed_call_gets_its_agent_and_link_once_it_is_recorded(people):
    db = people.db
    missed = call(db, disposition="abandoned")
    payload = {"user_id": people.agent.user_id, "interface": ALICE, "agent_name": "alice", "number": "555",
               "linked_call_id": missed}
    command_id = done(db, "call.callback", payload, outcome={"channel": "PJSIP/1001-1", "uniqueid": "out-1"})
    with db.write() as session:
        command = session.get(outbox.OutboxCommand, command_id)
        assert live_state.link_placed_call(session, command, now=NOW) is False  # the recorder has not written it
        assert confirmations.check_for("call.callback")(session, command) is False
        session.add(Call(linkedid="out-1", direction="outbound", started_at=NOW, local_date=NOW.date(), local_hour=10))
        session.flush()
        assert live_state.link_placed_call(session, command, now=NOW) is True
    with db.read() as session:
        placed = session.exec(select(Call).where(Call.linkedid == "out-1")).one()
        assert (placed.agent_user_id, placed.agent_name, placed.linked_call_id) == (people.agent.user_id, "alice", missed)
        assert confirmations.check_for("call.callback")(session, session.get(outbox.OutboxCommand, command_id))
        back = session.exec(select(CallEvent).where(CallEvent.call_id == missed)).one()
        assert (back.kind, json.loads(back.detail)) == ("callback", {"call": placed.id, "by": "alice", "number": "555"})


# ---------------------------------------------------------------------------- confirmations

def confirmed(db, action, payload, outcome=None):
    with db.write() as session:
        command = outbox.enqueue(session, actor="alice", action=action, target="user:alice", payload=payload, now=NOW)
        command.outcome = json.dumps(outcome or {})
        return confirmations.check_for(action)(session, command)


def test_login_is_confirmed_when_asterisk_reports_every_queue(db):
    payload = {"interface": ALICE, "queues": [{"queue": "sales", "penalty": 1}, {"queue": "support", "penalty": 0}]}
    member(db, "support", ALICE)
    assert not confirmed(db, "agent.login", payload)
    member(db, "sales", ALICE, penalty=1)
    assert confirmed(db, "agent.login", payload)
    assert not confirmed(db, "agent.logout", {"interface": ALICE, "queues": ["sales", "support"]})


def test_pause_is_confirmed_when_paused_with_that_reason_in_every_queue(db):
    pause = {"interface": ALICE, "reason": "lunch"}
    assert not confirmed(db, "agent.pause", pause)  # a member of nothing cannot be paused
    member(db, "support", ALICE, paused=True, reason="lunch")
    member(db, "sales", ALICE, paused=True, reason="smoke")
    assert not confirmed(db, "agent.pause", pause)
    assert not confirmed(db, "agent.ready", {"interface": ALICE})
    member(db, "sales", ALICE, paused=True, reason="lunch")
    assert confirmed(db, "agent.pause", pause)
    member(db, "sales", ALICE)
    member(db, "support", ALICE)
    assert confirmed(db, "agent.unpause", {"interface": ALICE})


def test_move_is_confirmed_when_in_the_new_queue_and_out_of_the_old(db):
    move = {"interface": ALICE, "to": "sales", "from": "support", "penalty": 2}
    member(db, "support", ALICE)
    member(db, "sales", ALICE, penalty=2)
    assert not confirmed(db, "agent.move", move)
    with db.write() as session:
        from aiivr.models import QueueMember
        session.delete(session.exec(select(QueueMember).where(QueueMember.queue == "support")).one())
    assert confirmed(db, "agent.move", move)


def test_a_spy_is_confirmed_by_chanspystart_of_our_channel_on_that_call(db):
    call_id = call(db, disposition="open", ended=False)
    payload = {"call_id": call_id}
    timeline(db, call_id, "spy_start", spyer_channel="PJSIP/9002-0001", spyee_channel="PJSIP/1001-0001")
    assert not confirmed(db, "monitor.listen", payload, {"channel": "PJSIP/9001-0007"})  # another supervisor's
    timeline(db, call_id, "spy_start", spyer_channel="PJSIP/9001-0007", spyee_channel="PJSIP/1001-0001")
    assert confirmed(db, "monitor.listen", payload, {"channel": "PJSIP/9001-0007"})


# ---------------------------------------------------------------------------- set_by

class Clock:
    t = 100.0

    def __call__(self):
        return self.t


def test_expectations_match_the_kind_of_change_and_expire():
    clock = Clock()
    expected = Expectations(ttl=10, clock=clock)
    paused, unpaused, added = _member_events()
    assert expected.who(paused) == "pbx"
    expected.expect(ALICE, "paused:lunch", "alice")
    expected.expect(ALICE, "added", "sue")
    assert (expected.who(paused), expected.who(added), expected.who(unpaused)) == ("alice", "sue", "pbx")
    assert expected.who(_replace(paused, interface="Local/1002@agents/n")) == "pbx"
    assert expected.who(_replace(paused, paused_reason="smoke")) == "pbx"
    clock.t += 11
    assert expected.who(paused) == "pbx"


def _member_events():
    events = events_of("pause")
    from aiivr import events as ev
    paused = next(e for e in events if isinstance(e, ev.MemberPaused) and e.paused)
    unpaused = next(e for e in events if isinstance(e, ev.MemberPaused) and not e.paused)
    added = next(e for e in events if isinstance(e, ev.MemberAdded))
    return paused, unpaused, added


def _replace(event, **changes):
    import dataclasses
    return dataclasses.replace(event, **changes)


@pytest.mark.parametrize("expect_who", [True, False])
def test_the_status_row_asterisk_confirms_names_who_asked(db, config, expect_who):
    recorder = Recorder(db, config)
    if expect_who:
        recorder.expected.expect(ALICE, "paused:lunch", "alice")
        recorder.expected.expect(ALICE, "unpaused", "sue")
    recorder.apply(events_of("pause"))
    recorder.close()
    with db.read() as session:
        rows = session.exec(select(AgentStatus).where(AgentStatus.interface == ALICE).order_by(AgentStatus.started_at)).all()
    by = [(r.status, r.reason, r.set_by) for r in rows]
    if expect_who:
        assert by == [("online", None, "pbx"), ("paused", "lunch", "alice"), ("online", None, "sue"),
                      ("offline", None, "pbx")]
    else:
        assert {r[2] for r in by} == {"pbx"}


def test_a_pause_asked_for_during_a_call_names_who_asked_when_the_call_ends(db, config):
    """sue pauses alice (lunch) while alice talks: Asterisk confirms at once, but the status
    row opens when the call ends, and it still says sue asked."""
    from aiivr import events as ev
    events = events_of("two-queues")
    connect = next(i for i, e in enumerate(events) if isinstance(e, ev.AgentConnected) and e.interface == ALICE)
    complete = next(e for e in events[connect:] if isinstance(e, ev.AgentCompleted) and e.interface == ALICE)
    template = next(e for e in events_of("pause") if isinstance(e, ev.MemberPaused) and e.paused)
    queues = sorted({e.queue for e in events[:connect] if isinstance(e, ev.MemberState) and e.interface == ALICE})
    pauses = [_replace(template, queue=q, interface=ALICE, member_name="alice", paused_reason="lunch",
                       ts=events[connect].ts + 0.5) for q in queues]
    recorder = Recorder(db, config)
    recorder.expected.expect(ALICE, "paused:lunch", "sue")
    recorder.apply(events[:connect + 1] + pauses + [e for e in events[connect + 1:] if e.ts <= complete.ts])
    recorder.close()
    with db.read() as session:
        rows = session.exec(select(AgentStatus).where(AgentStatus.interface == ALICE).order_by(AgentStatus.id)).all()
    tail = [(r.status, r.reason, r.set_by) for r in rows][-2:]
    assert tail == [("on_call", None, "pbx"), ("paused", "lunch", "sue")]


def test_a_penalty_change_reaches_the_member_row(db, config):
    """agent move --penalty for a member already in the queue sends QueuePenalty; Asterisk's
    QueueMemberPenalty (QueueMemberStatus's headers) gives the member row its new penalty, and
    the agent's status does not change."""
    from aiivr.models import QueueMember
    from pbx_bridge.replay import read_capture
    from pbx_bridge.translator import Translator
    from tests.unit.recorder_helpers import FIXTURES

    added = next(m for m in read_capture(FIXTURES / "lab-pause.jsonl") if m.get("Event") == "QueueMemberAdded")
    penalty = dict(added, Event="QueueMemberPenalty", Penalty="3",
                   Timestamp=f"{float(added['Timestamp']) + 1:.6f}")
    translate = Translator(strict=True).translate
    recorder = Recorder(db, config)
    recorder.apply(translate(added))
    recorder.apply(translate(penalty))
    recorder.close()
    with db.read() as session:
        rows = session.exec(select(QueueMember).where(QueueMember.interface == added["Interface"])).all()
        history = session.exec(select(AgentStatus).where(AgentStatus.interface == added["Interface"])).all()
    assert [(m.queue, m.penalty) for m in rows] == [(added["Queue"], 3)]
    assert [(r.status, r.ended_at) for r in history] == [("online", None)]
