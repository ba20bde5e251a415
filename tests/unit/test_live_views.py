"""agent list/show and queue list/show over what the recorder wrote mid-traffic."""

import datetime as dt

import pytest

from aiivr import events as ev
from aiivr.errors import PermissionDenied
from aiivr.recorder import Recorder
from aiivr.services import agents, queues
from tests.unit.recorder_helpers import events_of

ALICE_IF = "Local/1001@agents/n"


def _apply_until(db, config, name, stop):
    events = events_of(name)
    cut = next(i for i, e in enumerate(events) if stop(e))
    recorder = Recorder(db, config)
    recorder.apply(events[:cut])
    recorder.close()
    return events[cut - 1].ts


@pytest.fixture
def mid_call(db, config, people):
    """two-queues replayed up to alice's AgentComplete: calls are live, one caller abandoned."""
    ts = _apply_until(db, config, "two-queues", lambda e: isinstance(e, ev.AgentCompleted) and e.interface == ALICE_IF)
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
    _apply_until(db, config, "two-queues", lambda e: isinstance(e, ev.AgentConnected))
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
