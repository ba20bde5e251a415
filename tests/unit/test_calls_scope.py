"""Who sees which calls, one call's detail, and marking a call resolved."""

import json

import pytest
from sqlmodel import select

from aiivr import changes
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.services import queries
from aiivr.services.calls import list_calls, resolve_call, show_call
from tests.unit.kpi_rows import Rows, at
from tests.unit.test_calls_log import ALICE_IF, listed, log  # noqa: F401 - the shared call log fixture

ALICE_SEES = ["open", "late", "out", "tr", "ab", "a1"]  # took (also transferred on), missed, made


def audit_entries(db, action):
    with db.read() as session:
        return session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).all()


def test_an_agent_sees_the_calls_it_took_missed_or_made(log):
    assert listed(log, log.agent) == ALICE_SEES
    assert listed(log, log.agent2) == ["next", "tr", "b1"]
    assert listed(log, log.agent, call_type="missed") == ["ab"]  # rang it unanswered
    assert listed(log, log.agent, call_type="answered") == ["late", "out", "tr", "a1"]
    assert listed(log, log.agent, queue="sales") == ["tr"]


def test_a_supervisors_agent_filter_is_that_agents_own_view(log):
    assert listed(log, agent="alice") == ALICE_SEES
    assert listed(log, agent="alice", call_type="missed") == ["ab"]
    assert listed(log, log.agent, agent="alice") == ALICE_SEES  # naming oneself is fine


def test_an_agent_asking_for_anothers_calls_is_refused_and_audited(log):
    with pytest.raises(PermissionDenied, match="your own calls"):
        list_calls(log.ctx(log.agent), agent="bob")
    (entry,) = audit_entries(log.db, "call.view_all")
    assert (entry.actor, entry.outcome, entry.target) == ("alice", "denied", "user:bob")


def test_an_agent_pages_through_its_own_calls(log):
    ctx, seen, after = log.ctx(log.agent), [], None
    while True:
        page = list_calls(ctx, limit=2, after=after)
        seen += [item.id for item in page.items]
        if not page.next:
            break
        after = page.next
    assert seen == [log.ids[n] for n in ALICE_SEES]


@pytest.mark.parametrize("who", ["agent", "agent2"])
def test_an_agent_may_open_exactly_the_calls_its_log_lists(log, who):
    ctx = log.ctx(getattr(log, who))
    in_its_log = {item.id for item in list_calls(ctx, limit=1000).items}
    openable = set()
    for call_id in log.ids.values():
        try:
            show_call(ctx, call_id)
        except PermissionDenied:
            continue
        openable.add(call_id)
    assert in_its_log and openable == in_its_log


def test_detail_of_a_transferred_call(log):
    rows = Rows(log.db)
    rows.status(ALICE_IF, "on_call", "2026-03-10 12:00:03", "2026-03-10 12:00:43", user=log.agent,
                call_id=log.ids["tr"])
    rows.status(ALICE_IF, "wrap_up", "2026-03-10 12:00:43", "2026-03-10 12:01:28", user=log.agent, reason="acw")
    detail = show_call(log.ctx(log.supervisor), log.ids["tr"])
    assert [(q.queue, q.outcome, q.agent, q.wait_seconds, q.talk_seconds) for q in detail.queues] == [
        ("support", "answered", "alice", 3, 40), ("sales", "answered", "bob", 2, 100)]
    assert detail.agents == ["alice", "bob"] and detail.agent == "bob"
    assert [(t.kind, t.agent, t.queue) for t in detail.timeline] == [("connected", "alice", "support"),
                                                                      ("connected", "bob", "sales")]
    assert detail.wrapup_seconds == 45.0 and detail.queries == [] and detail.recording_path is None
    assert (detail.started_at, detail.ended_at) == ("2026-03-10T12:00:00+01:00", "2026-03-10T12:03:20+01:00")


def test_detail_lists_the_linked_queries(log):
    alice = log.ctx(log.agent)
    query = queries.add_query(alice, call_id=log.ids["a1"], subject="Refund", now=at("2026-03-10 09:00"))
    detail = show_call(alice, log.ids["a1"])
    assert [(q.id, q.subject) for q in detail.queries] == [(query.id, "Refund")]


def test_an_agent_may_open_a_call_it_missed_but_not_anothers(log):
    alice = log.ctx(log.agent)
    assert show_call(alice, log.ids["ab"]).disposition == "abandoned"
    with pytest.raises(PermissionDenied, match="not yours"):
        show_call(alice, log.ids["b1"])
    (entry,) = audit_entries(log.db, "call.view_all")
    assert (entry.outcome, entry.target, json.loads(entry.detail)) == (
        "denied", f"call:{log.ids['b1']}", {"reason": "not your call"})
    with pytest.raises(NotFound):
        show_call(alice, 999999)


def test_resolve_marks_the_call_once_and_audits_it(log):
    alice = log.ctx(log.agent)
    with log.db.read() as session:
        before = changes.versions(session)["calls"]
    detail, changed = resolve_call(alice, log.ids["a1"], now=at("2026-03-10 09:00"))
    assert changed and (detail.resolved, detail.resolved_by, detail.resolved_at) == (
        True, "alice", "2026-03-10T09:00:00+01:00")
    again, changed = resolve_call(log.ctx(log.supervisor), log.ids["a1"], now=at("2026-03-11 09:00"))
    assert not changed and (again.resolved_by, again.resolved_at) == ("alice", "2026-03-10T09:00:00+01:00")
    assert [(e.actor, e.target, e.outcome) for e in audit_entries(log.db, "call.resolve")] == [
        ("alice", f"call:{log.ids['a1']}", "ok")]
    with log.db.read() as session:
        assert changes.versions(session)["calls"] == before + 1
    assert next(c for c in list_calls(alice).items if c.id == log.ids["a1"]).resolved is True


def test_resolve_refusals(log):
    alice = log.ctx(log.agent)
    with pytest.raises(PermissionDenied):
        resolve_call(alice, log.ids["ab"])  # it only missed that one
    with pytest.raises(PermissionDenied):
        resolve_call(alice, log.ids["b1"])
    with pytest.raises(BadInput, match="never answered"):
        resolve_call(log.ctx(log.supervisor), log.ids["to"])
    assert resolve_call(alice, log.ids["tr"])[1]  # answered a leg of it, then transferred it on
