"""agent list/show and queue list/show over what the recorder wrote mid-traffic."""

import datetime as dt

import pytest

from aiivr import events as ev
from aiivr.errors import PermissionDenied
from aiivr.services import agents, queues
from tests.unit.recorder_helpers import ALICE_IF, apply_until, events_of

@pytest.fixture
def mid_call(db, config, people):
    """two-queues replayed up to alice's AgentComplete: calls are live, one caller abandoned."""
    ts = apply_until(db, config, "two-queues", lambda e: isinstance(e, ev.AgentCompleted) and e.interface == ALICE_IF)
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def test_supervisor_sees_every_agent_live(people, mid_call):
    listed = {a.name: a for a in agents.list_agents(people.ctx(people.supervisor), now=mid_call)}
    assert set(listed) == {"alice", "bob"}  # people fixture: alice=1001, bob=1002 (carol is unmapped)
    alice = listed["alice"]
    assert (alice.status, alice.current_caller, alice.queues) == ("on_call", "5550011", ["sales", "support"])
    assert alice.seconds_in_state is not None and alice.seconds_in_state >= 3
    assert listed["bob"].status == "online"  # bob finished his call already


def test_unmapped_members_are_listed_not_dropped(people, mid_call):
    unmapped = agents.list_agents(people.ctx(people.supervisor), unmapped=True, now=mid_call)
    assert [(u.name, u.interface, u.member_name) for u in unmapped] == [(None, "Local/1003@agents/n", "carol")]


def test_an_agent_sees_only_itself(people, mid_call):
    listed = agents.list_agents(people.ctx(people.agent), now=mid_call)
    assert [a.name for a in listed] == ["alice"]
    with pytest.raises(PermissionDenied):
        agents.show_agent(people.ctx(people.agent), "bob")
    with pytest.raises(PermissionDenied):
        agents.list_agents(people.ctx(people.agent), unmapped=True)
    assert agents.show_agent(people.ctx(people.agent), "alice").status == "on_call"


def test_queue_list_counts_today(people, db, config):
    apply_until(db, config, "two-queues", lambda e: isinstance(e, ev.AgentConnected))
    # At the first connect all four callers joined and none is answered yet.
    events = events_of("two-queues")
    first_connect = next(e for e in events if isinstance(e, ev.AgentConnected))
    now = dt.datetime.fromtimestamp(first_connect.ts + 2, dt.timezone.utc)
    listed = {q.name: q for q in queues.list_queues(people.ctx(people.supervisor), now=now)}
    assert set(listed) >= {"support", "sales"}
    assert listed["support"].waiting + listed["sales"].waiting == 4
    assert listed["support"].longest_wait_seconds >= 2


def test_queue_show_and_agent_scoping(people, mid_call):
    sales = queues.show_queue(people.ctx(people.supervisor), "sales", now=mid_call)
    assert sales.abandoned_today == 1 and sales.waiting == 0
    assert {m.member_name for m in sales.members} == {"alice", "bob"}
    # alice's wanted queues (people fixture) are support only: sales is not hers to see.
    with pytest.raises(PermissionDenied, match="not one of your queues"):
        queues.show_queue(people.ctx(people.agent), "sales", now=mid_call)
    assert [q.name for q in queues.list_queues(people.ctx(people.agent), now=mid_call)] == ["support"]


def _board(db, count: int, call_id: int) -> None:
    """`count` more agents, each wanting support and sales, every third on the live call."""
    from sqlmodel import select

    from aiivr.models.agents import AgentStatus
    from aiivr.models.queues import Queue
    from aiivr.models.users import User, UserQueue

    started = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)
    with db.write() as session:
        queue_ids = [q.id for q in session.exec(select(Queue).where(Queue.name.in_(["support", "sales"])))]
        have = len(session.exec(select(User)).all())
        for n in range(have, have + count):
            user = User(name=f"agent{n:04d}", role="agent", password_hash="-", interface=f"Local/{5000 + n}@agents/n")
            session.add(user)
            session.flush()
            session.add_all([UserQueue(user_id=user.id, queue_id=q) for q in queue_ids])
            on_call = n % 3 == 0
            session.add(AgentStatus(interface=user.interface, user_id=user.id, status="on_call" if on_call else "online",
                                    started_at=started, local_date=started.date(), local_hour=9,
                                    call_id=call_id if on_call else None))


def test_the_board_reads_a_fixed_number_of_queries_however_many_agents(people, db, mid_call):
    """One query for all wanted queues and one for all current calls, not one per agent."""
    import sqlalchemy as sa
    from sqlmodel import select

    from aiivr.models.calls import Call

    with db.read() as session:
        call_id = session.exec(select(Call.id)).first()
    ctx = people.ctx(people.supervisor)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sizes = {}
    for more in (3, 40):
        _board(db, more, call_id)
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            listed = agents.list_agents(ctx, now=mid_call)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        sizes[len(listed)] = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
        board = {a.name: a for a in listed if a.name.startswith("agent")}
        assert all(a.wanted_queues == ["sales", "support"] for a in board.values())
        assert {a.name for a in board.values() if a.current_call == call_id} == {
            a.name for a in board.values() if int(a.name[5:]) % 3 == 0}
    assert len(set(sizes.values())) == 1, sizes  # the same count of SELECTs for 5 and 45 agents
    listed = {a.name: a for a in agents.list_agents(ctx, now=mid_call)}
    assert (listed["alice"].wanted_queues, listed["bob"].wanted_queues) == (["support"], ["sales"])
