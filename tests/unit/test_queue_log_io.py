"""queue_log import and export: what an import records, idempotency, bad lines, status
history from member lines, the export format, and the round trip (import, export, import
into a fresh database) giving the same KPIs."""

import io

import pytest
from sqlmodel import select

from aiivr import config as config_mod
from aiivr.db import Database
from aiivr.errors import PermissionDenied
from aiivr.models import AgentStatus, Call, CallEvent, QueueEntry
from aiivr.services.kpi import kpi_report
from aiivr.services.queue_log_io import export_queue_log, import_queue_log
from tests.conftest import People, drop_database_url, make_database_url
from tests.unit.kpi_rows import at
from tests.unit.recorder_helpers import FIXTURES, dump

T0 = int(at("2026-03-10 08:00").timestamp())
T1 = T0 + 86400
UNMAPPED = "Local/1009@agents/n"
A = f"""\
{T0}|MANAGER|support|alice|ADDMEMBER|
{T0}|MANAGER|sales|alice|ADDMEMBER|
{T0 + 5}|MANAGER|support|bob|ADDMEMBER|
{T0 + 5}|MANAGER|sales|{UNMAPPED}|ADDMEMBER|
{T0 + 60}|pbx-1.1|support|NONE|ENTERQUEUE||0301111|1
{T0 + 65}|pbx-1.1|support|alice|RINGNOANSWER|5000
{T0 + 70}|pbx-1.1|support|bob|CONNECT|10|pbx-1.2|5
{T0 + 190}|pbx-1.1|support|bob|COMPLETECALLER|10|120|1
{T0 + 190}|NONE|NONE|bob|PAUSEALL|acw
{T0 + 220}|NONE|NONE|bob|UNPAUSEALL|
{T0 + 300}|pbx-2.1|support|NONE|ENTERQUEUE||0302222|1
{T0 + 303}|pbx-2.1|support|NONE|ABANDON|1|1|3
{T0 + 400}|pbx-3.1|sales|NONE|ENTERQUEUE||0303333|1
{T0 + 430}|pbx-3.1|sales|NONE|EXITWITHTIMEOUT|1|1|30
{T0 + 500}|pbx-4.1|support|NONE|ENTERQUEUE||+49 30 4444|1
{T0 + 502}|pbx-4.1|support|alice|CONNECT|2|pbx-4.2|1
{T0 + 560}|pbx-4.1|support|alice|BLINDTRANSFER|sales|queue-call|2|58|1
{T0 + 560}|pbx-4.1|sales|NONE|ENTERQUEUE||+49 30 4444|1
{T0 + 570}|pbx-4.1|sales|{UNMAPPED}|CONNECT|10|pbx-4.3|2
{T0 + 630}|pbx-4.1|sales|{UNMAPPED}|COMPLETEAGENT|10|60|1
{T0 + 700}|NONE|support|alice|PAUSE|lunch
{T0 + 700}|NONE|sales|alice|PAUSE|lunch
{T0 + 2500}|NONE|support|alice|UNPAUSE|
{T0 + 2500}|NONE|sales|alice|UNPAUSE|
{T0 + 3000}|pbx-5.1|support|NONE|ENTERQUEUE||0305555|1
{T0 + 3040}|pbx-5.1|support|NONE|EXITEMPTY|1|1|40
{T0 + 3100}|pbx-6.1|support|NONE|ENTERQUEUE||0306666|1
{T0 + 3125}|pbx-6.1|support|NONE|ABANDON|1|1|25
this line is not a queue_log line
{T0 + 3200}|pbx-7.1|support|NONE|ENTERQUEUE||0307777|1
{T1}|pbx-8.1|support|NONE|ENTERQUEUE||0301111|1
{T1 + 4}|pbx-8.1|support|alice|CONNECT|4|pbx-8.2|2
{T1 + 100}|pbx-8.1|support|alice|COMPLETEAGENT|4|96|1
{T1 + 200}|MANAGER|support|bob|REMOVEMEMBER|
{T1 + 300}|MANAGER|support|alice|REMOVEMEMBER|
{T1 + 300}|MANAGER|sales|alice|REMOVEMEMBER|
{T1 + 300}|NONE|NONE|NONE|QUEUESTART|
"""
NOW = at("2026-04-30 12:00")


def load(people, text, principal=None):
    return import_queue_log(people.ctx(principal or people.admin), io.StringIO(text), size=len(text))


def exported(people, **kw) -> str:
    out = io.StringIO()
    export_queue_log(people.ctx(people.supervisor), out, **kw)
    return out.getvalue()


def kpis(people, by, rollup=True):
    return kpi_report(people.ctx(people.supervisor), start=at("2026-03-10 00:00"), end=at("2026-03-12 00:00"),
                      by=by, now=NOW, use_rollup=rollup)


@pytest.fixture
def fresh(tmp_path, database_url):
    """A second empty database of the same kind, with the same people."""
    backend = "postgres" if database_url.startswith("postgresql") else "sqlite"
    url = make_database_url(backend, tmp_path)
    cfg = config_mod.parse(f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{url}"\n', env={})
    db = Database(url)
    yield People(db, cfg)
    db.dispose()
    drop_database_url(url)


def test_an_import_records_the_entries_calls_misses_and_members(people):
    result = load(people, A)
    assert (result.system, result.lines, result.entries, result.imported, result.unfinished) == ("pbx", 37, 9, 8, 1)
    assert result.skipped == ["line 29: expected at least 5 fields separated by |, got 1"]
    assert result.unmapped == [UNMAPPED] and result.ignored == 1
    with people.db.read() as session:
        entries = {(e.uniqueid, e.queue): e for e in session.exec(select(QueueEntry))}
        calls = {c.linkedid: c for c in session.exec(select(Call))}
        misses = session.exec(select(CallEvent).where(CallEvent.kind == "ring_no_answer")).all()
    assert (entries[("pbx-1.1", "support")].outcome, entries[("pbx-1.1", "support")].agent_user_id) == (
        "answered", people.agent2.user_id)
    assert entries[("pbx-4.1", "sales")].member_name == UNMAPPED and entries[("pbx-4.1", "sales")].agent_user_id is None
    # One call through two queues: first queue kept, talk added up, the last agent is the call's.
    transferred = calls["pbx-4.1"]
    assert (transferred.queue, transferred.talk_seconds, transferred.agent_name) == ("support", 118.0, UNMAPPED)
    assert [(m.user_id, m.interface, m.queue) for m in misses] == [(people.agent.user_id, "Local/1001@agents/n", "support")]
    assert entries[("pbx-2.1", "support")].system == "pbx"


def test_member_lines_become_status_history(people):
    load(people, A)
    with people.db.read() as session:
        rows = session.exec(select(AgentStatus).where(AgentStatus.interface == "Local/1002@agents/n")
                            .order_by(AgentStatus.started_at)).all()
    assert [(r.status, r.reason, int(r.started_at.timestamp()) - T0, r.set_by) for r in rows] == [
        ("online", None, 5, "queue_log"), ("on_call", None, 70, "queue_log"), ("wrap_up", "acw", 190, "queue_log"),
        ("online", None, 220, "queue_log"), ("offline", None, 86400 + 200, "queue_log")]
    assert rows[1].call_id is not None  # on_call names its call, so wrap-up finds it
    bob = {r["group"]: r for r in kpis(people, "agent").rows}["bob"]
    assert bob["aht_seconds"] == 150.0  # 120 s talk + 30 s after-call work


def test_importing_twice_changes_nothing(people):
    load(people, A)
    first = dump(people.db)
    again = load(people, A)
    assert (again.imported, again.status_rows) == (0, 0)
    assert dump(people.db) == first


def test_the_export_format(people):
    load(people, A)
    lines = exported(people, start=at("2026-03-10 08:05"), end=at("2026-03-10 08:06")).splitlines()
    assert lines == [f"{T0 + 300}|pbx-2.1|support|NONE|ENTERQUEUE||0302222|1",
                     f"{T0 + 303}|pbx-2.1|support|NONE|ABANDON|1|1|3"]
    text = exported(people)
    assert f"{T0 + 560}|pbx-4.1|support|alice|BLINDTRANSFER|||2|58|1" in text
    assert f"{T0 + 65}|pbx-1.1|support|alice|RINGNOANSWER|5000" in text
    assert f"{T0 + 190}|NONE|NONE|bob|PAUSEALL|acw" in text and f"{T0 + 5}|MANAGER|sales|bob|ADDMEMBER|" in text  # its wanted queues
    assert f"{T0 + 3040}|pbx-5.1|support|NONE|EXITEMPTY|1|1|40" in text


def test_round_trip_gives_the_same_kpis(people, fresh):
    load(people, A)
    text = exported(people)
    result = load(fresh, text)
    assert result.skipped == [] and result.imported == 8
    for by in (None, "agent", "queue", "day", "hour"):
        assert kpis(fresh, by) == kpis(people, by), by
        assert kpis(people, by, rollup=False) == kpis(people, by), by  # the rollup after an import is exact
    assert exported(fresh) == text  # and the second export is the first, line for line


def test_the_lab_capture_queue_logs_import_like_the_recorder_saw_them(people):
    text = "".join((FIXTURES / f"lab-{n}.queue_log").read_text() for n in ("answered", "abandoned", "timeout",
                                                                           "ringnoanswer", "transfer", "two-queues"))
    result = load(people, text)
    assert (result.system, result.entries, result.imported, result.unmapped) == ("aiivr-lab", 10, 10, ["carol"])
    with people.db.read() as session:
        outcomes = sorted(e.outcome for e in session.exec(select(QueueEntry)))
    assert outcomes == ["abandoned", "abandoned", "answered", "answered", "answered", "answered", "answered",
                        "answered", "answered", "timed_out"]


def test_only_admins_import_and_supervisors_export(people):
    with pytest.raises(PermissionDenied):
        load(people, A, principal=people.supervisor)
    with pytest.raises(PermissionDenied):
        export_queue_log(people.ctx(people.agent), io.StringIO())


def test_the_other_events_of_the_format(people, fresh):
    """AGENTLOGIN/AGENTLOGOFF, EXITWITHKEY, RINGCANCELED (not a miss: the ring was cut short),
    ATTENDEDTRANSFER and TRANSFER (talk time fourth), through import, KPIs and a round trip."""
    t = T0 + 3 * 3600
    text = f"""\
{t}|NONE|NONE|alice|AGENTLOGIN|Local/1001@agents/n
{t}|NONE|NONE|bob|AGENTLOGIN|Local/1002@agents/n
{t + 60}|k-1.1|support|NONE|ENTERQUEUE||0301000|1
{t + 72}|k-1.1|support|NONE|EXITWITHKEY|5|1|1|12
{t + 100}|x-1.1|support|NONE|ENTERQUEUE||0302000|1
{t + 104}|x-1.1|support|alice|RINGCANCELED|4000
{t + 108}|x-1.1|support|bob|CONNECT|8|x-1.2|2
{t + 148}|x-1.1|support|bob|ATTENDEDTRANSFER|BRIDGE|b-1|8|40|1
{t + 200}|y-1.1|sales|NONE|ENTERQUEUE||0303000|1
{t + 203}|y-1.1|sales|alice|CONNECT|3|y-1.2|1
{t + 223}|y-1.1|sales|alice|TRANSFER|200|default|3|20|1
{t + 900}|NONE|NONE|alice|AGENTLOGOFF|Local/1001@agents/n|900
{t + 900}|NONE|NONE|bob|AGENTLOGOFF|Local/1002@agents/n|900
"""
    result = load(people, text)
    assert (result.entries, result.imported, result.skipped, result.unmapped) == (3, 3, [], [])
    with people.db.read() as session:
        outcomes = {e.uniqueid: (e.outcome, e.wait_seconds, e.talk_seconds, e.completed_by)
                    for e in session.exec(select(QueueEntry))}
        alice = [(r.status, int(r.started_at.timestamp()) - t) for r in session.exec(
            select(AgentStatus).where(AgentStatus.user_id == people.agent.user_id).order_by(AgentStatus.started_at))]
    assert outcomes == {"k-1.1": ("exit_key", 12, None, None), "x-1.1": ("answered", 8, 40, "transfer"),
                        "y-1.1": ("answered", 3, 20, "transfer")}
    assert alice == [("online", 0), ("on_call", 203), ("online", 223), ("offline", 900)]
    total = kpis(people, None).total
    assert (total["offered"], total["answered"], total["abandoned"], total["timed_out"], total["missed"]) == (3, 2, 0, 0, 0)
    assert (total["handled"], total["talk_seconds"], total["asa_seconds"]) == (2, 60.0, 5.5)
    assert total["avg_wait_seconds"] == round(23 / 3, 3)
    assert total["available_seconds"] == (900 - 20) + (900 - 40.0)  # logged in, less each one's call
    load(fresh, exported(people))
    for by in (None, "agent", "queue"):
        assert kpis(fresh, by) == kpis(people, by), by
