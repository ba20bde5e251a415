"""The demo's live view measures waits and time in state on the simulated clock, which
runs ahead of the wall clock at any speed above 1."""

import datetime as dt

from rich.console import Console

from aiivr import events as ev
from cli.demo_view import live_view
from tests.unit.recorder_helpers import ALICE_IF, apply_until


def _render(group) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(group)
    return console.export_text()


def _alice_row(text: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.strip().startswith("alice"))


def test_time_in_state_is_counted_on_the_simulated_clock(people, db, config):
    ts = apply_until(db, config, "two-queues",
                      lambda e: isinstance(e, ev.AgentCompleted) and e.interface == ALICE_IF)
    # The recorded traffic is from the past: a wall-clock view would say hours; the
    # simulated clock 125 s after the last event says what the demo's watcher expects.
    since_last = _alice_row(_render(live_view(people.ctx(people.supervisor), epoch=ts + 125,
                                              tz=dt.timezone.utc, speed=20)))
    later = _alice_row(_render(live_view(people.ctx(people.supervisor), epoch=ts + 185,
                                         tz=dt.timezone.utc, speed=20)))
    assert since_last[1] == later[1] == "on_call"
    minutes = lambda cell: int(cell.split(":")[0]) * 60 + int(cell.split(":")[1])  # noqa: E731
    assert minutes(later[2]) - minutes(since_last[2]) == 60
    assert 125 <= minutes(since_last[2]) < 125 + 600  # on_call since that call connected, minutes before


def test_the_clock_line_shows_the_simulated_time_in_the_site_zone(people, db, config):
    ts = apply_until(db, config, "two-queues", lambda e: isinstance(e, ev.AgentConnected))
    zone = dt.timezone(dt.timedelta(hours=2))
    text = _render(live_view(people.ctx(people.supervisor), epoch=ts, tz=zone, speed=20))
    expected = dt.datetime.fromtimestamp(ts, zone).strftime("%H:%M:%S")
    assert f"simulated time {expected} · 20× · Ctrl-C stops" in text
