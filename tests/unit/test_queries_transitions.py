"""Every status move through the service, both ways: allowed moves happen, every other one
is refused with the allowed next states named and leaves the query as it was."""

import datetime as dt
import itertools

import pytest

from aiivr.errors import BadInput, Conflict, PermissionDenied
from aiivr.services import queries
from tests.conftest import People

STATUSES = ["open", "in_progress", "escalated", "resolved", "closed"]
ALLOWED = {  # (from, to) by the command a person uses for `to`; see test_queries_rules for the ways
    ("open", "in_progress"), ("open", "escalated"), ("open", "resolved"), ("open", "closed"),
    ("in_progress", "resolved"), ("in_progress", "escalated"), ("in_progress", "closed"),
    ("escalated", "in_progress"),
    ("resolved", "closed"), ("resolved", "in_progress"),
}
NEXT = {"open": "in_progress, escalated, resolved, closed", "in_progress": "resolved, escalated, closed",
        "escalated": "in_progress", "resolved": "closed, in_progress"}
PAIRS = list(itertools.product(STATUSES, STATUSES))
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def people(module_db):
    return People(*module_db)


def _query_in(people, status):
    """A new query of alice's, brought to `status` by the commands people use."""
    alice, sue = people.ctx(people.agent), people.ctx(people.supervisor)
    query_id = queries.add_query(alice, customer_num="+49 30 1", subject="s", now=NOW).id
    steps = {"open": [], "in_progress": ["in_progress"], "resolved": ["resolved"], "closed": ["closed"],
             "escalated": ["escalated"]}[status]
    for step in steps:
        if step == "escalated":
            queries.escalate_query(alice, query_id, reason="too hard", now=NOW)
        else:
            queries.update_query(sue, query_id, status=step, now=NOW)
    return query_id


def _move(people, query_id, new):
    """The command a supervisor uses to move a query to `new` (so no ownership rule interferes)."""
    sue = people.ctx(people.supervisor)
    show = queries.show_query(sue, query_id, now=NOW)
    if new == "escalated":
        return queries.escalate_query(sue, query_id, reason="needs a supervisor", now=NOW)
    if show.status == "escalated" and new == "in_progress":
        return queries.assign_query(sue, query_id, to="bob", now=NOW)
    return queries.update_query(sue, query_id, status=new, now=NOW)


@pytest.mark.parametrize("old, new", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_every_move(people, old, new):
    query_id = _query_in(people, old)
    before = queries.show_query(people.ctx(people.supervisor), query_id, now=NOW)
    assert before.status == old
    if (old, new) in ALLOWED:
        after = _move(people, query_id, new)
        assert after.status == new
        assert (after.history[-1].what, after.history[-1].old, after.history[-1].new) == ("status", old, new)
        return
    with pytest.raises(Conflict) as refused:
        _move(people, query_id, new)
    reason = "closed is final" if old == "closed" else f"allowed: {NEXT[old]}"
    assert str(refused.value) == f"cannot move query {query_id} from {old} to {new}: {reason}"
    assert queries.show_query(people.ctx(people.supervisor), query_id, now=NOW) == before


def test_escalating_by_update_points_to_escalate(people):
    query_id = _query_in(people, "open")
    with pytest.raises(Conflict, match=rf"only by `aiivr query escalate {query_id} --reason TEXT`$"):
        queries.update_query(people.ctx(people.supervisor), query_id, status="escalated", now=NOW)


def test_an_escalated_query_leaves_the_pool_only_by_assignment(people):
    query_id = _query_in(people, "escalated")
    with pytest.raises(Conflict, match=rf"only by a supervisor's `aiivr query assign {query_id} --to USER`$"):
        queries.update_query(people.ctx(people.supervisor), query_id, status="in_progress", now=NOW)
    # Assigning it back to the same agent is enough to take it out of the pool.
    detail = queries.assign_query(people.ctx(people.supervisor), query_id, to="alice", now=NOW)
    assert (detail.status, detail.assignee) == ("in_progress", "alice")
    assert [(h.what, h.old, h.new, h.why) for h in detail.history[-1:]] == [
        ("status", "escalated", "in_progress", "assigned to alice")]


def test_escalating_needs_a_reason(people):
    query_id = _query_in(people, "in_progress")
    with pytest.raises(BadInput, match=r"^escalating needs a reason: --reason TEXT$"):
        queries.escalate_query(people.ctx(people.agent), query_id, reason="  ", now=NOW)


def test_a_closed_query_is_read_only_to_everyone(people):
    query_id = _query_in(people, "closed")
    sue = people.ctx(people.supervisor)
    for change in ({"priority": "high"}, {"note": "one more thing"}, {"due": NOW + dt.timedelta(days=1)}):
        with pytest.raises(Conflict, match=rf"^query {query_id} is closed: closed is final$"):
            queries.update_query(sue, query_id, now=NOW, **change)
    with pytest.raises(Conflict, match=rf"^query {query_id} is closed: closed is final$"):
        queries.assign_query(sue, query_id, to="bob", now=NOW)


def test_an_agent_reopens_its_resolved_query_by_hand(people):
    query_id = _query_in(people, "resolved")
    detail = queries.update_query(people.ctx(people.agent), query_id, status="in_progress",
                                  note="the fix did not hold", now=NOW)
    assert (detail.history[-1].old, detail.history[-1].new, detail.history[-1].why) == (
        "resolved", "in_progress", "the fix did not hold")


def test_an_agent_cannot_take_its_own_query_out_of_the_pool(people):
    query_id = _query_in(people, "escalated")
    with pytest.raises(PermissionDenied, match="query.assign needs a supervisor"):
        queries.assign_query(people.ctx(people.agent), query_id, to="alice", now=NOW)
