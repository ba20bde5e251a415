"""The rollups (kpi_daily and the months folded from it) equal the raw computation: on a
varied month of data, and after every kind of late change (a late queue entry, a status
row closed late, a call resolved or a repeat call arriving later, a queue_log backfill
or import, a threshold changed, a change another report took note of while a day was
being computed)."""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import select

from aiivr.models import AgentStatus, Call
from aiivr.models.queues import Queue
from aiivr.kpi_raw import params_for
from aiivr.models.reports import KpiDay, KpiDirty, KpiMonth, KpiState
from aiivr import kpi_rollup
from aiivr.services.kpi import kpi_report
from aiivr.services.queue_log_io import import_queue_log
from tests.unit.kpi_month import DAYS, RANGE, make_month
from tests.unit.kpi_rows import Rows, at
from tests.unit.recorder_helpers import backfill_lines

def both(people, now, by=None):
    ctx = people.ctx(people.supervisor)
    kwargs = dict(start=at(RANGE[0]), end=at(RANGE[1]), by=by, now=now)
    return kpi_report(ctx, use_rollup=True, **kwargs), kpi_report(ctx, use_rollup=False, **kwargs)


def assert_equal(people, now):
    for by in (None, "agent", "queue", "day"):
        rolled, raw = both(people, now, by)
        assert rolled == raw, by
    return rolled


def built_days(db) -> int:
    with db.read() as session:
        return len(session.exec(select(KpiDay)).all())


def built_months(db) -> list[dt.date]:
    with db.read() as session:
        return [m.month for m in session.exec(select(KpiMonth))]


@pytest.fixture
def month(people):
    make_month(people)
    return people


def test_a_month_rolled_up_equals_the_raw_computation(month):
    now = at("2026-05-01 12:00")
    report = assert_equal(month, now)
    assert built_days(month.db) == DAYS  # the rollup was used, not bypassed
    assert built_months(month.db) == [dt.date(2026, 3, 1)]  # and March folded into one month
    assert report.total["offered"] > 60 and report.total["fcr_rate"] is not None
    with month.db.read() as session:
        assert session.exec(select(KpiDirty)).all() == []  # every note taken


def test_late_changes_are_never_left_out(month):
    now = at("2026-05-01 12:00")
    rows = Rows(month.db)
    rows.call("2026-03-22 12:00", caller="0309999999", queue="support", agent=month.agent, resolved=True)
    assert_equal(month, now)
    # A queue entry recorded late for a day already rolled up.
    call = rows.call("2026-03-25 10:00", queue="support", disposition="abandoned", answered_after=None)
    rows.entry(call, "2026-03-25 10:00", queue="support", outcome="abandoned", wait=33)
    before = both(month, now)[1].total["abandoned"]
    assert assert_equal(month, now).total["abandoned"] == before
    assert built_months(month.db) == [dt.date(2026, 3, 1)]  # March was forgotten and folded again
    # A status row closed late: alice's online row of the 26th ran on past midnight.
    with month.db.write() as session:
        row = session.exec(select(AgentStatus).where(AgentStatus.local_date == dt.date(2026, 3, 26),
                                                     AgentStatus.status == "online")
                           .order_by(AgentStatus.started_at.desc())).first()
        row.ended_at = row.ended_at + dt.timedelta(hours=3)
        session.add(row)
    assert_equal(month, now)
    # A call resolved long after, and a repeat call that turns an old resolution into a failure.
    with month.db.write() as session:
        old = session.exec(select(Call).where(Call.local_date == dt.date(2026, 3, 21), Call.resolved.is_(False),
                                              Call.caller_num_norm != "")).first()
        old.resolved = True
        session.add(old)
    fcr_before = assert_equal(month, now).total["fcr_rate"]
    rows.call("2026-03-24 09:00", caller="030 999 9999", queue="sales", disposition="abandoned", answered_after=None)
    after = assert_equal(month, now)
    assert after.total["fcr_rate"] < fcr_before


def test_a_day_built_before_its_fcr_windows_closed_is_rebuilt_after(month):
    early = at("2026-04-06 12:00")  # 2026-04-03's calls are still inside their windows
    first = both(month, early)[0].total
    with month.db.read() as session:
        final = dict(session.exec(select(KpiDay.local_date, KpiDay.fcr_final)).all())
    assert final[dt.date(2026, 3, 20)] is True and final[dt.date(2026, 4, 3)] is False
    rows = Rows(month.db)
    with month.db.read() as session:
        resolved = session.exec(select(Call).where(Call.resolved.is_(True), Call.caller_num_norm != "",
                                                   Call.local_date == dt.date(2026, 4, 3))).first()
    rows.call("2026-04-08 09:00", caller=resolved.caller_num, queue="support", disposition="abandoned",
              answered_after=None)  # after the range, inside 3 April's window
    later = assert_equal(month, at("2026-04-30 12:00")).total
    assert later["fcr_pending"] < first["fcr_pending"]


def test_a_queue_log_backfill_into_old_days_is_seen(month, config):
    now = at("2026-05-01 12:00")
    assert_equal(month, now)
    epoch = int(at("2026-03-27 10:00").timestamp())
    lines = [f"{epoch}|late-1.1|support|NONE|ENTERQUEUE||0301234999|1",
             f"{epoch + 9}|late-1.1|support|alice|CONNECT|9|late-1.2|3",
             f"{epoch + 70}|late-1.1|support|alice|COMPLETEAGENT|9|61|1"]
    backfill_lines(month.db, config, lines)
    raw_before = both(month, now)[1].total
    assert assert_equal(month, now).total["answered"] == raw_before["answered"]


def test_a_queue_log_import_into_old_days_is_seen(month):
    """`import queue-log` after the rollup was built: entries, a member's status history
    and its wrap-up (an acw pause after the call) land in days already rolled up."""
    now = at("2026-05-01 12:00")
    before = assert_equal(month, now).total
    t, member = int(at("2026-03-18 09:00").timestamp()), "Local/1009@agents/n"
    lines = [f"{t}|MANAGER|support|{member}|ADDMEMBER|",
             f"{t + 60}|imp-1.1|support|NONE|ENTERQUEUE||0301234001|1",
             f"{t + 75}|imp-1.1|support|{member}|CONNECT|15|imp-1.2|4",
             f"{t + 200}|imp-1.1|support|{member}|COMPLETECALLER|15|125|1",
             f"{t + 200}|NONE|NONE|{member}|PAUSEALL|acw",
             f"{t + 240}|NONE|NONE|{member}|UNPAUSEALL|",
             f"{t + 300}|imp-2.1|sales|NONE|ENTERQUEUE||0301234002|1",
             f"{t + 320}|imp-2.1|sales|NONE|ABANDON|1|1|20",
             f"{t + 3600}|MANAGER|support|{member}|REMOVEMEMBER|"]
    result = import_queue_log(month.ctx(month.admin), lines)
    assert (result.imported, result.unmapped) == (2, [member]) and result.status_rows > 0
    after = assert_equal(month, now).total
    assert (after["offered"], after["answered"], after["abandoned"]) == (
        before["offered"] + 2, before["answered"] + 1, before["abandoned"] + 1)
    assert (after["talk_seconds"], after["wrapup_seconds"]) == (before["talk_seconds"] + 125,
                                                                before["wrapup_seconds"] + 40)
    assert built_months(month.db) == [dt.date(2026, 3, 1)]


def test_a_changed_threshold_rebuilds_everything(month):
    now = at("2026-05-01 12:00")
    assert_equal(month, now)
    with month.db.write() as session:
        support = session.exec(select(Queue).where(Queue.name == "support")).one()
        support.service_level_seconds, support.short_abandon_seconds = 3, 30
        session.add(support)
    assert_equal(month, now)


def test_the_triggers_note_every_writer(month):
    with month.db.write() as session:
        session.execute(sa.delete(KpiDirty))
        session.execute(sa.update(Call).where(Call.local_date == dt.date(2026, 3, 21)).values(csat_score=1))
    with month.db.read() as session:
        kinds = {row.kind for row in session.exec(select(KpiDirty))}
    assert kinds == {"c"}


def test_a_change_another_report_takes_while_a_day_is_computed_is_not_lost(month, monkeypatch):
    """Report A rebuilds 25 March after a late entry; while it computes, another entry for
    that day is recorded and report B takes its note (and builds the day). A must not
    leave its older figures behind as the built day."""
    now = at("2026-05-01 12:00")
    assert_equal(month, now)
    rows = Rows(month.db)

    def late_abandon(start):
        call = rows.call(start, queue="support", disposition="abandoned", answered_after=None)
        rows.entry(call, start, queue="support", outcome="abandoned", wait=33)

    late_abandon("2026-03-25 10:00")
    real, raced = kpi_rollup.compute, []

    def racing(*args, **kwargs):
        sums = real(*args, **kwargs)
        if not raced:
            raced.append(True)
            late_abandon("2026-03-25 11:00")
            both(month, now)  # report B, in the middle of A's build
        return sums

    monkeypatch.setattr(kpi_rollup, "compute", racing)
    kpi_report(month.ctx(month.supervisor), start=at(RANGE[0]), end=at(RANGE[1]), now=now)  # report A
    monkeypatch.undo()
    assert raced
    report = assert_equal(month, now)
    assert report.total["abandoned"] == both(month, now)[1].total["abandoned"]
    assert built_months(month.db) == [dt.date(2026, 3, 1)]


def test_a_day_another_report_forgets_between_refresh_and_read_is_not_missing(month, monkeypatch):
    """Report A refreshes; before it reads, a late entry lands on 25 March and report B
    (for April only) takes its note, forgetting that day and March's fold without
    rebuilding them. A must still count 25 March, not come out a day short."""
    now = at("2026-05-01 12:00")
    assert_equal(month, now)
    rows = Rows(month.db)
    real, raced = kpi_rollup.refresh, []

    def refresh_then_race(*args, **kwargs):
        real(*args, **kwargs)
        if not raced:
            raced.append(True)
            call = rows.call("2026-03-25 10:00", queue="support", disposition="abandoned", answered_after=None)
            rows.entry(call, "2026-03-25 10:00", queue="support", outcome="abandoned", wait=33)
            real(month.db, args[1], dt.date(2026, 4, 1), dt.date(2026, 4, 5), now=now)  # report B

    monkeypatch.setattr("aiivr.services.kpi.refresh", refresh_then_race)
    ctx = month.ctx(month.supervisor)
    raced_report = kpi_report(ctx, start=at(RANGE[0]), end=at(RANGE[1]), by="day", now=now)
    monkeypatch.undo()
    assert raced and built_months(month.db) == [] and dt.date(2026, 3, 25) not in _built_dates(month.db)
    raw = kpi_report(ctx, start=at(RANGE[0]), end=at(RANGE[1]), by="day", now=now, use_rollup=False)
    assert raced_report == raw
    day = next(row for row in raced_report.rows if row["group"] == "2026-03-25")
    assert day["abandoned"] >= 1 and day["offered"] >= 1


def _built_dates(db) -> set[dt.date]:
    with db.read() as session:
        return {d.local_date for d in session.exec(select(KpiDay))}


def test_two_first_reports_at_once_both_succeed(people):
    """No kpi_state row yet: two reports start together. The second must wait for the
    first's row, not fail on a duplicate key (PostgreSQL; SQLite's writers queue anyway)."""
    make_month(people)
    now = at("2026-05-01 12:00")
    params = params_for_people(people)
    first_inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_report():
        try:
            with people.db.write() as session:
                kpi_rollup._check_fingerprint(session, params)
                first_inside.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=first_report)
    thread.start()
    assert first_inside.wait(10)
    second = threading.Thread(target=lambda: _second(people, now, errors))
    second.start()
    second.join(0.5)  # the second report is now waiting on the first's write
    release.set()
    thread.join(10)
    second.join(30)
    assert errors == []
    with people.db.read() as session:
        states = session.exec(select(KpiState)).all()
    assert [(s.id, s.fingerprint) for s in states] == [(1, params.fingerprint())]
    assert built_days(people.db) == DAYS


def _second(people, now, errors):
    try:
        both(people, now)
    except BaseException as exc:  # noqa: BLE001 - reported by the assertion in the test
        errors.append(exc)


def params_for_people(people):
    with people.db.read() as session:
        return params_for(session, people.config)
