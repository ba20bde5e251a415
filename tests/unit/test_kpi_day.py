"""Every KPI of one ordinary day, against figures worked out by hand (docs/kpis.md).

The day (Tuesday 2026-03-10, Europe/Berlin): queue support (defaults: service level 20 s,
short abandon 5 s) and queue sales (its row in `queues`: 30 s and 10 s).

| # | queue   | outcome   | wait | talk | agent | notes                                  |
|---|---------|-----------|------|------|-------|----------------------------------------|
| 1 | support | answered  | 10   | 100  | alice | CSAT 5; wrap-up 30 s                   |
| 2 | support | answered  | 30   | 200  | alice | CSAT 3; held 20 s                      |
| 3 | support | abandoned | 3    |      |       | short (3 < 5)                          |
| 4 | support | abandoned | 25   |      |       | after the threshold; alice rang unanswered |
| 5 | support | abandoned | 12   |      |       | within the threshold                   |
| 6 | support | timed_out | 60   |      |       |                                        |
| 7 | sales   | answered  | 0    | 50   | bob   | CSAT 4; wrap-up 10 s                   |
| 8 | sales   | abandoned | 8    |      |       | short (8 < 10); bob rang unanswered     |
| 9 | support | answered  | 5    | —    | alice | still talking: answered, not handled   |
"""


import pytest
from sqlmodel import select

from aiivr.models.queues import Queue
from aiivr.services.kpi import kpi_report
from tests.unit.kpi_rows import Rows, at

ALICE_IF, BOB_IF = "Local/1001@agents/n", "Local/1002@agents/n"
NOW = at("2026-04-30 12:00")


@pytest.fixture
def day(people):
    alice, bob = people.agent, people.agent2
    rows = Rows(people.db)
    with people.db.write() as session:  # `user add --queues` made the row with the defaults
        sales = session.exec(select(Queue).where(Queue.name == "sales")).one()
        sales.service_level_seconds, sales.short_abandon_seconds = 30, 10
        session.add(sales)
    calls = {}

    def answered(n, start, queue, wait, talk, agent, iface, **call):
        calls[n] = rows.call(start, queue=queue, agent=agent, answered_after=wait, talk=talk or 0,
                             interface=iface, **call)
        rows.entry(calls[n], start, queue=queue, outcome="answered", wait=wait, talk=talk, agent=agent,
                   interface=iface)

    def unanswered(n, start, queue, outcome, wait):
        calls[n] = rows.call(start, queue=queue, disposition=outcome, answered_after=None)
        rows.entry(calls[n], start, queue=queue, outcome=outcome, wait=wait)

    answered(1, "2026-03-10 09:00:00", "support", 10, 100, alice, ALICE_IF, csat=5)
    answered(2, "2026-03-10 09:05:00", "support", 30, 200, alice, ALICE_IF, csat=3, hold=20)
    unanswered(3, "2026-03-10 09:10:00", "support", "abandoned", 3)
    unanswered(4, "2026-03-10 09:20:00", "support", "abandoned", 25)
    unanswered(5, "2026-03-10 09:30:00", "support", "abandoned", 12)
    unanswered(6, "2026-03-10 09:40:00", "support", "timed_out", 60)
    answered(7, "2026-03-10 10:00:00", "sales", 0, 50, bob, BOB_IF, csat=4)
    unanswered(8, "2026-03-10 10:10:00", "sales", "abandoned", 8)
    answered(9, "2026-03-10 11:00:00", "support", 5, None, alice, ALICE_IF)
    rows.event(calls[4], "2026-03-10 09:20:15", "ring_no_answer", queue="support", user=alice, interface=ALICE_IF)
    rows.event(calls[8], "2026-03-10 10:10:05", "ring_no_answer", queue="sales", user=bob, interface=BOB_IF)
    # alice: online 08:00-09:00:10, on call 1 until 09:01:50, wrap-up 30 s, online until 10:00,
    # lunch until 10:30, online until 12:00 (call 2's on_call time is left out on purpose:
    # status history and queue entries are separate sources).
    rows.status(ALICE_IF, "online", "2026-03-10 08:00:00", "2026-03-10 09:00:10", user=alice)
    rows.status(ALICE_IF, "on_call", "2026-03-10 09:00:10", "2026-03-10 09:01:50", user=alice, call_id=calls[1])
    rows.status(ALICE_IF, "wrap_up", "2026-03-10 09:01:50", "2026-03-10 09:02:20", user=alice, reason="acw")
    rows.status(ALICE_IF, "online", "2026-03-10 09:02:20", "2026-03-10 10:00:00", user=alice)
    rows.status(ALICE_IF, "paused", "2026-03-10 10:00:00", "2026-03-10 10:30:00", user=alice, reason="lunch")
    rows.status(ALICE_IF, "online", "2026-03-10 10:30:00", "2026-03-10 12:00:00", user=alice)
    rows.status(ALICE_IF, "offline", "2026-03-10 12:00:00", None, user=alice)
    # bob: online 09:30-10:00, on call 7 for 50 s, wrap-up 10 s, online until 10:30, offline.
    rows.status(BOB_IF, "online", "2026-03-10 09:30:00", "2026-03-10 10:00:00", user=bob)
    rows.status(BOB_IF, "on_call", "2026-03-10 10:00:00", "2026-03-10 10:00:50", user=bob, call_id=calls[7])
    rows.status(BOB_IF, "wrap_up", "2026-03-10 10:00:50", "2026-03-10 10:01:00", user=bob, reason="acw")
    rows.status(BOB_IF, "online", "2026-03-10 10:01:00", "2026-03-10 10:30:00", user=bob)
    rows.status(BOB_IF, "offline", "2026-03-10 10:30:00", None, user=bob)
    return people


def report(people, principal=None, by=None, rollup=True, start="2026-03-10 00:00", end="2026-03-11 00:00"):
    ctx = people.ctx(principal or people.supervisor)
    return kpi_report(ctx, start=at(start), end=at(end), by=by, now=NOW, use_rollup=rollup)


# alice: available 3610 + 3460 + 5400 = 12470 s, handling 100 + 30 = 130 s, lunch 1800 s.
# bob: available 1800 + 1740 = 3540 s, handling 50 + 10 = 60 s.
TOTAL = {
    "offered": 9, "answered": 4, "abandoned": 2, "short_abandoned": 2, "timed_out": 1,
    "abandon_rate": round(2 / 7, 4), "asa_seconds": 11.25, "avg_wait_seconds": 17.0, "max_wait_seconds": 60.0,
    "service_level": 0.6, "aht_seconds": round((350 + 20 + 40) / 3, 3), "handled": 3, "missed": 2,
    "fcr_rate": None, "csat_avg": 4.0, "csat_pct_satisfied": round(2 / 3, 4),
    "occupancy": round(190 / (190 + 12470 + 3540), 4), "talk_seconds": 350.0, "hold_seconds": 20.0,
    "wrapup_seconds": 40.0, "handling_seconds": 190.0, "available_seconds": 16010.0, "fcr_pending": 0, "pause_seconds": {"lunch": 1800.0},
}


@pytest.mark.parametrize("rollup", [True, False], ids=["rollup", "raw"])
def test_the_days_totals(day, rollup):
    result = report(day, rollup=rollup)
    assert result.total == TOTAL
    assert result.rows == [{"group": None, **TOTAL}]
    assert result.range == {"from": "2026-03-10T00:00:00+01:00", "to": "2026-03-11T00:00:00+01:00",
                            "timezone": "Europe/Berlin"}
    assert result.service_level_variant == "answered within threshold / (answered + abandoned after threshold)"


@pytest.mark.parametrize("rollup", [True, False], ids=["rollup", "raw"])
def test_by_queue(day, rollup):
    rows = {r["group"]: r for r in report(day, by="queue", rollup=rollup).rows}
    assert set(rows) == {"sales", "support"}
    support, sales = rows["support"], rows["sales"]
    assert (support["offered"], support["answered"], support["abandoned"], support["short_abandoned"],
            support["timed_out"]) == (7, 3, 2, 1, 1)
    assert support["abandon_rate"] == round(2 / 6, 4) and support["service_level"] == round(2 / 4, 4)
    assert support["asa_seconds"] == 15.0 and support["avg_wait_seconds"] == round(145 / 7, 3)
    # Status time belongs to no queue: occupancy and pauses are in the total only.
    assert support["occupancy"] is None and support["available_seconds"] == 0.0 and support["pause_seconds"] == {}
    assert (sales["offered"], sales["answered"], sales["abandoned"], sales["short_abandoned"]) == (2, 1, 0, 1)
    assert sales["abandon_rate"] == 0.0 and sales["service_level"] == 1.0 and sales["asa_seconds"] == 0.0
    assert sales["aht_seconds"] == 60.0 and sales["missed"] == 1


@pytest.mark.parametrize("rollup", [True, False], ids=["rollup", "raw"])
def test_by_agent(day, rollup):
    rows = {r["group"]: r for r in report(day, by="agent", rollup=rollup).rows}
    assert set(rows) == {"alice", "bob"}
    alice, bob = rows["alice"], rows["bob"]
    assert (alice["answered"], alice["handled"], alice["missed"]) == (3, 2, 1)
    assert alice["asa_seconds"] == 15.0 and alice["max_wait_seconds"] == 30.0
    assert alice["aht_seconds"] == 175.0  # (100 + 200 talk + 20 hold + 30 wrap-up) / 2
    assert (alice["csat_avg"], alice["csat_pct_satisfied"]) == (4.0, 0.5)
    assert alice["occupancy"] == round(130 / 12600, 4) and alice["pause_seconds"] == {"lunch": 1800.0}
    # Queue figures are not an agent's.
    assert all(alice[k] is None for k in ("offered", "abandoned", "short_abandoned", "timed_out",
                                          "abandon_rate", "service_level"))
    assert (bob["answered"], bob["handled"], bob["aht_seconds"], bob["missed"]) == (1, 1, 60.0, 1)
    assert bob["occupancy"] == round(60 / 3600, 4) and bob["csat_pct_satisfied"] == 1.0


@pytest.mark.parametrize("rollup", [True, False], ids=["rollup", "raw"])
def test_by_day_and_by_hour(day, rollup):
    (only,) = report(day, by="day", rollup=rollup).rows
    assert only == {"group": "2026-03-10", **TOTAL}
    hours = {r["group"]: r for r in report(day, by="hour", rollup=rollup).rows}
    assert sorted(hours) == [f"2026-03-10T{h:02d}:00" for h in (8, 9, 10, 11)]
    assert hours["2026-03-10T08:00"]["occupancy"] == 0.0  # alice online, nobody on a call
    assert (hours["2026-03-10T09:00"]["offered"], hours["2026-03-10T10:00"]["offered"]) == (6, 2)
    assert hours["2026-03-10T10:00"]["pause_seconds"] == {"lunch": 1800.0}
    assert hours["2026-03-10T11:00"]["answered"] == 1 and hours["2026-03-10T11:00"]["handled"] == 0


@pytest.mark.parametrize("rollup", [True, False], ids=["rollup", "raw"])
def test_an_agent_sees_its_own_figures_and_the_team_average(day, rollup):
    mine = report(day, day.agent, by="agent", rollup=rollup)
    assert [row["group"] for row in mine.rows] == ["alice"]
    assert (mine.total_is, mine.team_agents) == ("team_average", 2)
    team = mine.total
    assert (team["handled"], team["missed"], team["answered"]) == (1.5, 1.0, 2.0)  # per agent
    assert team["aht_seconds"] == TOTAL["aht_seconds"]  # pooled over the team's calls
    assert team["offered"] is None and team["abandon_rate"] is None  # queue figures are not shown
    assert team["pause_seconds"] == {"lunch": 900.0}
    by_queue = report(day, day.agent, by="queue", rollup=rollup)
    assert [(r["group"], r["answered"], r["offered"]) for r in by_queue.rows] == [("support", 3, None)]
    whole = report(day, day.agent2, rollup=rollup)
    assert [(r["group"], r["answered"], r["handled"]) for r in whole.rows] == [(None, 1, 1)]
