"""The call log: every filter, cursor paging, newest first."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from aiivr.errors import BadInput
from aiivr.models import Call
from aiivr.models.users import Role, User
from aiivr.services.calls import list_calls
from tests.unit.kpi_rows import Rows, at

ALICE_IF, BOB_IF = "Local/1001@agents/n", "Local/1002@agents/n"


@pytest.fixture
def log(people):
    """Ten calls on 10 and 11 March 2026 (Berlin)."""
    alice, bob = people.agent, people.agent2
    rows = Rows(people.db)
    ids = {}

    def call(key, start, **kw):
        ids[key] = rows.call(start, **kw)
        return ids[key]

    def leg(key, start, queue, outcome, wait, agent=None, talk=None):
        rows.entry(ids[key], start, queue=queue, outcome=outcome, wait=wait, agent=agent, talk=talk,
                   interface={alice: ALICE_IF, bob: BOB_IF}.get(agent))

    call("a1", "2026-03-10 08:00:00", caller="+49 30 1234567", name="Max Muster", queue="support", agent=alice,
         talk=300, duration=320)
    leg("a1", "2026-03-10 08:00:00", "support", "answered", 20, alice, 300)
    call("b1", "2026-03-10 09:00:00", caller="030 7654321", name="Erika Mustermann", queue="sales", agent=bob,
         duration=60)
    leg("b1", "2026-03-10 09:00:00", "sales", "answered", 5, bob, 55)
    call("ab", "2026-03-10 10:00:00", caller="0301111", queue="support", disposition="abandoned",
         answered_after=None, duration=30)
    leg("ab", "2026-03-10 10:00:00", "support", "abandoned", 30)
    rows.event(ids["ab"], "2026-03-10 10:00:15", "ring_no_answer", queue="support", user=alice, interface=ALICE_IF)
    call("to", "2026-03-10 11:00:00", caller="anonymous", queue="support", disposition="timed_out",
         answered_after=None, duration=60)
    leg("to", "2026-03-10 11:00:00", "support", "timed_out", 60)
    # alice answers in support and transfers to sales, where bob answers: bob is the call's agent.
    call("tr", "2026-03-10 12:00:00", caller="0302222", name="max power", queue="support", agent=bob, duration=200)
    leg("tr", "2026-03-10 12:00:00", "support", "answered", 3, alice, 40)
    leg("tr", "2026-03-10 12:00:50", "sales", "answered", 2, bob, 100)
    rows.event(ids["tr"], "2026-03-10 12:00:03", "connected", queue="support", user=alice, interface=ALICE_IF)
    rows.event(ids["tr"], "2026-03-10 12:00:52", "connected", queue="sales", user=bob, interface=BOB_IF)
    call("out", "2026-03-10 13:00:00", caller="1001", direction="outbound", duration=90)  # alice dials out
    call("int", "2026-03-10 14:00:00", caller="1002", direction="internal", duration=10, disposition="unanswered",
         answered_after=None)
    call("late", "2026-03-10 23:59:59", caller="0303333", queue="support", agent=alice, duration=40)
    leg("late", "2026-03-10 23:59:59", "support", "answered", 1, alice, 38)
    call("next", "2026-03-11 00:00:00", caller="0304444", queue="sales", agent=bob, duration=400)
    leg("next", "2026-03-11 00:00:00", "sales", "answered", 1, bob, 398)
    call("open", "2026-03-11 09:00:00", caller="0305555", queue="support", agent=alice, duration=0)
    with people.db.write() as session:  # still going
        live = session.get(Call, ids["open"])
        live.ended_at, live.disposition = None, "open"
        session.add(live)
    with people.db.write() as session:
        user = session.exec(select(User).where(User.name == "alice")).one()
        user.extension = "1001"
        session.add(user)
    people.ids = ids
    return people


def names_of(people, page):
    back = {v: k for k, v in people.ids.items()}
    return [back[item.id] for item in page.items]


def listed(people, principal=None, **filters):
    ctx = people.ctx(principal or people.supervisor)
    return names_of(people, list_calls(ctx, limit=100, **filters))


ALL = ["open", "next", "late", "int", "out", "tr", "to", "ab", "b1", "a1"]


def test_newest_first_with_every_call_for_a_supervisor(log):
    assert listed(log) == ALL


def test_a_local_day_range_is_half_open(log):
    day = dict(start=at("2026-03-10 00:00"), end=at("2026-03-11 00:00"))
    assert listed(log, **day) == ["late", "int", "out", "tr", "to", "ab", "b1", "a1"]
    assert listed(log, start=at("2026-03-11 00:00")) == ["open", "next"]


@pytest.mark.parametrize("call_type, expected", [
    ("inbound", ["open", "next", "late", "tr", "to", "ab", "b1", "a1"]),
    ("outbound", ["out"]),
    ("internal", ["int"]),
    ("answered", ["next", "late", "out", "tr", "b1", "a1"]),  # any direction
    ("abandoned", ["ab"]),
    ("missed", ["to", "ab"]),  # inbound calls that ended unanswered (docs/kpis.md)
])
def test_types(log, call_type, expected):
    assert listed(log, call_type=call_type) == expected


def test_queue_matches_every_queue_a_call_went_through(log):
    assert listed(log, queue="sales") == ["next", "tr", "b1"]
    assert listed(log, queue="support") == ["late", "tr", "to", "ab", "a1"]


@pytest.mark.parametrize("caller, expected", [
    ("030", ["open", "next", "late", "tr", "ab", "b1"]),  # prefix of the normalised digits
    ("+49 30 123", ["a1"]),
    ("030-7654321", ["b1"]),
    ("max", ["tr", "a1"]),  # a name prefix, any case
    ("Erika M", ["b1"]),
    ("%", []),  # no wildcard smuggling
    ("muster", []),  # a prefix, not anywhere in the name
    ("MAX MUSTER", ["a1"]),
])
def test_caller_number_or_name_prefix(log, caller, expected):
    assert listed(log, caller=caller) == expected


def plan_of(log, **filters) -> str:
    """The database's plan for the page statement that `call list` runs with these filters."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM calls" in statement:
            seen.append((statement, parameters))

    engine = log.db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        listed(log, **filters)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        else:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return " ".join(str(row) for row in plan)


def test_a_name_search_walks_the_caller_name_index(log):
    """Not a read of every call (8-19 s at 5,000,000): the statement's plan names
    ix_calls_caller_name (migration 0008), on PostgreSQL too (with scans priced out, the
    index is used only if the predicate matches its expression and collation)."""
    assert listed(log, caller="erika") == ["b1"]
    assert "ix_calls_caller_name" in plan_of(log, caller="erika")


def test_a_number_prefix_sorts_keys_from_the_index_not_whole_rows(log):
    """A short prefix matches many calls, sorted by time before the page is cut: sorting
    whole rows read every match's row first (3 digits at 5,000,000 calls: 140 ms to 1.5 s)."""
    plan = plan_of(log, caller="030")
    if log.db.engine.dialect.name == "postgresql":
        assert "calls_pkey" in plan  # the page's calls read by id once the keys are cut
    else:
        assert "COVERING INDEX ix_calls_caller_started" in plan  # the keys alone, from the index


def test_min_duration_leaves_out_calls_still_going(log):
    assert listed(log, min_duration=200) == ["next", "tr", "a1"]


def test_filters_combine(log):
    assert listed(log, call_type="answered", queue="support", start=at("2026-03-10 10:00")) == ["late", "tr"]


def test_cursor_paging_walks_everything_once_and_ignores_new_calls(log):
    ctx = log.ctx(log.supervisor)
    seen, after = [], None
    while True:
        page = list_calls(ctx, limit=3, after=after)
        seen += names_of(log, page)
        if page.next is None:
            break
        after = page.next
        if len(seen) == 3:  # a call arriving while someone pages lands before page one
            log.ids["new"] = Rows(log.db).call("2026-03-12 08:00")
    assert seen == ALL


def test_same_second_calls_are_paged_by_id(log):
    rows = Rows(log.db)
    twins = [rows.call("2026-03-09 07:00:00") for _ in range(3)]
    ctx = log.ctx(log.supervisor)
    first = list_calls(ctx, end=at("2026-03-10 00:00"), limit=2)
    second = list_calls(ctx, end=at("2026-03-10 00:00"), limit=2, after=first.next)
    assert [c.id for c in first.items + second.items] == sorted(twins, reverse=True) and second.next is None


def test_a_cursor_past_inside_or_before_a_range_pages_that_range(log):
    """A cursor taken from another listing: only the tighter of it and --to bounds the page."""
    ctx = log.ctx(log.supervisor)
    day = dict(start=at("2026-03-10 09:30"), end=at("2026-03-11 00:00"))
    past_the_end = list_calls(ctx, limit=1).next  # at 'open', the next day
    assert names_of(log, list_calls(ctx, limit=100, after=past_the_end, **day)) == ["late", "int", "out", "tr", "to", "ab"]
    inside = list_calls(ctx, limit=3, **day).next  # at 'out'
    assert names_of(log, list_calls(ctx, limit=100, after=inside, **day)) == ["tr", "to", "ab"]
    before_the_start = list_calls(ctx, limit=9).next  # at 'b1', 09:00
    page = list_calls(ctx, limit=100, after=before_the_start, **day)
    assert page.items == [] and page.next is None


def test_bad_input(log):
    ctx = log.ctx(log.supervisor)
    with pytest.raises(BadInput, match="--type"):
        list_calls(ctx, call_type="lost")
    with pytest.raises(BadInput, match="cursor"):
        list_calls(ctx, after="yesterday")
    with pytest.raises(BadInput, match="limit"):
        list_calls(ctx, limit=0)


def test_summary_fields(log):
    page = list_calls(log.ctx(log.supervisor), limit=100)
    a1 = next(c for c in page.items if c.id == log.ids["a1"])
    assert (a1.started_at, a1.direction, a1.caller_num, a1.caller_name, a1.queue, a1.agent, a1.disposition,
            a1.duration_seconds, a1.resolved) == ("2026-03-10T08:00:00+01:00", "inbound", "+49 30 1234567",
                                                  "Max Muster", "support", "alice", "answered", 320.0, False)
    assert next(c for c in page.items if c.id == log.ids["open"]).duration_seconds is None


def test_an_agent_with_an_extension_sees_its_outbound_calls(log):
    carol = log.add("carol", Role.agent, interface="Local/1003@agents/n", extension="1003")
    Rows(log.db).call("2026-03-10 15:00", caller="1003", direction="outbound")
    ctx = log.ctx(carol)
    (only,) = list_calls(ctx).items
    assert (only.direction, only.caller_num) == ("outbound", "1003")  # not alice's call from 1001
    assert list_calls(ctx, call_type="inbound").items == []
