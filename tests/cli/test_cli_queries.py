"""`aiivr query ...`: exact table and JSON output for a fixed data set on a frozen clock,
exit codes and one-line errors."""

import datetime as dt
import json

import pytest

from aiivr.db import Database
from aiivr.principal import Principal
from aiivr.models.users import Role
from tests.unit.queries_helpers import insert_call

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, the site zone of the test config


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def at(self, **delta) -> None:
        self.now = T0 + dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """The CLI reads the clock once per command and hands it to the service."""
    frozen = Clock()
    monkeypatch.setattr("cli.queries.utcnow", lambda: frozen.now)
    monkeypatch.setenv("COLUMNS", "200")  # tables laid out the same on every terminal
    return frozen


@pytest.fixture
def desk(admin_cli, clock):
    """alice: an urgent one due in 2h and an escalated one; bob: one due tomorrow."""
    for name, role in (("alice", "agent"), ("bob", "agent"), ("sue", "supervisor")):
        added = admin_cli("user", "add", name, "--role", role, "--password-stdin", stdin=f"{name}-password\n")
        assert added.code == 0, added.err
    cli = admin_cli
    cli.login("alice", "alice-password")
    ok(cli("query", "add", "--customer", "+49 30 1234567", "--customer-name", "Max Muster",
           "--subject", "Refund not received", "--priority", "urgent", "--due", "2h"))
    clock.at(minutes=10)
    ok(cli("query", "add", "--customer", "+49 40 555", "--subject", "Wrong invoice",
           "--description", "billed twice"))
    clock.at(minutes=20)
    ok(cli("query", "escalate", "2", "--reason", "refund above my limit"))
    cli.login("bob", "bob-password")
    clock.at(minutes=30)
    ok(cli("query", "add", "--customer", "+49 89 777", "--customer-name", "Erika", "--subject", "Router",
           "--due", "2026-11-27"))
    clock.at(hours=3)
    return cli


def ok(result):
    assert result.code == 0, result.err
    return result


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


LIST_JSON = {"items": [
    {"id": 3, "status": "open", "priority": "normal", "customer_num": "+49 89 777", "customer_name": "Erika",
     "subject": "Router", "assignee": "bob", "due_at": "2026-11-28T00:00:00+01:00", "overdue": False,
     "created_at": "2026-11-26T10:30:00+01:00"},
    {"id": 2, "status": "escalated", "priority": "normal", "customer_num": "+49 40 555", "customer_name": "",
     "subject": "Wrong invoice", "assignee": "alice", "due_at": None, "overdue": False,
     "created_at": "2026-11-26T10:10:00+01:00"},
    {"id": 1, "status": "open", "priority": "urgent", "customer_num": "+49 30 1234567",
     "customer_name": "Max Muster", "subject": "Refund not received", "assignee": "alice",
     "due_at": "2026-11-26T12:00:00+01:00", "overdue": True, "created_at": "2026-11-26T10:00:00+01:00"},
], "next": None}

LIST_TABLE = """\
 ID  Status     Priority  Number          Customer    Subject              Assignee  Due                  Overdue 
──────────────────────────────────────────────────────────────────────────────────────────────────────────────────
  3  open       normal    +49 89 777      Erika       Router               bob       2026-11-28 00:00:00  no      
  2  escalated  normal    +49 40 555                  Wrong invoice        alice                          no      
  1  open       urgent    +49 30 1234567  Max Muster  Refund not received  alice     2026-11-26 12:00:00  yes     
"""

SHOW_JSON = {
    "id": 2, "status": "escalated", "priority": "normal", "customer_num": "+49 40 555", "customer_name": "",
    "subject": "Wrong invoice", "assignee": "alice", "due_at": None, "overdue": False,
    "created_at": "2026-11-26T10:10:00+01:00", "description": "billed twice", "created_by": "alice",
    "updated_at": "2026-11-26T10:20:00+01:00", "calls": [],
    "history": [
        {"at": "2026-11-26T10:10:00+01:00", "actor": "alice", "what": "created", "old": None, "new": "open", "why": ""},
        {"at": "2026-11-26T10:20:00+01:00", "actor": "alice", "what": "status", "old": "open", "new": "escalated",
         "why": "refund above my limit"},
    ],
}

SHOW_TABLE = """\
query 2
 id             2                   
 status         escalated           
 priority       normal              
 customer_num   +49 40 555          
 customer_name                      
 subject        Wrong invoice       
 assignee       alice               
 due_at                             
 overdue        no                  
 created_at     2026-11-26 10:10:00 
 description    billed twice        
 created_by     alice               
 updated_at     2026-11-26 10:20:00 
 calls                              
history
 When                 Who    What     From  To         Why                   
─────────────────────────────────────────────────────────────────────────────
 2026-11-26 10:10:00  alice  created        open                             
 2026-11-26 10:20:00  alice  status   open  escalated  refund above my limit 
"""


def test_a_supervisor_lists_every_query_as_json_and_as_a_table(desk):
    desk.login("sue", "sue-password")
    assert json.loads(ok(desk("query", "list", "--json")).out) == LIST_JSON
    assert ok(desk("query", "list")).out == LIST_TABLE


def test_show_as_json_and_as_a_table(desk):
    desk.login("sue", "sue-password")
    assert json.loads(ok(desk("query", "show", "2", "--json")).out) == SHOW_JSON
    assert ok(desk("query", "show", "2")).out == SHOW_TABLE


def test_the_pool_overdue_and_an_agents_own_view(desk):
    ids = lambda *args: [q["id"] for q in json.loads(ok(desk("query", "list", "--json", *args)).out)["items"]]  # noqa: E731
    desk.login("sue", "sue-password")
    assert ids("--status", "escalated") == [2]
    assert ids("--overdue") == [1]
    assert ids("--assignee", "bob") == [3]
    assert ids("--from", "2026-11-26T10:05", "--to", "2026-11-26T10:30") == [2]
    page = json.loads(ok(desk("query", "list", "--json", "--limit", "2")).out)
    assert ([q["id"] for q in page["items"]], page["next"]) == ([3, 2], "2")
    assert ids("--limit", "2", "--after", "2") == [1]
    desk.login("alice", "alice-password")
    assert ids() == [2, 1]
    assert ids("--status", "escalated") == [2]


def test_an_agent_is_refused_others_queries_the_pool_and_assigning(desk):
    desk.login("alice", "alice-password")
    for args, message in [
        (["show", "3"], "error: query 3 is not yours"),
        (["update", "3", "--note", "x"], "error: query 3 is not yours"),
        (["update", "2", "--note", "x"], "error: query 2 is escalated: it is read-only to you until a supervisor assigns it"),
        (["assign", "1", "--to", "bob"], "error: permission denied: query.assign needs a supervisor (you are an agent)"),
        (["list", "--assignee", "bob"], "error: you see only your own queries: leave out --assignee"),
    ]:
        result = desk("query", *args)
        assert (result.code, one_line(result.err)) == (3, message)


def test_a_supervisor_takes_a_query_out_of_the_pool_and_the_agent_closes_it(desk):
    desk.login("sue", "sue-password")
    assigned = json.loads(ok(desk("query", "assign", "2", "--to", "alice", "--json")).out)
    assert (assigned["status"], assigned["assignee"]) == ("in_progress", "alice")
    desk.login("alice", "alice-password")
    closed = ok(desk("query", "close", "2", "--note", "credit note sent"))
    assert "query 2 closed" in closed.out and "closed" in closed.out
    history = json.loads(ok(desk("query", "show", "2", "--json")).out)["history"]
    assert [(h["actor"], h["what"], h["old"], h["new"], h["why"]) for h in history] == [
        ("alice", "created", None, "open", ""),
        ("alice", "status", "open", "escalated", "refund above my limit"),
        ("sue", "status", "escalated", "in_progress", "assigned to alice"),  # already alice's: no assignee row
        ("alice", "status", "in_progress", "closed", "credit note sent"),
    ]


BAD_INPUT = [
    (["update", "1", "--status", "open"], "error: cannot move query 1 from open to open: allowed: in_progress, escalated, resolved, closed"),
    (["update", "1", "--status", "escalated"], "error: query 1 moves from open to escalated only by `aiivr query escalate 1 --reason TEXT`"),
    (["update", "1"], "error: nothing to change: give --status, --priority, --due, --call or --note"),
    (["update", "1", "--due", "next week"], "error: cannot read 'next week' as a due time"),
    (["show", "99"], "error: no query with id 99"),
    (["add", "--subject", "x"], "error: a query needs a customer: give --customer NUMBER, or --call ID"),
    (["list", "--from", "last tuesday"], "error: cannot read 'last tuesday' as a time"),
]


def test_bad_input_is_one_clear_line_with_exit_1(desk):
    desk.login("alice", "alice-password")
    for args, message in BAD_INPUT:  # one data set for all: setting it up is the slow part
        result = desk("query", *args)
        assert (result.code, one_line(result.err)[:len(message)]) == (1, message), args


def test_usage_errors_exit_2(desk):
    assert desk("query", "show", "abc").code == 2
    assert desk("query", "escalate", "1").code == 2  # --reason is required
    bare = desk("query")  # no verb: the sub-app's help, listing every verb
    assert bare.code == 2 and all(verb in bare.err for verb in ("list", "show", "add", "update", "assign", "escalate", "close"))


def test_an_agent_opens_a_query_from_its_call(desk, database_url):
    desk.login("alice", "alice-password")
    alice_id = json.loads(ok(desk("whoami", "--json")).out)["id"]
    db = Database(database_url)
    call_id = insert_call(db, agent=Principal(name="alice", role=Role.agent, user_id=alice_id))
    db.dispose()
    added = json.loads(ok(desk("query", "add", "--call", str(call_id), "--subject", "Router", "--json")).out)
    assert (added["customer_num"], added["customer_name"], added["calls"]) == ("+49 30 1234567", "Max Muster", [call_id])


def test_help_teaches_with_examples(aiivr):
    for command, example in [("list", "aiivr query list --status escalated"), ("add", "aiivr query add --call 4711"),
                              ("update", "aiivr query update 12 --status resolved"),
                              ("escalate", "aiivr query escalate 12 --reason"), ("assign", "aiivr query assign 12 --to alice")]:
        result = aiivr("query", command, "--help")
        assert result.code == 0 and example in result.out
