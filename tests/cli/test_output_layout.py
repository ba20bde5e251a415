"""Tables for people: compact cells (m:ss durations, times without their offset), and on
an 80-column terminal the numbers and times stay whole while text columns give way.
JSON and CSV keep the raw values."""

import io
import json

import pytest
from rich.console import Console

from cli import output
from cli.call_log import COLUMNS, NARROW_DROPS

CALL = {"id": 41, "started_at": "2026-11-26T12:33:40+01:00", "direction": "inbound", "caller_num": "+49 30 1234567",
        "caller_name": "Maximilian Mustermann-Schulze", "queue": "support-premium", "agent": "alice",
        "disposition": "abandoned", "wait_seconds": 75.4, "talk_seconds": 3725.0, "duration_seconds": 3800.6,
        "resolved": False}


@pytest.fixture
def screen(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(output, "stdout", Console(file=out, width=80, color_system=None))
    return out


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (12, "0:12"), (59.6, "1:00"), (245, "4:05"),
                                                 (3725, "1:02:05"), (-5, "-0:05")])
def test_durations_read_as_clock_times(seconds, shown):
    assert output.duration(seconds) == shown


def test_cells_are_compact_for_people():
    assert output._screen_cell("started_at", "2026-03-10T08:00:12+01:00") == "2026-03-10 08:00:12"
    assert output._screen_cell("at", "2026-03-10T08:00:12.250000Z") == "2026-03-10 08:00:12"
    assert output._screen_cell("seconds_in_state", 92) == "1:32"
    assert output._screen_cell("csat_score", 5) == "5"
    assert output._screen_cell("ratio", 3.0) == "3" and output._screen_cell("ratio", 2.25) == "2.2"
    assert output._screen_cell("caller_name", "2026-03-10") == "2026-03-10"  # not a time: left as it is
    assert output._screen_cell("resolved", True) == "yes"


def test_a_call_list_fits_80_columns_with_numbers_and_times_whole(screen):
    output.emit_list([CALL, {**CALL, "id": 40, "agent": None, "duration_seconds": None}], COLUMNS, fmt="table",
                     droppable=NARROW_DROPS)
    lines = screen.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) == 5  # header, rule, one line per call, the note
    header, _, first, second, note = lines
    assert header.split() == ["ID", "Started", "Number", "Queue", "Agent", "Dispo…", "Wait", "Talk", "Length"]
    assert first.split() == ["41", "2026-11-26", "12:33:40", "+49", "3…", "suppo…", "alice", "aband…", "1:15",
                             "1:02:05", "1:03:21"]
    assert second.split()[-3:] == ["aband…", "1:15", "1:02:05"]  # no agent, no length: blank cells
    assert note == "(too narrow to show Resolved, Dir, Caller; --json has all)"


def test_a_wide_terminal_shows_every_column_whole(screen):
    output.stdout = Console(file=screen, width=200, color_system=None)
    output.emit_list([CALL], COLUMNS, fmt="table", droppable=NARROW_DROPS)
    header, _, row = screen.getvalue().splitlines()
    assert header.split()[-4:] == ["Wait", "Talk", "Length", "Resolved"]
    assert "Maximilian Mustermann-Schulze  support-premium  alice  abandoned" in row and "…" not in row


@pytest.mark.parametrize(("room", "wants", "given"), [(30, [5, 8, 9], [5, 8, 9]), (20, [5, 8, 9], [5, 7, 7]),
                                                      (6, [5, 8, 9], [3, 3, 3])])
def test_narrow_columns_keep_their_width_and_wide_ones_share_the_rest(room, wants, given):
    assert output._share(room, wants) == given


def test_json_and_csv_keep_raw_values(screen, capsys):
    output.emit_list([CALL], COLUMNS, fmt="json")
    assert json.loads(capsys.readouterr().out)["items"][0]["talk_seconds"] == 3725.0
    output.emit_list([CALL], COLUMNS, fmt="csv")
    row = capsys.readouterr().out.splitlines()[1]
    assert "2026-11-26T12:33:40+01:00" in row and ",75.4,3725.0,3800.6," in row
