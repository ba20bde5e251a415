"""Who may see and change which query, both ways; every refusal is audited and changes nothing."""

import datetime as dt
import json

import pytest
from sqlmodel import select

from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.services import queries, users
from tests.conftest import People

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
LATER = NOW + dt.timedelta(hours=1)


def _tail(db):
    with db.read() as session:
        entry = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    return entry.actor, entry.action, entry.target, entry.outcome, json.loads(entry.detail)


def _add(people, who, subject):
    return queries.add_query(people.ctx(who), customer_num="+49 30 1", subject=subject, now=NOW).id


@pytest.fixture(scope="module")
def shared(module_db):
    """People on one database for the tests that need no empty one (the users cost the time)."""
    return People(*module_db)


# Each command an agent might try on a query, as (name, call).
COMMANDS = [
    ("show", lambda ctx, qid: queries.show_query(ctx, qid, now=LATER)),
    ("update", lambda ctx, qid: queries.update_query(ctx, qid, note="mine now", now=LATER)),
    ("escalate", lambda ctx, qid: queries.escalate_query(ctx, qid, reason="why not", now=LATER)),
    ("close", lambda ctx, qid: queries.close_query(ctx, qid, now=LATER)),
]


@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_an_agent_cannot_touch_someone_elses_query(shared, name, command):
    bobs = _add(shared, shared.agent2, "bob's customer")
    before = queries.show_query(shared.ctx(shared.supervisor), bobs, now=LATER)
    with pytest.raises(PermissionDenied) as refused:
        command(shared.ctx(shared.agent), bobs)
    assert str(refused.value) == f"query {bobs} is not yours"  # nothing about whose, nor what
    assert queries.show_query(shared.ctx(shared.supervisor), bobs, now=LATER) == before
    assert _tail(shared.db) == ("alice", "query.work_all", f"query:{bobs}", "denied", {"reason": "not yours"})


@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_an_agent_works_its_own_query(shared, name, command):
    own = _add(shared, shared.agent, "alice's customer")
    assert command(shared.ctx(shared.agent), own).id == own


@pytest.mark.parametrize("who", ["supervisor", "admin"])
@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_supervisors_and_admins_work_anyones_query(shared, who, name, command):
    bobs = _add(shared, shared.agent2, "bob's customer")
    assert command(shared.ctx(getattr(shared, who)), bobs).id == bobs


def test_an_agents_escalated_query_is_read_only_to_it(shared):
    own = _add(shared, shared.agent, "hard one")
    alice = shared.ctx(shared.agent)
    queries.escalate_query(alice, own, reason="refund above my limit", now=NOW)
    assert queries.show_query(alice, own, now=LATER).status == "escalated"
    for name, command in COMMANDS[1:]:
        with pytest.raises(PermissionDenied, match=rf"^query {own} is escalated: it is read-only to you "
                                                   "until a supervisor assigns it$"):
            command(alice, own)
        assert _tail(shared.db) == ("alice", "query.work_all", f"query:{own}", "denied", {"reason": "escalated"})
    assert queries.show_query(alice, own, now=LATER).status == "escalated"


def test_only_supervisors_assign(shared):
    own = _add(shared, shared.agent, "s")
    with pytest.raises(PermissionDenied, match=r"^permission denied: query.assign needs a supervisor \(you are an agent\)$"):
        queries.assign_query(shared.ctx(shared.agent), own, to="bob", now=NOW)
    assert _tail(shared.db)[:4] == ("alice", "query.assign", f"query:{own}", "denied")
    detail = queries.assign_query(shared.ctx(shared.supervisor), own, to="bob", now=NOW)
    assert detail.assignee == "bob"
    with pytest.raises(PermissionDenied, match="is not yours"):  # alice lost it with the assignment
        queries.show_query(shared.ctx(shared.agent), own, now=NOW)
    assert queries.show_query(shared.ctx(shared.agent2), own, now=NOW).assignee == "bob"


def test_assigning_to_an_unknown_or_disabled_user_is_refused(people):
    own = _add(people, people.agent, "s")
    sue = people.ctx(people.supervisor)
    with pytest.raises(NotFound, match="^no user named 'ghost'$"):
        queries.assign_query(sue, own, to="ghost", now=NOW)
    users.set_active(people.ctx(people.admin), "bob", False)
    with pytest.raises(BadInput, match="^user 'bob' is disabled$"):
        queries.assign_query(sue, own, to="bob", now=NOW)
    assert queries.show_query(sue, own, now=NOW).assignee == "alice"


def test_lists_show_agents_their_own_and_supervisors_everyones(people):
    mine, bobs, sues = (_add(people, people.agent, "a"), _add(people, people.agent2, "b"),
                        _add(people, people.supervisor, "c"))
    ids = lambda who, **kw: [s.id for s in queries.list_queries(people.ctx(who), now=NOW, **kw).items]  # noqa: E731
    assert ids(people.agent) == [mine]
    assert ids(people.agent2) == [bobs]
    assert ids(people.supervisor) == ids(people.admin) == [sues, bobs, mine]
    assert ids(people.supervisor, assignee="bob") == [bobs]
    assert ids(people.agent, assignee="alice") == [mine]


def test_an_agent_asking_for_someone_elses_list_is_refused(shared):
    with pytest.raises(PermissionDenied, match=r"^you see only your own queries: leave out --assignee$"):
        queries.list_queries(shared.ctx(shared.agent), assignee="bob", now=NOW)
    assert _tail(shared.db) == ("alice", "query.work_all", "user:bob", "denied", {"reason": "others' queries"})


def test_an_unknown_query_is_not_found_for_everyone(shared):
    for who in (shared.agent, shared.supervisor):
        with pytest.raises(NotFound, match="^no query with id 999$"):
            queries.show_query(shared.ctx(who), 999, now=NOW)
        with pytest.raises(NotFound, match="^no query with id 999$"):
            queries.update_query(shared.ctx(who), 999, note="x", now=NOW)
