"""`aiivr call list|show|resolve`: exact table, JSON and CSV output for a fixed data set,
agent scoping, exit codes and one-line errors."""

import json

import pytest
from sqlmodel import select

from aiivr.db import Database
from aiivr.models.users import Role, User
from aiivr.principal import Principal
from tests.unit.kpi_rows import Rows


@pytest.fixture(autouse=True)
def _columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # tables laid out the same on every terminal


def principals(database_url) -> dict[str, Principal]:
    db = Database(database_url)
    with db.read() as session:
        out = {u.name: Principal(u.name, Role(u.role), u.id) for u in session.exec(select(User))}
    db.dispose()
    return out


@pytest.fixture
def office(admin_cli, database_url):
    """alice and bob (agents), sue (supervisor); three calls on Tuesday 10 March 2026."""
    for name, role, iface in (("alice", "agent", "Local/1001@agents/n"), ("bob", "agent", "Local/1002@agents/n"),
                              ("sue", "supervisor", None)):
        args = ["user", "add", name, "--role", role, "--password-stdin"] + (["--interface", iface] if iface else [])
        assert admin_cli(*args, stdin=f"{name}-password\n").code == 0
    people = principals(database_url)
    db = Database(database_url)
    rows = Rows(db)
    alice, bob = people["alice"], people["bob"]
    a1 = rows.call("2026-03-10 08:00:00", caller="+49 30 1234567", name="Max Muster", queue="support", agent=alice,
                   answered_after=12, talk=300, duration=312, csat=5, recording="/var/spool/asterisk/recordings/a1.wav")
    rows.entry(a1, "2026-03-10 08:00:00", queue="support", outcome="answered", wait=12, talk=300, agent=alice,
               interface="Local/1001@agents/n")
    rows.event(a1, "2026-03-10 08:00:00", "queued", queue="support", detail='{"position": 1}')
    rows.event(a1, "2026-03-10 08:00:12", "connected", queue="support", user=alice, interface="Local/1001@agents/n",
               detail='{"member": "alice", "wait_seconds": 12}')
    rows.event(a1, "2026-03-10 08:05:12", "completed", queue="support", user=alice,
               interface="Local/1001@agents/n", detail='{"by": "caller", "talk_seconds": 300}')
    ab = rows.call("2026-03-10 09:00:00", caller="0301111", queue="support", disposition="abandoned",
                   answered_after=None, duration=40, wait=40)
    rows.entry(ab, "2026-03-10 09:00:00", queue="support", outcome="abandoned", wait=40)
    rows.event(ab, "2026-03-10 09:00:15", "ring_no_answer", queue="support", user=alice,
               interface="Local/1001@agents/n", detail='{"member": "alice", "ring_seconds": 15.0}')
    b1 = rows.call("2026-03-10 10:00:00", caller="0302222", name="Erika", queue="sales", agent=bob, answered_after=3,
                   talk=57, duration=60)
    rows.entry(b1, "2026-03-10 10:00:00", queue="sales", outcome="answered", wait=3, talk=57, agent=bob,
               interface="Local/1002@agents/n")
    db.dispose()
    admin_cli.login("sue", "sue-password")
    admin_cli.ids = {"a1": a1, "ab": ab, "b1": b1}
    return admin_cli


def ok(result):
    assert result.code == 0, result.err
    return result


LIST_JSON = {"items": [
    {"id": 3, "started_at": "2026-03-10T10:00:00+01:00", "direction": "inbound", "caller_num": "0302222",
     "caller_name": "Erika", "queue": "sales", "agent": "bob", "disposition": "answered", "wait_seconds": 3.0,
     "talk_seconds": 57.0, "duration_seconds": 60.0, "resolved": False},
    {"id": 2, "started_at": "2026-03-10T09:00:00+01:00", "direction": "inbound", "caller_num": "0301111",
     "caller_name": "", "queue": "support", "agent": None, "disposition": "abandoned", "wait_seconds": 40.0,
     "talk_seconds": 0.0, "duration_seconds": 40.0, "resolved": False},
], "next": "1773129600000000-2"}

LIST_TABLE = """\
 ID  Started              Dir      Number   Caller  Queue    Agent  Disposition  Wait  Talk  Length  Resolved 
──────────────────────────────────────────────────────────────────────────────────────────────────────────────
  3  2026-03-10 10:00:00  inbound  0302222  Erika   sales    bob    answered     0:03  0:57    1:00  no       
  2  2026-03-10 09:00:00  inbound  0301111          support         abandoned    0:40  0:00    0:40  no       
more: --after 1773129600000000-2
"""

LIST_CSV = """\
id,started_at,direction,caller_num,caller_name,queue,agent,disposition,wait_seconds,talk_seconds,duration_seconds,resolved\r
3,2026-03-10T10:00:00+01:00,inbound,0302222,Erika,sales,bob,answered,3.0,57.0,60.0,no\r
2,2026-03-10T09:00:00+01:00,inbound,0301111,,support,,abandoned,40.0,0.0,40.0,no\r
1,2026-03-10T08:00:00+01:00,inbound,+49 30 1234567,Max Muster,support,alice,answered,12.0,300.0,312.0,no\r
"""


def test_list_as_json_table_and_csv(office):
    page = ["call", "list", "--from", "2026-03-10", "--to", "2026-03-10", "--limit", "2"]
    assert json.loads(ok(office(*page, "--json")).out) == LIST_JSON
    assert ok(office(*page, "--format", "table")).out == LIST_TABLE
    assert ok(office("call", "list", "--from", "2026-03-10", "--format", "csv")).out == LIST_CSV
    rest = json.loads(ok(office(*page, "--after", LIST_JSON["next"], "--json")).out)
    assert [c["id"] for c in rest["items"]] == [1] and rest["next"] is None


def test_filters_reach_the_service(office):
    ids = lambda *args: [c["id"] for c in json.loads(ok(office("call", "list", *args, "--json")).out)["items"]]  # noqa: E731
    assert ids("--type", "abandoned") == [2]
    assert ids("--queue", "sales") == [3]
    assert ids("--caller", "+49 30") == [1] and ids("--caller", "erika") == [3]
    assert ids("--agent", "alice") == [2, 1]  # took one, missed one
    assert ids("--min-duration", "100") == [1]
    assert ids("--from", "2026-03-11") == []


SHOW_JSON = {
    "id": 1, "started_at": "2026-03-10T08:00:00+01:00", "direction": "inbound", "caller_num": "+49 30 1234567",
    "caller_name": "Max Muster", "queue": "support", "agent": "alice", "disposition": "answered",
    "wait_seconds": 12.0, "talk_seconds": 300.0, "duration_seconds": 312.0, "resolved": False,
    "answered_at": "2026-03-10T08:00:12+01:00", "ended_at": "2026-03-10T08:05:12+01:00",
    "queues": [{"queue": "support", "entered_at": "2026-03-10T08:00:00+01:00", "outcome": "answered",
                "wait_seconds": 12.0, "talk_seconds": 300.0, "agent": "alice", "completed_by": None}],
    "agents": ["alice"], "hold_seconds": 0.0, "wrapup_seconds": 0.0, "end_cause": "",
    "recording_path": "/var/spool/asterisk/recordings/a1.wav", "csat_score": 5, "resolved_at": None,
    "resolved_by": None,
    "timeline": [
        {"at": "2026-03-10T08:00:00+01:00", "kind": "queued", "queue": "support", "agent": None,
         "detail": {"position": 1}},
        {"at": "2026-03-10T08:00:12+01:00", "kind": "connected", "queue": "support", "agent": "alice",
         "detail": {"member": "alice", "wait_seconds": 12}},
        {"at": "2026-03-10T08:05:12+01:00", "kind": "completed", "queue": "support", "agent": "alice",
         "detail": {"by": "caller", "talk_seconds": 300}}],
    "queries": [],
}


SHOW_TABLE = """\
call 1
 id                1
 started_at        2026-03-10 08:00:00
 direction         inbound
 caller_num        +49 30 1234567
 caller_name       Max Muster
 queue             support
 agent             alice
 disposition       answered
 wait_seconds      0:12
 talk_seconds      5:00
 duration_seconds  5:12
 resolved          no
 answered_at       2026-03-10 08:00:12
 ended_at          2026-03-10 08:05:12
 agents            alice
 hold_seconds      0:00
 wrapup_seconds    0:00
 end_cause
 recording_path    /var/spool/asterisk/recordings/a1.wav
 csat_score        5
 resolved_at
 resolved_by
queues
 Queue    Entered              Outcome   Wait  Talk  Agent  Ended by
─────────────────────────────────────────────────────────────────────
 support  2026-03-10 08:00:00  answered  0:12  5:00  alice
timeline
 When                 What       Queue    Agent  Detail
─────────────────────────────────────────────────────────────────────────────────────────
 2026-03-10 08:00:00  queued     support         {"position": 1}
 2026-03-10 08:00:12  connected  support  alice  {"member": "alice", "wait_seconds": 12}
 2026-03-10 08:05:12  completed  support  alice  {"by": "caller", "talk_seconds": 300}
no queries
"""


def test_show_as_json_and_table(office):
    assert json.loads(ok(office("call", "show", "1", "--json")).out) == SHOW_JSON
    table = ok(office("call", "show", "1")).out
    assert [line.rstrip() for line in table.splitlines()] == SHOW_TABLE.splitlines()  # Rich pads the fields


def test_show_as_csv_is_one_row_of_fields(office):
    lines = ok(office("call", "show", "1", "--format", "csv")).out.splitlines()
    assert lines[0].startswith("id,started_at,direction,caller_num,") and "timeline" not in lines[0]
    assert lines[1].startswith("1,2026-03-10T08:00:00+01:00,inbound,+49 30 1234567,Max Muster,support,alice,")


def test_an_agent_sees_its_own_calls_and_is_refused_others(office):
    office.login("alice", "alice-password")
    items = json.loads(ok(office("call", "list", "--json")).out)["items"]
    assert [c["id"] for c in items] == [2, 1]
    refused = office("call", "show", "3")
    assert (refused.code, refused.out) == (3, "")
    assert refused.err.strip() == "error: call 3 is not yours: you see the calls you took, missed or made"
    refused = office("call", "list", "--agent", "bob")
    assert refused.code == 3 and refused.err.count("\n") == 1


def test_resolve_then_resolve_again(office):
    office.login("alice", "alice-password")
    first = office("call", "resolve", "1", "--json")
    assert first.code == 0 and first.err.strip() == "call 1 marked resolved"
    body = json.loads(first.out)
    assert (body["resolved"], body["resolved_by"]) == (True, "alice")
    again = ok(office("call", "resolve", "1"))
    assert again.err.strip().startswith("call 1 was already resolved (by alice at 20")
    refused = office("call", "resolve", "2")  # alice only missed it
    assert refused.code == 3


def test_errors_are_one_line_with_the_contracts_exit_codes(office):
    missing = office("call", "show", "999")
    assert (missing.code, missing.err) == (1, "error: no call with id 999\n")
    bad = office("call", "list", "--type", "lost")
    assert bad.code == 1 and bad.err.startswith("error: unknown --type 'lost'")
    usage = office("call", "show", "one")
    assert usage.code == 2


QUERIES_TABLE = """\
queries
 ID  Status  Subject              Assignee 
───────────────────────────────────────────
  1  open    Refund not received  alice    
"""


def test_a_query_added_from_a_call_is_listed_by_call_show(office):
    """`query add --call ID` then `call show ID`: the query is in the call's detail, for
    the agent who opened it and for a supervisor, in the table and in JSON (issue 8)."""
    office.login("alice", "alice-password")
    added = json.loads(ok(office("query", "add", "--call", "1", "--subject", "Refund not received", "--json")).out)
    assert added["calls"] == [1]
    for who in ("alice", "sue"):
        office.login(who, f"{who}-password")
        shown = json.loads(ok(office("call", "show", "1", "--json")).out)
        (query,) = shown["queries"]
        assert {k: query[k] for k in ("id", "status", "priority", "customer_num", "customer_name", "subject",
                                      "assignee", "due_at", "overdue")} == {
            "id": added["id"], "status": "open", "priority": "normal", "customer_num": "+49 30 1234567",
            "customer_name": "Max Muster", "subject": "Refund not received", "assignee": "alice", "due_at": None,
            "overdue": False}
        table = ok(office("call", "show", "1")).out
        assert table.endswith(QUERIES_TABLE) and "no queries" not in table
    # Only the call it came from lists it.
    assert json.loads(ok(office("call", "show", "3", "--json")).out)["queries"] == []
