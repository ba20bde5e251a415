"""The outbox's life cycle on both databases: claim, time to live, outcome, withdraw, wait."""

import datetime as dt

import pytest

from aiivr import outbox
from aiivr.errors import PbxError
from aiivr.models.outbox import DONE, EXPIRED, FAILED, PENDING, SENT
from tests.unit.live_ops_helpers import NOW, commands

S = dt.timedelta(seconds=1)


def write(db, action="agent.pause", *, at=NOW, ttl=30, target="user:alice"):
    with db.write() as session:
        return outbox.enqueue(session, actor="alice", action=action, target=target, payload={"reason": "lunch"},
                              now=at, ttl_seconds=ttl).id


def claim(db, now, *, connected=True):
    with db.write() as session:
        return [c.id for c in outbox.claim(session, now=now, connected=connected)]


def states(db):
    return [(c.id, c.status, c.result) for c in commands(db)]


def test_connected_serve_claims_pending_commands_oldest_first(db):
    first, second = write(db), write(db, "agent.unpause", at=NOW + S)
    with db.read() as session:
        assert outbox.has_pending(session)
    with db.read_connection() as connection:  # how serve asks it
        assert outbox.has_pending(connection)
    assert claim(db, NOW + 2 * S) == [first, second]
    (a, b) = commands(db)
    assert (a.status, a.sent_at, b.status) == (SENT, NOW + 2 * S, SENT)
    assert claim(db, NOW + 3 * S) == []  # claimed once: never sent twice
    with db.read() as session:
        assert not outbox.has_pending(session)
    with db.read_connection() as connection:
        assert not outbox.has_pending(connection)


def test_a_command_waits_while_serve_is_not_connected_and_runs_if_still_in_time(db):
    command = write(db, ttl=30)
    assert claim(db, NOW + 10 * S, connected=False) == []
    assert states(db) == [(command, PENDING, "")]
    assert claim(db, NOW + 29 * S) == [command]


@pytest.mark.parametrize("connected", [True, False])
def test_past_its_time_to_live_it_expires_and_is_never_sent(db, connected):
    late, fresh = write(db, ttl=5), write(db, at=NOW + 4 * S, ttl=5)
    # at exactly expires_at it is too late already
    assert claim(db, NOW + 5 * S, connected=connected) == ([fresh] if connected else [])
    assert states(db)[0] == (late, EXPIRED, "expired: not sent within its time to live of 5 s")
    # the late one never goes; the fresh one goes once serve is connected, in time
    assert claim(db, NOW + 6 * S) == ([] if connected else [fresh])
    assert states(db)[0][1] == EXPIRED


def test_finish_records_asterisks_answer(db):
    command = write(db)
    claim(db, NOW + S)
    with db.write() as session:
        outbox.finish(session, command, FAILED, "Interface not found", now=NOW + 2 * S, outcome={"x": 1})
    (row,) = commands(db)
    assert (row.status, row.result, row.finished_at, outbox.outcome_of(row)) == (FAILED, "Interface not found",
                                                                              NOW + 2 * S, {"x": 1})


def test_a_command_a_dead_serve_sent_is_failed_and_never_sent_again(db):
    sent, pending = write(db), write(db, target="user:bob")
    claim(db, NOW + S)
    pending = write(db, target="user:carol")
    with db.write() as session:
        assert outbox.fail_interrupted(session, now=NOW + 5 * S) == 2
    assert [s[1] for s in states(db)] == [FAILED, FAILED, PENDING]
    assert states(db)[0][2] == "serve stopped before Asterisk answered; not sent again"
    assert claim(db, NOW + 6 * S) == [pending]


def test_withdraw_only_takes_back_what_nobody_sent(db):
    first, second = write(db), write(db)
    claim(db, NOW + S)
    third = write(db, at=NOW + 2 * S)
    assert outbox.withdraw(db, first, why="x", now=NOW + 3 * S) is False
    assert outbox.withdraw(db, third, why="the CLI gave up", now=NOW + 3 * S) is True
    assert states(db)[2] == (third, EXPIRED, "withdrawn: the CLI gave up")
    assert claim(db, NOW + 4 * S) == []


def test_a_time_to_live_must_be_positive(db):
    with pytest.raises(ValueError):
        write(db, ttl=0)


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def wait(db, command, *, confirm=lambda s, c: True, timeout=1.0, on_sleep=None):
    clock = FakeClock()

    def sleep(seconds):
        clock.sleep(seconds)
        if on_sleep:
            on_sleep(clock.t)
    return outbox.wait(db, command, confirm=confirm, what="agent.pause user:alice", timeout=timeout, sleep=sleep,
                       clock=clock)


def finish(db, command, status, result):
    with db.write() as session:
        outbox.finish(session, command, status, result, now=NOW + S)


def test_wait_returns_once_done_and_confirmed(db):
    command = write(db)
    seen = []

    def confirm(session, row):
        seen.append(row.status)
        return len(seen) >= 3  # the recorder's row shows up two polls after Asterisk's answer
    finish(db, command, DONE, "Interface paused successfully")
    view = wait(db, command, confirm=confirm)
    assert (view.id, view.status, view.confirmed, view.result) == (command, DONE, True, "Interface paused successfully")
    assert seen == [DONE, DONE, DONE]


def test_wait_fails_with_asterisks_reason(db):
    command = write(db)
    claim(db, NOW + S)
    with pytest.raises(PbxError, match="agent.pause user:alice: Asterisk refused: Interface not found") as refused:
        wait(db, command, on_sleep=lambda t: finish(db, command, FAILED, "Interface not found"))
    assert refused.value.exit_code == 4


def test_wait_on_a_command_nobody_picks_up_withdraws_it(db):
    command = write(db)
    with pytest.raises(PbxError, match=r"did not pick it up within 1 s .*withdrawn, it will not run later"):
        wait(db, command)
    assert states(db) == [(command, EXPIRED, "withdrawn: nobody sent it within 1 s")]
    assert claim(db, NOW + S) == []  # serve coming back later does not send it


@pytest.mark.parametrize("status, message", [
    (SENT, "Asterisk did not answer within 1 s"),
    (DONE, "Asterisk accepted it but its confirming event did not arrive within 1 s"),
])
def test_wait_timeouts_say_how_far_it_got(db, status, message):
    command = write(db)
    claim(db, NOW + S)
    if status == DONE:
        finish(db, command, DONE, "ok")
    with pytest.raises(PbxError, match=message):
        wait(db, command, confirm=lambda s, c: False)
    assert states(db)[0][1] == status


def test_wait_on_an_expired_command(db):
    command = write(db, ttl=1)
    claim(db, NOW + 2 * S)
    with pytest.raises(PbxError, match=r"aiivr serve did not send it in time \(expired: not sent within"):
        wait(db, command)
