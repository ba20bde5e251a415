"""The transition table both ways, due times and overdue, without a database.

ALLOWED is written from the issue and docs/queries.md, independently of
aiivr.queries_rules.MOVES, so a change to either that breaks the rules fails here.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from aiivr.numbers import normalise_number

from aiivr import queries_rules as rules
from aiivr.errors import BadInput, Conflict

STATUSES = ["open", "in_progress", "escalated", "resolved", "closed"]
WAYS = ["update", "escalate", "assign", "callback"]
ALLOWED = {  # (from, to, the way that makes the move)
    ("open", "in_progress", "update"), ("open", "escalated", "escalate"),
    ("open", "resolved", "update"), ("open", "closed", "update"),
    ("in_progress", "resolved", "update"), ("in_progress", "escalated", "escalate"),
    ("in_progress", "closed", "update"),
    ("escalated", "in_progress", "assign"),
    ("resolved", "closed", "update"), ("resolved", "in_progress", "update"),
    ("resolved", "in_progress", "callback"),
}
TRIPLES = list(itertools.product(STATUSES, STATUSES, WAYS))
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def test_the_table_knows_exactly_the_five_statuses():
    assert list(rules.MOVES) == STATUSES == list(rules.STATUSES)


@pytest.mark.parametrize("old, new, via", TRIPLES, ids=["-".join(t) for t in TRIPLES])
def test_every_move_by_every_way(old, new, via):
    if (old, new, via) in ALLOWED:
        rules.check_move(7, old, new, via=via)
    else:
        with pytest.raises(Conflict) as refused:
            rules.check_move(7, old, new, via=via)
        assert str(refused.value).startswith(("cannot move query 7", "query 7 moves"))


def test_refusals_name_the_allowed_next_states():
    with pytest.raises(Conflict, match=r"^cannot move query 12 from closed to in_progress: closed is final$"):
        rules.check_move(12, "closed", "in_progress", via="update")
    with pytest.raises(Conflict, match=r"^cannot move query 12 from in_progress to open: "
                                       r"allowed: resolved, escalated, closed$"):
        rules.check_move(12, "in_progress", "open", via="update")
    with pytest.raises(Conflict, match=r"^cannot move query 3 from escalated to closed: allowed: in_progress$"):
        rules.check_move(3, "escalated", "closed", via="update")


def test_a_move_made_the_wrong_way_names_the_right_command():
    with pytest.raises(Conflict, match=r"^query 5 moves from open to escalated only by "
                                       r"`aiivr query escalate 5 --reason TEXT`$"):
        rules.check_move(5, "open", "escalated", via="update")
    with pytest.raises(Conflict, match=r"^query 5 moves from escalated to in_progress only by "
                                       r"a supervisor's `aiivr query assign 5 --to USER`$"):
        rules.check_move(5, "escalated", "in_progress", via="update")


def test_next_states_and_final():
    assert rules.next_states("open") == ("in_progress", "escalated", "resolved", "closed")
    assert rules.next_states("closed") == ()
    rules.check_changeable(1, "escalated")
    with pytest.raises(Conflict, match="^query 1 is closed: closed is final$"):
        rules.check_changeable(1, "closed")


@pytest.mark.parametrize("status, due, overdue", [
    ("open", NOW - dt.timedelta(seconds=1), True),
    ("in_progress", NOW - dt.timedelta(hours=3), True),
    ("escalated", NOW - dt.timedelta(hours=3), True),
    ("resolved", NOW - dt.timedelta(hours=3), False),
    ("closed", NOW - dt.timedelta(hours=3), False),
    ("open", NOW, False),  # due now is not yet late
    ("open", NOW + dt.timedelta(minutes=1), False),
    ("open", None, False),
])
def test_overdue_is_derived_from_the_due_time_and_status(status, due, overdue):
    assert rules.is_overdue(status, due, NOW) is overdue


@pytest.mark.parametrize("text, expected", [
    ("30m", NOW + dt.timedelta(minutes=30)),
    ("2h", NOW + dt.timedelta(hours=2)),
    ("1d", NOW + dt.timedelta(days=1)),
    ("2026-11-27T17:00", dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),  # site zone
    ("2026-11-27T17:00+00:00", dt.datetime(2026, 11, 27, 17, 0, tzinfo=UTC)),
    ("2026-11-27", dt.datetime(2026, 11, 27, 23, 0, tzinfo=UTC)),  # the end of that Berlin day
    ("today", dt.datetime(2026, 11, 26, 23, 0, tzinfo=UTC)),
])
def test_due_times_are_read_ahead_and_in_the_site_zone(text, expected):
    assert rules.parse_due(text, BERLIN, now=NOW) == expected


def test_an_unreadable_due_time_says_what_is_accepted():
    with pytest.raises(BadInput, match=r"^cannot read 'next week' as a due time: use 30m, 2h or 1d"):
        rules.parse_due("next week", BERLIN, now=NOW)


def test_a_due_time_must_be_in_the_future():
    rules.check_due(NOW + dt.timedelta(seconds=1), NOW, BERLIN)
    with pytest.raises(BadInput, match=r"^the due time 2026-11-26T10:00\+01:00 is not in the future$"):
        rules.check_due(NOW, NOW, BERLIN)


def test_statuses_and_priorities_are_checked():
    assert rules.parse_status(" In_Progress ") == "in_progress"
    assert rules.parse_priority("URGENT") == "urgent"
    with pytest.raises(BadInput, match=r"^unknown priority 'asap': use low, normal, high or urgent$"):
        rules.parse_priority("asap")
    with pytest.raises(BadInput, match=r"^unknown status 'done': use open, in_progress, escalated, resolved or closed$"):
        rules.parse_status("done")


def test_numbers_are_normalised_to_digits_like_the_recorder():
    assert normalise_number("+49 (30) 123-4567") == "49301234567"
    assert normalise_number("anonymous") == ""
