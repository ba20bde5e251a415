"""KPI edge cases against hand-worked figures: no calls, all abandoned, midnight and the
range's edges, DST days, FCR windows, calls through two queues, thresholds from config.

Each case runs with the daily rollup and straight from the rows: both must agree with
the hand figures (and so with each other)."""

import dataclasses

import pytest

from aiivr.config import QueueConfig
from aiivr.principal import Ctx
from aiivr.services.kpi import kpi_report
from tests.unit.kpi_rows import Rows, at

ALICE_IF, BOB_IF = "Local/1001@agents/n", "Local/1002@agents/n"
NOW = at("2026-12-01 12:00")
BOTH = pytest.mark.parametrize("rollup", [True, False], ids=["rollup", "raw"])


def report(people, start, end, *, by=None, rollup=True, now=NOW, config=None):
    ctx = people.ctx(people.supervisor)
    if config is not None:
        ctx = Ctx(db=ctx.db, config=config, actor=ctx.actor)
    return kpi_report(ctx, start=at(start), end=at(end), by=by, now=now, use_rollup=rollup)


@BOTH
def test_no_calls_gives_zero_counts_and_null_rates(people, rollup):
    total = report(people, "2026-03-01 00:00", "2026-03-08 00:00", rollup=rollup).total
    assert {k: total[k] for k in ("offered", "answered", "abandoned", "handled", "missed", "fcr_pending")} == dict.fromkeys(
        ("offered", "answered", "abandoned", "handled", "missed", "fcr_pending"), 0)
    for rate in ("abandon_rate", "asa_seconds", "avg_wait_seconds", "max_wait_seconds", "service_level",
                 "aht_seconds", "fcr_rate", "csat_avg", "csat_pct_satisfied", "occupancy"):
        assert total[rate] is None, rate
    assert report(people, "2026-03-01 00:00", "2026-03-08 00:00", by="agent", rollup=rollup).rows == []


@BOTH
def test_all_abandoned(people, rollup):
    rows = Rows(people.db)
    for start, wait in (("2026-03-10 09:00", 2), ("2026-03-10 09:10", 40), ("2026-03-10 09:20", 15)):
        call = rows.call(start, queue="support", disposition="abandoned", answered_after=None)
        rows.entry(call, start, queue="support", outcome="abandoned", wait=wait)
    total = report(people, "2026-03-10 00:00", "2026-03-11 00:00", rollup=rollup).total
    assert (total["offered"], total["answered"], total["abandoned"], total["short_abandoned"]) == (3, 0, 2, 1)
    assert total["abandon_rate"] == 1.0 and total["asa_seconds"] is None and total["aht_seconds"] is None
    assert total["service_level"] == 0.0  # 0 answered within / (0 answered + 1 abandoned after 20 s)
    assert total["avg_wait_seconds"] == 19.0 and total["max_wait_seconds"] == 40.0


@BOTH
def test_midnight_and_the_ranges_edges(people, rollup):
    rows, alice = Rows(people.db), people.agent
    # Entered at 23:59:50 on the 10th, answered on the 11th: it belongs to the 10th.
    call = rows.call("2026-03-10 23:59:50", queue="support", agent=alice, answered_after=20, talk=60)
    rows.entry(call, "2026-03-10 23:59:50", queue="support", outcome="answered", wait=20, talk=60, agent=alice)
    call = rows.call("2026-03-11 00:30:00", queue="support", agent=alice, answered_after=5, talk=30)
    rows.entry(call, "2026-03-11 00:30:00", queue="support", outcome="answered", wait=5, talk=30, agent=alice)
    call = rows.call("2026-03-10 11:00:00", queue="support", disposition="abandoned", answered_after=None)
    rows.entry(call, "2026-03-10 11:00:00", queue="support", outcome="abandoned", wait=30)
    # Online 23:00 to 01:00 across midnight, paused 11:50 to 12:10 across the range's start.
    rows.status(ALICE_IF, "paused", "2026-03-10 11:50", "2026-03-10 12:10", user=alice, reason="smoke")
    rows.status(ALICE_IF, "online", "2026-03-10 23:00", "2026-03-11 01:00", user=alice)
    days = {r["group"]: r for r in report(people, "2026-03-10 00:00", "2026-03-12 00:00", by="day",
                                          rollup=rollup).rows}
    assert (days["2026-03-10"]["answered"], days["2026-03-11"]["answered"]) == (1, 1)
    assert (days["2026-03-10"]["available_seconds"], days["2026-03-11"]["available_seconds"]) == (3600.0, 3600.0)
    # From noon on the 10th to 00:30 on the 11th: the abandon at 11:00 and the call at 00:30
    # are out; ten minutes of the pause and 90 minutes online are in.
    edge = report(people, "2026-03-10 12:00", "2026-03-11 00:30", rollup=rollup).total
    assert (edge["offered"], edge["answered"], edge["abandoned"]) == (1, 1, 0)
    assert edge["pause_seconds"] == {"smoke": 600.0} and edge["available_seconds"] == 5400.0
    # Rollup days in the middle and raw edges on both sides add up to the same.
    wide = report(people, "2026-03-09 18:00", "2026-03-12 06:00", rollup=rollup).total
    assert (wide["offered"], wide["answered"], wide["available_seconds"]) == (3, 2, 7200.0)
    assert wide["pause_seconds"] == {"smoke": 1200.0}


@BOTH
def test_dst_days_in_berlin(people, rollup):
    rows, alice = Rows(people.db), people.agent
    # 29 March 2026: 02:00 becomes 03:00 (a 23-hour day). 25 October: 03:00 becomes 02:00.
    rows.status(ALICE_IF, "online", "2026-03-29 00:00", "2026-03-29 06:00", user=alice)
    rows.status(ALICE_IF, "online", "2026-10-25 00:00", "2026-10-25 06:00", user=alice)
    call = rows.call("2026-03-29 03:30", queue="support", agent=alice, answered_after=5, talk=60)
    rows.entry(call, "2026-03-29 03:30", queue="support", outcome="answered", wait=5, talk=60, agent=alice)
    spring = report(people, "2026-03-29 00:00", "2026-03-30 00:00", by="day", rollup=rollup).rows
    assert [(r["group"], r["available_seconds"], r["answered"]) for r in spring] == [("2026-03-29", 5 * 3600.0, 1)]
    hours = {r["group"]: r for r in report(people, "2026-03-29 00:00", "2026-03-30 00:00", by="hour").rows}
    assert sorted(hours) == ["2026-03-29T00:00", "2026-03-29T01:00", "2026-03-29T03:00", "2026-03-29T04:00",
                             "2026-03-29T05:00"]
    assert all(r["available_seconds"] == 3600.0 for r in hours.values())
    assert hours["2026-03-29T03:00"]["answered"] == 1
    autumn = report(people, "2026-10-25 00:00", "2026-10-26 00:00", by="day", rollup=rollup).rows
    assert [(r["group"], r["available_seconds"]) for r in autumn] == [("2026-10-25", 7 * 3600.0)]
    hours = {r["group"]: r["available_seconds"] for r in report(people, "2026-10-25 00:00", "2026-10-26 00:00",
                                                               by="hour").rows}
    assert hours["2026-10-25T02:00"] == 7200.0 and hours["2026-10-25T01:00"] == 3600.0 and len(hours) == 6


@BOTH
def test_first_contact_resolution(people, rollup):
    rows, alice = Rows(people.db), people.agent

    def call(start, caller, resolved=False, direction="inbound"):
        return rows.call(start, caller=caller, queue="support", agent=alice, resolved=resolved, direction=direction)

    call("2026-03-02 10:00", "030-111", resolved=True)   # called again 3 days later: not FCR
    call("2026-03-05 10:00", "030 111")
    call("2026-03-02 11:00", "030222", resolved=True)    # again exactly 7 days later: outside the window
    call("2026-03-09 11:00", "030222")
    call("2026-03-02 12:00", "anonymous", resolved=True)  # withheld: left out
    call("2026-03-02 13:00", "030333")                    # not resolved: left out
    call("2026-03-02 14:00", "030444", resolved=True, direction="outbound")  # not a customer's call: left out
    call("2026-11-25 10:00", "030555", resolved=True)    # window still open on 1 December: pending
    total = report(people, "2026-03-01 00:00", "2026-12-01 12:00", rollup=rollup).total
    assert (total["fcr_rate"], total["fcr_pending"]) == (0.5, 1)
    # Seen from 8 March, the 2 March calls were still in their window: pending, no rate.
    early = report(people, "2026-03-01 00:00", "2026-03-08 00:00", rollup=rollup, now=at("2026-03-08 09:00")).total
    assert (early["fcr_rate"], early["fcr_pending"]) == (None, 2)


@BOTH
def test_a_call_through_two_queues(people, rollup):
    """Blind transfer: alice answers in support, sends the caller to sales, bob answers."""
    rows, alice, bob = Rows(people.db), people.agent, people.agent2
    call = rows.call("2026-03-10 09:00", queue="support", agent=bob, answered_after=5, talk=90, hold=10, csat=2)
    rows.entry(call, "2026-03-10 09:00:00", queue="support", outcome="answered", wait=5, talk=60, agent=alice)
    rows.entry(call, "2026-03-10 09:01:05", queue="sales", outcome="answered", wait=4, talk=30, agent=bob)
    queues = {r["group"]: r for r in report(people, "2026-03-10 00:00", "2026-03-11 00:00", by="queue",
                                            rollup=rollup).rows}
    assert (queues["support"]["offered"], queues["support"]["handled"], queues["support"]["talk_seconds"]) == (1, 1, 60.0)
    assert (queues["sales"]["offered"], queues["sales"]["handled"], queues["sales"]["talk_seconds"]) == (1, 1, 30.0)
    # Hold and CSAT belong to the call: its first queue, and the agent who had it last.
    assert (queues["support"]["hold_seconds"], queues["support"]["csat_avg"]) == (10.0, 2.0)
    assert queues["sales"]["csat_avg"] is None
    agents = {r["group"]: r for r in report(people, "2026-03-10 00:00", "2026-03-11 00:00", by="agent",
                                            rollup=rollup).rows}
    assert (agents["alice"]["aht_seconds"], agents["bob"]["aht_seconds"]) == (60.0, 40.0)
    assert (agents["alice"]["csat_avg"], agents["bob"]["csat_avg"]) == (None, 2.0)
    total = report(people, "2026-03-10 00:00", "2026-03-11 00:00", rollup=rollup).total
    assert (total["offered"], total["answered"], total["handled"], total["aht_seconds"]) == (2, 2, 2, 50.0)


@BOTH
def test_thresholds_come_from_the_queues_table_then_the_config(people, config, rollup):
    rows = Rows(people.db)
    for queue in ("vip", "support"):  # support has a row in `queues` (defaults); vip has none
        call = rows.call("2026-03-10 09:00", queue=queue, disposition="abandoned", answered_after=None)
        rows.entry(call, "2026-03-10 09:00", queue=queue, outcome="abandoned", wait=15)
    configured = dataclasses.replace(config, queues={"vip": QueueConfig(short_abandon_seconds=20),
                                                      "support": QueueConfig(short_abandon_seconds=20)})
    queues = {r["group"]: r for r in report(people, "2026-03-10 00:00", "2026-03-11 00:00", by="queue",
                                            rollup=rollup, config=configured).rows}
    assert (queues["vip"]["short_abandoned"], queues["vip"]["abandoned"]) == (1, 0)
    assert (queues["support"]["short_abandoned"], queues["support"]["abandoned"]) == (0, 1)
