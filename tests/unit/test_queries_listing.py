"""Listing: newest first with cursor paging, the escalation pool, overdue, status, assignee
and creation-time filters; and what `add` refuses."""

import datetime as dt

import pytest

from aiivr.errors import BadInput, NotFound
from aiivr.services import queries

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def _ids(people, who, **filters):
    return [s.id for s in queries.list_queries(people.ctx(who), **{"now": T0 + dt.timedelta(hours=5), **filters}).items]


@pytest.fixture
def desk(people):
    """alice: an overdue open one, an escalated one, a resolved one past its due time;
    bob: an escalated one and one due tomorrow. Created an hour apart, oldest first."""
    alice, bob = people.ctx(people.agent), people.ctx(people.agent2)
    made = {}
    for hour, (name, ctx, due_in) in enumerate([
        ("alice_late", alice, dt.timedelta(hours=2)), ("alice_pool", alice, None),
        ("alice_done", alice, dt.timedelta(hours=1)), ("bob_pool", bob, dt.timedelta(hours=1)),
        ("bob_later", bob, dt.timedelta(days=1)),
    ]):
        now = T0 + dt.timedelta(hours=hour)
        made[name] = queries.add_query(ctx, customer_num="+49 30 1", subject=name, now=now,
                                       due=now + due_in if due_in else None).id
    queries.escalate_query(alice, made["alice_pool"], reason="too hard", now=T0 + dt.timedelta(hours=4))
    queries.update_query(alice, made["alice_done"], status="resolved", now=T0 + dt.timedelta(hours=4))
    queries.escalate_query(bob, made["bob_pool"], reason="too hard", now=T0 + dt.timedelta(hours=4))
    return made


def test_the_escalation_pool_is_every_escalated_query_for_supervisors(people, desk):
    assert _ids(people, people.supervisor, statuses=["escalated"]) == [desk["bob_pool"], desk["alice_pool"]]
    assert _ids(people, people.agent, statuses=["escalated"]) == [desk["alice_pool"]]  # an agent: its own


def test_overdue_means_past_due_and_not_resolved_or_closed(people, desk):
    # At T0+5h: alice_late (due T0+2h) and bob_pool (due T0+4h) are late; alice_done is resolved.
    assert _ids(people, people.supervisor, overdue=True) == [desk["bob_pool"], desk["alice_late"]]
    assert _ids(people, people.agent, overdue=True) == [desk["alice_late"]]
    page = queries.list_queries(people.ctx(people.supervisor), now=T0 + dt.timedelta(hours=5))
    assert {s.subject: s.overdue for s in page.items} == {
        "alice_late": True, "alice_pool": False, "alice_done": False, "bob_pool": True, "bob_later": False}
    assert _ids(people, people.supervisor, overdue=True, now=T0 + dt.timedelta(hours=1)) == []


def test_status_assignee_and_creation_time_filters(people, desk):
    sue = people.supervisor
    assert _ids(people, sue, statuses=["open", "resolved"]) == [desk["bob_later"], desk["alice_done"], desk["alice_late"]]
    assert _ids(people, sue, assignee="bob") == [desk["bob_later"], desk["bob_pool"]]
    # Created at T0+1h .. T0+3h (half-open): alice_pool, alice_done, bob_pool.
    assert _ids(people, sue, start=T0 + dt.timedelta(hours=1), end=T0 + dt.timedelta(hours=3, seconds=1)) == [
        desk["bob_pool"], desk["alice_done"], desk["alice_pool"]]
    assert _ids(people, sue, start=T0 + dt.timedelta(hours=1), end=T0 + dt.timedelta(hours=3)) == [
        desk["alice_done"], desk["alice_pool"]]
    with pytest.raises(NotFound, match="^no user named 'ghost'$"):
        _ids(people, sue, assignee="ghost")
    with pytest.raises(BadInput, match="^unknown status 'pending'"):
        _ids(people, sue, statuses=["pending"])


def test_newest_first_in_pages(people, desk):
    sue = people.ctx(people.supervisor)
    newest_first = [desk[k] for k in ("bob_later", "bob_pool", "alice_done", "alice_pool", "alice_late")]
    seen, after = [], None
    for expected_next in (True, True, False):
        page = queries.list_queries(sue, limit=2, after=after, now=T0)
        seen += [s.id for s in page.items]
        assert (page.next is not None) is expected_next
        after = page.next
    assert seen == newest_first
    with pytest.raises(BadInput, match="^bad cursor 'abc'"):
        queries.list_queries(sue, after="abc", now=T0)
    with pytest.raises(BadInput, match="^--limit must be between 1 and 1000$"):
        queries.list_queries(sue, limit=0, now=T0)


@pytest.mark.parametrize("fields, message", [
    ({"subject": "  "}, "a query needs a subject: --subject TEXT"),
    ({"customer_num": None}, "a query needs a customer: give --customer NUMBER, or --call ID to take it from the call"),
    ({"priority": "asap"}, "unknown priority 'asap': use low, normal, high or urgent"),
    ({"due": T0}, "the due time 2026-11-26T10:00+01:00 is not in the future"),
    ({"subject": "x" * 201}, "the subject is too long: at most 200 characters"),
    ({"customer_num": "1" * 65}, "the customer number is too long: at most 64 characters"),
])
def test_add_refuses_what_a_query_cannot_be(people, fields, message):
    good = {"subject": "Refund", "customer_num": "+49 30 1"}
    with pytest.raises(BadInput) as refused:
        queries.add_query(people.ctx(people.agent), **{**good, **fields}, now=T0)
    assert str(refused.value) == message
    assert queries.list_queries(people.ctx(people.supervisor), now=T0).items == []
    assert queries.add_query(people.ctx(people.agent), **good, now=T0).status == "open"  # the control
