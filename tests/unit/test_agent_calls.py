"""agent_calls (kept by the triggers of migration 0007) equals the definition of an
agent's calls computed from the raw rows, and every agent's call log equals that
definition with the outbound calls from its extension: on a varied month, after late
events (a ring-no-answer after the call ended, a transfer, a member mapped late, rows
moved or deleted), a queue_log import and backfill, the live recorder on the lab
captures, and a database migrated to 0007 with its rows already there."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlmodel import select

from aiivr import schema
from aiivr.models import AgentCall, Call, CallEvent, QueueEntry, User
from aiivr.numbers import normalise_number
from aiivr.recorder import Recorder
from aiivr.services.calls import list_calls
from aiivr.services.queue_log_io import import_queue_log
from tests.unit.kpi_rows import Rows, at
from tests.unit.kpi_month import make_month
from tests.unit.recorder_helpers import LAB_CAPTURES, backfill_lines, events_of


def definition(db) -> set[tuple]:
    """(user_id, started_at, call_id, took, missed) from calls, queue legs and ring-no-answer
    events, in Python: the rule of aiivr/services/call_list.py, not the triggers' SQL."""
    with db.read() as session:
        calls = {c.id: c for c in session.exec(select(Call))}
        took = {(c.agent_user_id, c.id) for c in calls.values() if c.agent_user_id is not None}
        took |= {(e.agent_user_id, e.call_id) for e in session.exec(select(QueueEntry))
                 if e.agent_user_id is not None and e.call_id is not None}
        missed = {(v.user_id, v.call_id) for v in session.exec(select(CallEvent))
                  if v.kind == "ring_no_answer" and v.user_id is not None}
    return {(user, calls[call].started_at, call, (user, call) in took, (user, call) in missed)
            for user, call in took | missed}


def table(db) -> set[tuple]:
    with db.read() as session:
        return {(r.user_id, r.started_at, r.call_id, r.took, r.missed) for r in session.exec(select(AgentCall))}


def expected_log(db, user_id: int) -> list[int]:
    """An agent's call log by the definition: took or missed, or made from its extension."""
    with db.read() as session:
        extension = normalise_number(session.get(User, user_id).extension or "")
        calls = {c.id: c for c in session.exec(select(Call))}
    mine = {call for user, _, call, _, _ in definition(db) if user == user_id}
    mine |= {c.id for c in calls.values() if extension and c.direction == "outbound" and c.caller_num_norm == extension}
    return sorted(mine, key=lambda call: (calls[call].started_at, call), reverse=True)


def paged(people, principal, **filters) -> list[int]:
    ctx, seen, after = people.ctx(people.supervisor), [], None
    while True:
        page = list_calls(ctx, agent=principal.name, limit=7, after=after, **filters)
        seen += [item.id for item in page.items]
        if not page.next:
            return seen
        after = page.next


def assert_equal(people) -> set[tuple]:
    rows = table(people.db)
    assert rows == definition(people.db)
    for agent in (people.agent, people.agent2):
        assert paged(people, agent) == expected_log(people.db, agent.user_id)
    return rows


def with_extensions(people) -> None:
    with people.db.write() as session:
        for user in session.exec(select(User).where(User.name.in_(["alice", "bob"]))):
            user.extension = {"alice": "1001", "bob": "+1 002"}[user.name]  # bob's normalised: 1002
            session.add(user)


def test_a_varied_month_equals_the_definition(people):
    make_month(people, seed=11)
    rows = Rows(people.db)
    for start, caller in (("2026-03-03 10:00", "1001"), ("2026-03-04 11:00", "1002"), ("2026-03-05 12:00", "1001")):
        rows.call(start, caller=caller, direction="outbound", disposition="unanswered", answered_after=None)
    with_extensions(people)
    table_rows = assert_equal(people)
    assert {took for *_, took, _ in table_rows} == {True, False} and any(m for *_, m in table_rows)
    # The filters on the calls' own columns through the table, against the same rule.
    expected_missed = [c for c in expected_log(people.db, people.agent.user_id)
                       if (people.agent.user_id, c) in {(u, c2) for u, _, c2, _, m in table_rows if m}]
    assert paged(people, people.agent, call_type="missed") == expected_missed
    answered = paged(people, people.agent, call_type="answered")
    with people.db.read() as session:
        assert answered and all(session.get(Call, c).disposition == "answered" for c in answered)
    outbound = paged(people, people.agent, call_type="outbound")
    assert len(outbound) == 2  # the two unanswered ones from 1001; bob's does not count


def test_late_events_transfers_and_late_mapping(people):
    alice, bob = people.agent, people.agent2
    rows = Rows(people.db)
    call = rows.call("2026-03-10 12:00", queue="support", agent=alice)
    leg = rows.entry(call, "2026-03-10 12:00", queue="support", outcome="answered", wait=3, talk=40)
    assert_equal(people)
    # The leg's member maps to alice late; the caller is transferred on to bob, who becomes the call's agent.
    with people.db.write() as session:
        session.execute(sa.update(QueueEntry).where(QueueEntry.id == leg).values(agent_user_id=alice.user_id))
        session.execute(sa.update(Call).where(Call.id == call).values(agent_user_id=bob.user_id))
    rows.entry(call, "2026-03-10 12:01", queue="sales", outcome="answered", wait=2, talk=90, agent=bob)
    assert {(u, t, m) for u, _, c, t, m in assert_equal(people) if c == call} == {
        (alice.user_id, True, False), (bob.user_id, True, False)}
    # A ring-no-answer for bob arrives after the call ended; one for nobody (an unmapped member) too.
    missed = rows.call("2026-03-10 13:00", queue="support", disposition="abandoned", answered_after=None)
    rows.event(missed, "2026-03-10 13:00:20", "ring_no_answer", queue="support", user=bob)
    rows.event(missed, "2026-03-10 13:00:40", "ring_no_answer", queue="support")
    assert_equal(people)
    # A call that had no agent until a late answer, its start corrected, an event moved and deleted.
    late = rows.call("2026-03-10 14:00", queue="sales", disposition="abandoned", answered_after=None)
    with people.db.write() as session:
        session.execute(sa.update(Call).where(Call.id == late).values(agent_user_id=bob.user_id))
        session.execute(sa.update(Call).where(Call.id == call).values(started_at=at("2026-03-10 11:59:58")))
        session.execute(sa.update(CallEvent).where(CallEvent.call_id == missed).values(call_id=late))
    assert_equal(people)
    with people.db.write() as session:
        session.execute(sa.delete(CallEvent).where(CallEvent.call_id == late))
        session.execute(sa.update(QueueEntry).where(QueueEntry.id == leg).values(agent_user_id=None))
    rows_now = assert_equal(people)
    assert (alice.user_id, call) not in {(u, c) for u, _, c, _, _ in rows_now}  # her leg unmapped again
    with people.db.write() as session:
        session.execute(sa.delete(Call).where(Call.id == late))
    assert late not in {c for _, _, c, _, _ in assert_equal(people)}


def test_a_queue_log_import_and_a_backfill(people, config):
    make_month(people, seed=3)
    before = assert_equal(people)
    t = int(at("2026-03-18 09:00").timestamp())
    lines = [f"{t}|imp-1.1|support|NONE|ENTERQUEUE||0301234001|1",
             f"{t + 10}|imp-1.1|support|bob|RINGNOANSWER|15000",
             f"{t + 15}|imp-1.1|support|alice|CONNECT|15|imp-1.2|4",
             f"{t + 200}|imp-1.1|support|alice|COMPLETECALLER|15|185|1",
             f"{t + 300}|imp-2.1|sales|NONE|ENTERQUEUE||0301234002|1",
             f"{t + 305}|imp-2.1|sales|Local/1009@agents/n|RINGNOANSWER|5000",
             f"{t + 320}|imp-2.1|sales|NONE|ABANDON|1|1|20"]
    result = import_queue_log(people.ctx(people.admin), lines)
    assert result.imported == 2
    after_import = assert_equal(people)
    assert len(after_import - before) == 2  # alice took imp-1, bob missed it; the unmapped miss is nobody's
    epoch = int(at("2026-03-27 10:00").timestamp())
    backfill = [f"{epoch}|late-1.1|support|NONE|ENTERQUEUE||0301234999|1",
                f"{epoch + 5}|late-1.1|support|alice|RINGNOANSWER|4000",
                f"{epoch + 9}|late-1.1|support|bob|CONNECT|9|late-1.2|3",
                f"{epoch + 70}|late-1.1|support|bob|COMPLETEAGENT|9|61|1"]
    backfill_lines(people.db, config, backfill)
    assert len(assert_equal(people) - after_import) == 2


def test_the_live_recorder_on_the_lab_captures(people, config):
    with_extensions(people)
    recorder = Recorder(people.db, config)
    for name in LAB_CAPTURES:
        recorder.apply(events_of(name))
    recorder.close()
    rows = assert_equal(people)
    assert {(took, missed) for _, _, _, took, missed in rows} >= {(True, False), (False, True)}
    assert paged(people, people.agent, call_type="outbound")  # the outbound capture, from 1001


def test_migrating_a_database_with_calls_fills_the_table(people):
    make_month(people, seed=5)
    filled = table(people.db)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    with people.db.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
        conn.commit()
    with people.db.read() as session:
        assert not sa.inspect(session.connection()).has_table("agent_calls")
    Rows(people.db).call("2026-03-06 09:00", queue="support", agent=people.agent2)  # recorded while at 0006
    schema.upgrade(people.db)
    assert len(assert_equal(people) - filled) == 1
    assert dt.date(2026, 3, 6) in {r[1].date() for r in table(people.db)}
