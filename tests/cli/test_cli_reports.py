"""`aiivr report kpi` (exact table, JSON and CSV; an agent's view) and
`aiivr import|export queue-log`."""

import datetime as dt
import json

import pytest

from aiivr.db import Database
from tests.cli.test_cli_calls import _columns, office, ok, principals  # noqa: F401 - shared fixtures
from tests.unit.kpi_rows import Rows, at

NOW = at("2026-04-30 12:00")


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr("cli.reports.utcnow", lambda: NOW)
    monkeypatch.setattr("cli.queue_log_cmd.utcnow", lambda: NOW)


@pytest.fixture
def day(office, database_url, clock):
    """office's three calls, with alice's and bob's status history of the day."""
    people = principals(database_url)
    db = Database(database_url)
    rows = Rows(db)
    alice, bob = people["alice"], people["bob"]
    rows.status("Local/1001@agents/n", "online", "2026-03-10 07:30", "2026-03-10 08:00:12", user=alice)
    rows.status("Local/1001@agents/n", "on_call", "2026-03-10 08:00:12", "2026-03-10 08:05:12", user=alice,
                call_id=office.ids["a1"])
    rows.status("Local/1001@agents/n", "wrap_up", "2026-03-10 08:05:12", "2026-03-10 08:06:12", user=alice,
                reason="acw")
    rows.status("Local/1001@agents/n", "paused", "2026-03-10 08:06:12", "2026-03-10 08:36:12", user=alice,
                reason="lunch")
    rows.status("Local/1002@agents/n", "online", "2026-03-10 09:30", "2026-03-10 10:00:03", user=bob)
    rows.status("Local/1002@agents/n", "on_call", "2026-03-10 10:00:03", "2026-03-10 10:01:00", user=bob,
                call_id=office.ids["b1"])
    db.dispose()
    return office


RANGE = ["--from", "2026-03-10", "--to", "2026-03-10"]
METRICS = {
    "alice": {"offered": None, "answered": 1, "abandoned": None, "short_abandoned": None, "timed_out": None,
              "abandon_rate": None, "asa_seconds": 12.0, "avg_wait_seconds": 12.0, "max_wait_seconds": 12.0,
              "service_level": None, "aht_seconds": 360.0, "handled": 1, "missed": 1, "fcr_rate": None,
              "csat_avg": 5.0, "csat_pct_satisfied": 1.0, "occupancy": round(360 / 2172, 4), "talk_seconds": 300.0,
              "hold_seconds": 0.0, "wrapup_seconds": 60.0, "handling_seconds": 360.0, "available_seconds": 1812.0,
              "fcr_pending": 0, "pause_seconds": {"lunch": 1800.0}},
}


def test_report_as_json(day):
    body = json.loads(ok(day("report", "kpi", "--by", "agent", *RANGE, "--json")).out)
    assert list(body) == ["range", "by", "rows", "total", "service_level_variant", "total_is", "team_agents"]
    assert body["range"] == {"from": "2026-03-10T00:00:00+01:00", "to": "2026-03-11T00:00:00+01:00",
                             "timezone": "Europe/Berlin"}
    assert (body["by"], body["total_is"], body["team_agents"]) == ("agent", "all", None)
    assert [row["group"] for row in body["rows"]] == ["alice", "bob"]
    assert {k: v for k, v in body["rows"][0].items() if k != "group"} == METRICS["alice"]
    total = body["total"]
    assert (total["offered"], total["answered"], total["abandoned"], total["short_abandoned"]) == (3, 2, 1, 0)
    assert (total["abandon_rate"], total["service_level"], total["asa_seconds"]) == (0.3333, 0.6667, 7.5)


CSV = """\
row,group,offered,answered,abandoned,short_abandoned,timed_out,abandon_rate,asa_seconds,avg_wait_seconds,\
max_wait_seconds,service_level,aht_seconds,handled,missed,fcr_rate,csat_avg,csat_pct_satisfied,occupancy,\
talk_seconds,hold_seconds,wrapup_seconds,handling_seconds,available_seconds,fcr_pending,pause_lunch_seconds\r
row,sales,1,1,0,0,0,0.0,3.0,3.0,3.0,1.0,57.0,1,0,,,,,57.0,0.0,0.0,0.0,0.0,0,0.0\r
row,support,2,1,1,0,0,0.5,12.0,26.0,40.0,0.5,360.0,1,1,,5.0,1.0,,300.0,0.0,60.0,0.0,0.0,0,0.0\r
total,,3,2,1,0,0,0.3333,7.5,18.333,40.0,0.6667,208.5,2,1,,5.0,1.0,0.1034,357.0,0.0,60.0,417.0,3615.0,0,1800.0\r
"""


def test_report_as_csv(day):
    assert ok(day("report", "kpi", "--by", "queue", *RANGE, "--format", "csv")).out == CSV


TABLE = """\
KPIs from 2026-03-10T00:00:00+01:00 to 2026-03-11T00:00:00+01:00 (Europe/Berlin), by day
service level = answered within threshold / (answered + abandoned after threshold)
┏━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━┳━━━━━━━┳━━━━━━━━━┳━━━━━━━━┳━━━━━━━┳━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┓
┃ day        ┃ Offered ┃ Answered ┃ Abandoned ┃ Short ab. ┃ Timed out ┃ Aband. % ┃ ASA s ┃ Avg wait s ┃ Max wait s ┃ SL % ┃ AHT s ┃ Handled ┃ Missed ┃ FCR % ┃ CSAT ┃ CSAT 4-5 % ┃ Occup. % ┃ lunch s ┃
┡━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━╇━━━━━━━╇━━━━━━━━━╇━━━━━━━━╇━━━━━━━╇━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━┩
│ 2026-03-10 │       3 │        2 │         1 │         0 │         0 │     33.3 │   7.5 │     18.333 │       40.0 │ 66.7 │ 208.5 │       2 │      1 │     - │  5.0 │      100.0 │     10.3 │  1800.0 │
│ total      │       3 │        2 │         1 │         0 │         0 │     33.3 │   7.5 │     18.333 │       40.0 │ 66.7 │ 208.5 │       2 │      1 │     - │  5.0 │      100.0 │     10.3 │  1800.0 │
└────────────┴─────────┴──────────┴───────────┴───────────┴───────────┴──────────┴───────┴────────────┴────────────┴──────┴───────┴─────────┴────────┴───────┴──────┴────────────┴──────────┴─────────┘
"""


def test_report_as_a_table(day):
    assert ok(day("report", "kpi", "--by", "day", *RANGE)).out == TABLE


def test_an_agent_gets_its_own_figures_and_the_team_average(day):
    day.login("alice", "alice-password")
    body = json.loads(ok(day("report", "kpi", "--by", "agent", *RANGE, "--json")).out)
    assert [row["group"] for row in body["rows"]] == ["alice"]  # never bob's own figures
    assert {k: v for k, v in body["rows"][0].items() if k != "group"} == METRICS["alice"]
    assert (body["total_is"], body["team_agents"]) == ("team_average", 2)
    team = body["total"]
    assert (team["handled"], team["missed"], team["talk_seconds"]) == (1.0, 0.5, 178.5)
    assert team["aht_seconds"] == 208.5 and team["offered"] is None  # pooled: (300 + 60 + 57) / 2
    by_queue = json.loads(ok(day("report", "kpi", "--by", "queue", *RANGE, "--json")).out)
    assert [(r["group"], r["answered"], r["offered"]) for r in by_queue["rows"]] == [("support", 1, None)]


def test_report_errors(day):
    bad = day("report", "kpi", "--by", "week")
    assert bad.code == 1 and bad.err.startswith("error: unknown grouping 'week'")
    empty = day("report", "kpi", "--from", "2026-03-11", "--to", "2026-03-10")
    assert empty.code == 1 and "empty range" in empty.err


QUEUE_LOG = """\
1773212400|MANAGER|support|alice|ADDMEMBER|
1773212460|pbx-9.1|support|NONE|ENTERQUEUE||0309999|1
1773212462|pbx-9.1|support|alice|CONNECT|2|pbx-9.2|1
garbage
1773212522|pbx-9.1|support|alice|COMPLETEAGENT|2|60|1
1773212600|MANAGER|support|alice|REMOVEMEMBER|
"""


def test_import_and_export_queue_log(day, tmp_path):
    """The day after the office's: alice has no status history there yet."""
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    refused = day("import", "queue-log", str(path))  # sue is a supervisor: admins import
    assert refused.code == 3
    day.login("admin", "admin-password-1")
    result = day("import", "queue-log", str(path), "--json")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert (body["system"], body["entries"], body["imported"], body["status_rows"]) == ("pbx", 1, 1, 4)  # online, on_call, online, offline
    assert body["skipped"] == ["line 4: expected at least 5 fields separated by |, got 1"]
    assert result.err.splitlines() == ["skipped line 4: expected at least 5 fields separated by |, got 1",
                                       "1 of 1 queue entries imported, 4 status rows, 1 lines skipped"]
    assert json.loads(day("import", "queue-log", str(path), "--json").out)["imported"] == 0
    out = tmp_path / "export"
    exported = day("export", "queue-log", "--from", "2026-03-11T08:00", "--to", "2026-03-11T08:05", "--out", str(out))
    assert exported.code == 0 and exported.err.startswith("5 lines written (1 queue entries, 2 status changes)")
    assert out.read_text().splitlines() == [
        "1773212400|MANAGER|NONE|alice|ADDMEMBER|",  # alice has no wanted queues to name
        "1773212460|pbx-9.1|support|NONE|ENTERQUEUE||0309999|1",
        "1773212462|pbx-9.1|support|alice|CONNECT|2||0",
        "1773212522|pbx-9.1|support|alice|COMPLETEAGENT|2|60|1",
        "1773212600|MANAGER|NONE|alice|REMOVEMEMBER|"]
    missing = day("import", "queue-log", str(tmp_path / "nope"))
    assert missing.code == 1 and missing.err.startswith("error: cannot read")
    assert dt.datetime.fromtimestamp(1773212400, dt.timezone.utc) == at("2026-03-11 08:00")


def test_import_draws_a_progress_bar_on_a_terminal_only(day, tmp_path, monkeypatch):
    import io

    from rich.console import Console

    import cli.queue_log_cmd as command

    day.login("admin", "admin-password-1")
    (tmp_path / "first").write_text(QUEUE_LOG)
    plain = day("import", "queue-log", str(tmp_path / "first"))  # the test's stderr is no terminal: no bar
    assert plain.code == 0 and "reading" not in plain.err and "\x1b[" not in plain.err
    screen = io.StringIO()
    monkeypatch.setattr(command, "stderr", Console(file=screen, force_terminal=True, width=100))
    second = QUEUE_LOG.replace("pbx-9.", "pbx-10.")
    (tmp_path / "second").write_text(second)
    result = day("import", "queue-log", str(tmp_path / "second"))
    assert result.code == 0, result.err
    drawn = screen.getvalue()
    # Characters read of the file's, then queue entries recorded of those finished.
    assert f"{len(second)}/{len(second)}" in drawn and "1/1" in drawn
    assert "reading" in drawn and "recording" in drawn


def test_every_example_in_the_help_parses(aiivr, monkeypatch):
    """The examples in the help of call, report, import and export are real commands:
    each parses (its options known) — run with --help, which parses and stops."""
    import re
    import shlex

    monkeypatch.setenv("COLUMNS", "200")  # an example on one line
    for path in (("call", "list"), ("call", "show"), ("call", "resolve"), ("report", "kpi"),
                 ("import", "queue-log"), ("export", "queue-log")):
        shown = aiivr(*path, "--help")
        assert shown.code == 0, shown.err
        examples = re.findall(r"^\s*(?:Examples?:\s*)?(aiivr (?:call|report|import|export) .+?)\s*$", shown.out,
                              re.MULTILINE)
        assert examples, path
        for example in examples:
            words = shlex.split(example)[1:]
            words = words[:words.index(">")] if ">" in words else words  # the shell's redirection
            result = aiivr(*words, "--help")
            assert result.code == 0, (example, result.err)
    assert aiivr("report", "kpi", "--csv", "--help").code == 2  # what the old example said
