"""Every change is in the history, in order, with who, when, what and why; each command is
one audit entry and one move of the "queries" change counter; a refused or empty command
leaves no trace but its refusal."""

import datetime as dt
import json

import pytest
from sqlmodel import select

from aiivr import changes
from aiivr.errors import BadInput, Conflict
from aiivr.models.audit import AuditEntry
from aiivr.services import queries
from tests.unit.queries_helpers import insert_call

UTC = dt.timezone.utc
T = [dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + dt.timedelta(minutes=10 * i) for i in range(10)]


def _query_audit(db, query_id):
    with db.read() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.target == f"query:{query_id}")
                            .order_by(AuditEntry.seq)).all()
    return [(e.actor, e.action, e.outcome, json.loads(e.detail)) for e in rows]


def _counter(db):
    with db.read() as session:
        return changes.versions(session)["queries"]


def test_a_query_lifecycle_is_recorded_completely_and_in_order(people):
    alice, bob, sue = people.ctx(people.agent), people.ctx(people.agent2), people.ctx(people.supervisor)
    first_call = insert_call(people.db, agent=people.agent, started_at=T[0])
    start = _counter(people.db)
    query = queries.add_query(alice, call_id=first_call, subject="Refund not received", priority="high",
                              due=T[0] + dt.timedelta(days=1), now=T[0])
    qid = query.id
    queries.update_query(alice, qid, status="in_progress", note="called the warehouse", now=T[1])
    queries.update_query(alice, qid, priority="urgent", due=T[0] + dt.timedelta(hours=2), now=T[2])
    queries.update_query(alice, qid, note="customer sends photos", now=T[3])
    queries.escalate_query(alice, qid, reason="refund above my limit", now=T[4])
    queries.assign_query(sue, qid, to="bob", now=T[5])
    queries.update_query(bob, qid, status="resolved", note="refund approved", now=T[6])
    callback = insert_call(people.db, agent=None, started_at=T[7])
    with people.db.write() as session:
        queries.reopen_on_callback(session, caller_num_norm="49301234567", call_id=callback, at=T[7])
    queries.close_query(bob, qid, note="customer confirmed", now=T[8])

    history = queries.show_query(sue, qid, now=T[9]).history
    assert [(h.at, h.actor, h.what, h.old, h.new, h.why) for h in history] == [
        ("2026-11-26T10:00:00+01:00", "alice", "created", None, "open", ""),
        ("2026-11-26T10:00:00+01:00", "alice", "call", None, str(first_call), ""),
        ("2026-11-26T10:10:00+01:00", "alice", "status", "open", "in_progress", "called the warehouse"),
        ("2026-11-26T10:20:00+01:00", "alice", "priority", "high", "urgent", ""),
        ("2026-11-26T10:20:00+01:00", "alice", "due", "2026-11-27T10:00:00+01:00", "2026-11-26T12:00:00+01:00", ""),
        ("2026-11-26T10:30:00+01:00", "alice", "note", None, "customer sends photos", ""),
        ("2026-11-26T10:40:00+01:00", "alice", "status", "in_progress", "escalated", "refund above my limit"),
        ("2026-11-26T10:50:00+01:00", "sue", "assignee", "alice", "bob", ""),
        ("2026-11-26T10:50:00+01:00", "sue", "status", "escalated", "in_progress", "assigned to bob"),
        ("2026-11-26T11:00:00+01:00", "bob", "status", "in_progress", "resolved", "refund approved"),
        ("2026-11-26T11:10:00+01:00", "system", "status", "resolved", "in_progress", "customer called back"),
        ("2026-11-26T11:10:00+01:00", "system", "call", None, str(callback), "customer called back"),
        ("2026-11-26T11:20:00+01:00", "bob", "status", "in_progress", "closed", "customer confirmed"),
    ]
    assert _query_audit(people.db, qid) == [
        ("alice", "query.add", "ok", {"created": "open", "call": str(first_call)}),
        ("alice", "query.update", "ok", {"status": "in_progress", "why": "called the warehouse"}),
        ("alice", "query.update", "ok", {"priority": "urgent", "due": "2026-11-26T12:00:00+01:00"}),
        ("alice", "query.update", "ok", {"note": "customer sends photos"}),
        ("alice", "query.escalate", "ok", {"status": "escalated", "why": "refund above my limit"}),
        ("sue", "query.assign", "ok", {"assignee": "bob", "status": "in_progress"}),
        ("bob", "query.update", "ok", {"status": "resolved", "why": "refund approved"}),
        ("system", "query.reopen", "ok", {"status": "in_progress", "call": str(callback), "why": "customer called back"}),
        ("bob", "query.update", "ok", {"status": "closed", "why": "customer confirmed"}),
    ]
    assert _counter(people.db) == start + 9  # one per committed command


def test_the_detail_carries_the_current_state_and_times(people):
    alice = people.ctx(people.agent)
    query = queries.add_query(alice, customer_num="+49 30 1234567", customer_name="Max Muster",
                              subject="Router", description="blinks red", due=T[6], now=T[0])
    detail = queries.update_query(alice, query.id, priority="low", now=T[1])
    assert (detail.created_at, detail.updated_at, detail.due_at, detail.created_by, detail.description) == (
        "2026-11-26T10:00:00+01:00", "2026-11-26T10:10:00+01:00", "2026-11-26T11:00:00+01:00", "alice", "blinks red")


def test_a_change_that_changes_nothing_leaves_no_trace(people):
    alice = people.ctx(people.agent)
    qid = queries.add_query(alice, customer_num="+49 30 1", subject="s", due=T[5], now=T[0]).id
    before, version = queries.show_query(alice, qid, now=T[1]), _counter(people.db)
    audit_before = _query_audit(people.db, qid)
    after = queries.update_query(alice, qid, priority="normal", due=T[5], now=T[1])
    assert after.history == before.history and after.updated_at == before.updated_at
    assert _counter(people.db) == version and _query_audit(people.db, qid) == audit_before


@pytest.mark.parametrize("attempt, error", [
    (lambda ctx, qid: queries.update_query(ctx, qid, status="closed", priority="high", now=T[1]), None),
    (lambda ctx, qid: queries.update_query(ctx, qid, priority="high", status="open", now=T[1]), Conflict),
    (lambda ctx, qid: queries.update_query(ctx, qid, now=T[1]), BadInput),
    (lambda ctx, qid: queries.update_query(ctx, qid, due=T[0], now=T[1]), BadInput),
    (lambda ctx, qid: queries.update_query(ctx, qid, priority="asap", now=T[1]), BadInput),
], ids=["allowed", "refused-move", "nothing-given", "due-in-the-past", "bad-priority"])
def test_a_refused_command_changes_nothing_at_all(people, attempt, error):
    alice = people.ctx(people.agent)
    qid = queries.add_query(alice, customer_num="+49 30 1", subject="s", now=T[0]).id
    before, version, audit_before = queries.show_query(alice, qid, now=T[1]), _counter(people.db), _query_audit(people.db, qid)
    if error is None:  # the control: the same kind of command does change things when allowed
        attempt(alice, qid)
        assert _counter(people.db) == version + 1
        assert len(queries.show_query(alice, qid, now=T[1]).history) == len(before.history) + 2
        return
    with pytest.raises(error):
        attempt(alice, qid)
    assert queries.show_query(alice, qid, now=T[1]) == before
    assert _counter(people.db) == version and _query_audit(people.db, qid) == audit_before
