"""The recorder against real Asterisk 22 traffic (tests/fixtures/lab-*.jsonl, captured
from the lab) — exact rows, and agreement with Asterisk's own queue_log of the same run."""

import pytest
from sqlmodel import select

from aiivr.models import Call, QueueEntry
from aiivr.recorder import Recorder
from pbx_bridge.replay import read_capture, replay
from tests.unit.recorder_helpers import FIXTURES, LAB_CAPTURES, dump, events_of, queue_log_of, statuses
from tests.unit.translator_helpers import without_callers_channel

ALICE, BOB = "Local/1001@agents/n", "Local/1002@agents/n"


@pytest.fixture
def record(db, config):
    recorders = []

    def run(*names, batch: int | None = None):
        recorder = Recorder(db, config)
        recorders.append(recorder)
        for name in names:
            events = events_of(name)
            size = batch or len(events) or 1
            for i in range(0, len(events), size):
                recorder.apply(events[i:i + size])
        return recorder

    yield run
    for recorder in recorders:
        recorder.close()


def _calls(db):
    with db.read() as s:
        return {c.linkedid: c for c in s.exec(select(Call))}


def _entries(db):
    with db.read() as s:
        return {(e.uniqueid, e.queue): e for e in s.exec(select(QueueEntry))}


@pytest.mark.parametrize("name", [n for n in LAB_CAPTURES if n not in ("pause", "outbound")])
def test_queue_entries_agree_with_asterisks_queue_log(db, record, name):
    record(name)
    ours = _entries(db)
    theirs = queue_log_of(name)
    assert set(ours) == set(theirs)
    for key, expected in theirs.items():
        entry = ours[key]
        assert entry.outcome == expected.outcome, key
        assert entry.wait_seconds == pytest.approx(expected.wait_seconds, abs=1.0), key
        if expected.talk_seconds is not None:
            assert entry.talk_seconds == pytest.approx(expected.talk_seconds, abs=1.0), key
        assert entry.member_name == expected.agent, key
        assert entry.completed_by == expected.completed_by, key
        assert entry.ended_at is not None


def test_answered_call_with_csat_and_recording(db, record):
    record("answered")
    (call,) = _calls(db).values()
    assert (call.direction, call.disposition, call.caller_num, call.queue) == ("inbound", "answered", "5550001", "support")
    assert (call.agent_interface, call.agent_name, call.csat_score) == (ALICE, "alice", 5)
    assert call.wait_seconds == 1.0 and call.talk_seconds == 3.0
    assert call.recording_path.startswith("/var/spool/asterisk/recordings/support-") and call.recording_path.endswith(".wav")
    assert call.answered_at is not None and call.ended_at > call.answered_at
    kinds = [t[2] for t in dump(db)["timeline"]]
    assert kinds == ["queued", "ringing", "connected", "completed", "csat", "recording_stopped"]
    assert statuses(db, ALICE) == [("online", None), ("ringing", None), ("on_call", None), ("online", None),
                                   ("offline", None)]


def test_abandoned_and_timed_out_are_told_apart(db, record):
    record("abandoned", "timeout")
    dispositions = sorted((c.caller_num, c.disposition) for c in _calls(db).values())
    assert dispositions == [("5550002", "abandoned"), ("5550003", "timed_out")]
    kinds = {t[2] for t in dump(db)["timeline"]}
    assert "abandoned" in kinds and "timed_out" in kinds
    # The ringing agent stops ringing when the caller gives up; it was never on a call.
    assert ("on_call", None) not in statuses(db, ALICE)


def test_ring_no_answer_is_a_miss_for_that_agent_only(db, record):
    record("ringnoanswer")
    timeline = dump(db)["timeline"]
    misses = [t for t in timeline if t[2] == "ring_no_answer"]
    assert [(m[4]) for m in misses] == [ALICE]
    (call,) = _calls(db).values()
    assert (call.disposition, call.agent_interface) == ("answered", BOB)


def test_transfer_counts_talk_in_both_queues(db, record):
    record("transfer")
    (call,) = _calls(db).values()
    assert call.talk_seconds == 4.0 and call.csat_score == 4
    kinds = [t[2] for t in dump(db)["timeline"]]
    assert "transfer" in kinds and kinds.count("connected") == 2 and "transferred" in kinds


def test_pause_with_reason_is_status_history(db, record):
    record("pause")
    assert statuses(db, ALICE) == [("online", None), ("paused", "lunch"), ("online", None), ("offline", None)]


def test_spy_sessions_land_on_the_agents_call_timeline(db, record):
    record("spy")
    calls = _calls(db)
    customer = next(c for c in calls.values() if c.queue == "support")
    spied = [t for t in dump(db)["timeline"] if t[0] == customer.linkedid and t[2].startswith("spy_")]
    assert [t[2] for t in spied] == ["spy_start", "spy_stop"] * 3


def test_outbound_call_is_outbound_answered_and_attributed_to_the_agents_phone(db, config, record):
    from aiivr.principal import BOOTSTRAP, Ctx
    from aiivr.services import users

    ctx = Ctx(db=db, config=config, actor=BOOTSTRAP)
    alice = users.add_user(ctx, name="alice", role="agent", password="alice-password", extension="1001")
    record("outbound")
    (call,) = _calls(db).values()
    assert call.direction == "outbound" and call.recording_path.startswith("/var/spool/asterisk/recordings/outbound-")
    assert (call.disposition, call.agent_user_id) == ("answered", alice.id)
    assert call.talk_seconds == pytest.approx(3.0, abs=0.5)  # the lab's far end talks TALK=3 s


def test_every_call_is_closed_after_each_capture(db, record):
    record(*LAB_CAPTURES)
    assert all(c.ended_at is not None and c.disposition != "open" for c in _calls(db).values())


def test_replaying_the_same_traffic_changes_nothing(db, record):
    record(*LAB_CAPTURES)
    first = dump(db)
    record(*LAB_CAPTURES)
    assert dump(db) == first


def test_batch_boundaries_do_not_matter(db, config, record, tmp_path):
    record(*LAB_CAPTURES)
    whole = dump(db)
    from aiivr.db import Database
    from aiivr.services import setup
    from aiivr import config as config_mod
    from tests.conftest import make_database_url, drop_database_url

    backend = "postgres" if db.url.startswith("postgresql") else "sqlite"
    url = make_database_url(backend, tmp_path)
    other = Database(url)
    cfg = config_mod.parse(f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{url}"\n', env={})
    recorder = Recorder(other, cfg)
    for name in LAB_CAPTURES:
        for event in events_of(name):
            recorder.apply([event])
    recorder.close()
    assert dump(other) == whole
    other.dispose()
    drop_database_url(url)


def test_a_restart_of_serve_mid_call_loses_and_duplicates_nothing(db, config, record):
    events = events_of("two-queues")
    half = len(events) // 2
    first = Recorder(db, config)
    first.apply(events[:half])
    first.close()  # serve stops mid-call
    second = Recorder(db, config)  # and starts again, loading open rows back
    second.apply(events[half:])
    second.close()
    after_restart = dump(db)
    assert len(after_restart["entries"]) == 4 and len(after_restart["calls"]) == 4
    assert all(c[2] != "open" for c in after_restart["calls"])
    record("two-queues")  # the whole stream again, in one go: nothing changes
    assert dump(db) == after_restart


@pytest.mark.parametrize("late", [False, True], ids=["in its place", "after the call was written"])
def test_an_agent_complete_without_the_callers_channel_completes_the_answered_entry(db, config, late):
    """Asterisk 22 leaves the caller's channel block out of AgentComplete when that channel is
    gone (seen in the lab). The member and the queue still name the answered entry: in memory,
    or in the database when the call had ended and been written before the event came."""
    messages = list(read_capture(FIXTURES / "lab-answered.jsonl"))
    at = next(i for i, m in enumerate(messages) if m.get("Event") == "AgentComplete")
    complete = without_callers_channel(messages.pop(at))
    recorder = Recorder(db, config)
    if late:
        recorder.apply(list(replay(messages)))
        assert _entries(db)[("aiivr-lab-1795673118.1", "support")].talk_seconds is None  # the call is over
        recorder.apply(list(replay([complete])))
    else:
        recorder.apply(list(replay(messages[:at] + [complete] + messages[at:])))
    recorder.close()
    (key, expected), = queue_log_of("answered").items()
    entry = _entries(db)[key]
    assert (entry.outcome, entry.talk_seconds, entry.completed_by) == ("answered", expected.talk_seconds, "agent")
    assert _calls(db)[entry.linkedid].talk_seconds == expected.talk_seconds
