"""Queries and calls: opening one from a call, the call's detail listing it, linking more
calls, and a resolved query reopening when the customer calls back.

Calls are inserted directly: the recorder that writes them in production is not needed.
"""

import datetime as dt
import json

import pytest
from sqlmodel import select

from aiivr import changes
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.models.queries import QueryCall
from aiivr.services import queries
from tests.unit.queries_helpers import NOW, insert_call



def test_an_agent_opens_a_query_from_its_call_and_the_call_lists_it(people):
    call_id = insert_call(people.db, agent=people.agent)
    alice = people.ctx(people.agent)
    detail = queries.add_query(alice, call_id=call_id, subject="Refund not received", now=NOW)
    assert (detail.customer_num, detail.customer_name, detail.assignee) == ("+49 30 1234567", "Max Muster", "alice")
    assert detail.calls == [call_id]
    assert [(h.what, h.new) for h in detail.history] == [("created", "open"), ("call", str(call_id))]
    on_call = queries.queries_for_call(alice, call_id, now=NOW)
    assert [(s.id, s.subject, s.status, s.assignee) for s in on_call] == [(detail.id, "Refund not received", "open", "alice")]
    assert queries.queries_for_call(alice, insert_call(people.db, agent=people.agent), now=NOW) == []


def test_the_calls_detail_shows_an_agent_only_its_own_queries(people):
    call_id = insert_call(people.db, agent=people.agent)
    sue = people.ctx(people.supervisor)
    first = queries.add_query(people.ctx(people.agent), call_id=call_id, subject="Refund", now=NOW)
    second = queries.add_query(sue, call_id=call_id, subject="Complaint about alice", now=NOW)
    assert [s.id for s in queries.queries_for_call(sue, call_id, now=NOW)] == [first.id, second.id]
    assert [s.id for s in queries.queries_for_call(people.ctx(people.agent), call_id, now=NOW)] == [first.id]


def test_given_customer_details_win_over_the_callers(people):
    call_id = insert_call(people.db, agent=people.agent)
    alice = people.ctx(people.agent)
    named = queries.add_query(alice, call_id=call_id, customer_name="Maximilian", subject="s", now=NOW)
    assert (named.customer_num, named.customer_name) == ("+49 30 1234567", "Maximilian")
    other = queries.add_query(alice, call_id=call_id, customer_num="+49 40 555", subject="s", now=NOW)
    assert (other.customer_num, other.customer_name) == ("+49 40 555", "")


def test_a_withheld_caller_needs_a_customer_number(people):
    call_id = insert_call(people.db, agent=people.agent, caller_num="", caller_name="")
    with pytest.raises(BadInput, match=rf"^call {call_id} has no caller number \(withheld\): give --customer NUMBER$"):
        queries.add_query(people.ctx(people.agent), call_id=call_id, subject="s", now=NOW)


def test_an_unknown_call_is_not_found(people):
    with pytest.raises(NotFound, match="^no call with id 999$"):
        queries.add_query(people.ctx(people.supervisor), call_id=999, subject="s", now=NOW)


def test_an_agent_cannot_open_a_query_from_someone_elses_call(people):
    bobs_call = insert_call(people.db, agent=people.agent2)
    unanswered = insert_call(people.db, agent=None)
    for call_id in (bobs_call, unanswered):
        with pytest.raises(PermissionDenied, match=rf"^call {call_id} is not yours: link only calls you handled$"):
            queries.add_query(people.ctx(people.agent), call_id=call_id, subject="s", now=NOW)
    assert queries.list_queries(people.ctx(people.supervisor), now=NOW).items == []
    with people.db.read() as session:
        tail = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (tail.actor, tail.action, tail.target, tail.outcome) == ("alice", "call.view_all", f"call:{unanswered}", "denied")
    # A supervisor may open one from any call; it is assigned to the supervisor.
    detail = queries.add_query(people.ctx(people.supervisor), call_id=bobs_call, subject="s", now=NOW)
    assert (detail.calls, detail.assignee) == ([bobs_call], "sue")


def test_linking_more_calls_and_the_same_call_twice(people):
    alice = people.ctx(people.agent)
    first, second = insert_call(people.db, agent=people.agent), insert_call(people.db, agent=people.agent)
    query = queries.add_query(alice, call_id=first, subject="s", now=NOW)
    linked = queries.update_query(alice, query.id, call_id=second, now=NOW + dt.timedelta(hours=1))
    assert linked.calls == [first, second]
    again = queries.update_query(alice, query.id, call_id=second, now=NOW + dt.timedelta(hours=2))
    assert again.history == linked.history  # nothing new: already linked
    with pytest.raises(PermissionDenied, match="is not yours"):
        queries.update_query(alice, query.id, call_id=insert_call(people.db, agent=people.agent2), now=NOW)
    assert queries.show_query(alice, query.id, now=NOW).calls == [first, second]


def _resolved_query(people, *, customer_num="+49 30 1234567"):
    alice = people.ctx(people.agent)
    query = queries.add_query(alice, customer_num=customer_num, subject="Broken router", now=NOW)
    return queries.update_query(alice, query.id, status="resolved", now=NOW + dt.timedelta(hours=1))


def _counter(db) -> int:
    with db.read() as session:
        return changes.versions(session)["queries"]


def test_a_resolved_query_reopens_when_the_customer_calls_back(people):
    resolved = _resolved_query(people)
    other_number = _resolved_query(people, customer_num="+49 40 999")
    still_open = queries.add_query(people.ctx(people.agent), customer_num="0049 30 1234567", subject="s", now=NOW)
    callback_at = NOW + dt.timedelta(days=1)
    call_id = insert_call(people.db, agent=None, caller_num="+49301234567", started_at=callback_at)
    version = _counter(people.db)
    with people.db.write() as session:
        reopened = queries.reopen_on_callback(session, caller_num_norm="49301234567", call_id=call_id, at=callback_at)
    assert reopened == [resolved.id]
    assert _counter(people.db) == version + 1
    sue = people.ctx(people.supervisor)
    detail = queries.show_query(sue, resolved.id, now=callback_at)
    assert (detail.status, detail.calls, detail.assignee) == ("in_progress", [call_id], "alice")
    assert [(h.at, h.actor, h.what, h.old, h.new, h.why) for h in detail.history[-2:]] == [
        ("2026-11-27T10:00:00+01:00", "system", "status", "resolved", "in_progress", "customer called back"),
        ("2026-11-27T10:00:00+01:00", "system", "call", None, str(call_id), "customer called back"),
    ]
    assert queries.show_query(sue, other_number.id, now=callback_at).status == "resolved"
    assert queries.show_query(sue, still_open.id, now=callback_at).calls == []
    with people.db.read() as session:
        tail = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (tail.actor, tail.action, tail.target, json.loads(tail.detail)) == (
        "system", "query.reopen", f"query:{resolved.id}",
        {"status": "in_progress", "call": str(call_id), "why": "customer called back"})


def test_a_replayed_callback_and_a_withheld_number_change_nothing(people):
    resolved = _resolved_query(people)
    call_id = insert_call(people.db, agent=None)
    with people.db.write() as session:
        assert queries.reopen_on_callback(session, caller_num_norm="49301234567", call_id=call_id, at=NOW) == [resolved.id]
    version = _counter(people.db)
    with people.db.write() as session:
        assert queries.reopen_on_callback(session, caller_num_norm="49301234567", call_id=call_id, at=NOW) == []
        assert queries.reopen_on_callback(session, caller_num_norm="", call_id=call_id, at=NOW) == []
    assert _counter(people.db) == version
    with people.db.read() as session:
        assert len(session.exec(select(QueryCall).where(QueryCall.call_id == call_id)).all()) == 1


def test_closed_queries_stay_closed_when_the_customer_calls_back(people):
    resolved = _resolved_query(people)
    queries.close_query(people.ctx(people.agent), resolved.id, now=NOW + dt.timedelta(hours=2))
    with people.db.write() as session:
        assert queries.reopen_on_callback(session, caller_num_norm="49301234567",
                                          call_id=insert_call(people.db, agent=None), at=NOW) == []


def test_the_recorder_reopens_a_resolved_query_when_the_customer_calls_back(people, db, config):
    """End to end through the recorder: real lab traffic of customer 5550001 calling in."""
    from aiivr.recorder import Recorder
    from aiivr.services import queries as service
    from tests.unit.recorder_helpers import events_of

    ctx = people.ctx(people.agent)
    made = service.add_query(ctx, subject="Refund", customer_num="555-0001")
    service.update_query(ctx, made.id, status="in_progress")
    service.update_query(ctx, made.id, status="resolved")
    recorder = Recorder(db, config)
    recorder.apply(events_of("answered"))  # the customer (5550001) calls the support queue again
    recorder.close()
    after = service.show_query(ctx, made.id)
    assert after.status == "in_progress"
    assert len(after.calls) == 1
    assert [h.why for h in after.history][-1] == "customer called back"
