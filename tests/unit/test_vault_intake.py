"""The intake: finished calls' recordings move from the spool into the vault exactly once,
header-only files are not stored, and a crash at any step loses nothing."""

import datetime as dt
import hashlib
import json
import pathlib
import time

import pytest
from sqlmodel import select

from aiivr.db import utcnow
from aiivr.models.audit import AuditEntry
from aiivr.models.calls import Call
from aiivr.models.recordings import Alert, RecordingSkip
from aiivr.vault import Vault
from aiivr.vault_intake import SKIPPED, STORED, WAITING, Intake
from tests.unit.vault_helpers import PBX_SPOOL, recorded_call, stored_rows, vault_config, write_wav


class Crash(Exception):
    """Stands for the process dying at that point."""


@pytest.fixture
def cfg(database_url, tmp_path):
    return vault_config(database_url, tmp_path)


def intake(db, cfg, **kwargs) -> Intake:
    # The clock runs 30 s ahead, so files just written count as quiet (settled).
    return Intake(db, cfg, clock=lambda: time.time() + 30, **kwargs)


def ended(minutes: float = 1) -> dt.datetime:
    return utcnow() - dt.timedelta(minutes=minutes)


def test_an_answered_calls_recording_is_stored_with_its_hash_and_duration(db, people, cfg):
    call_id, spool_file, _ = recorded_call(db, cfg, agent=people.agent, name="support-1.wav", seconds=2.5,
                                           ended_at=ended())
    original = spool_file.read_bytes()
    report = intake(db, cfg).run_once()
    assert report.outcomes == {call_id: STORED}
    (row,) = stored_rows(db)
    sha = hashlib.sha256(original).hexdigest()
    assert (row.call_id, row.sha256, row.size, row.duration_seconds, row.format) == (call_id, sha, len(original), 2.5, "wav")
    assert (row.vault_path, row.source_path) == (f"{sha[:2]}/{sha}.wav", f"{PBX_SPOOL}/support-1.wav")
    assert Vault(cfg.recordings.dir).path_of(row.vault_path).read_bytes() == original
    assert not spool_file.exists()
    with db.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "recording.store")).one()
    assert (entry.actor, entry.target, json.loads(entry.detail)["sha256"]) == ("system", f"call:{call_id}", sha)
    assert intake(db, cfg).run_once().outcomes == {}  # decided once: nothing pending any more


def test_a_header_only_file_is_not_stored_and_leaves_the_spool(db, people, cfg):
    call_id, spool_file, _ = recorded_call(db, cfg, agent=None, name="support-2.wav", seconds=None, ended_at=ended())
    assert intake(db, cfg).run_once().outcomes == {call_id: SKIPPED}
    assert stored_rows(db) == [] and not spool_file.exists()
    assert list(Vault(cfg.recordings.dir).files()) == []
    with db.read() as session:
        (skip,) = session.exec(select(RecordingSkip)).all()
    assert (skip.call_id, skip.reason) == (call_id, "header_only")


def test_calls_still_running_or_files_still_being_written_wait(db, people, cfg):
    running, running_file, _ = recorded_call(db, cfg, agent=people.agent, name="a.wav", ended_at=ended())
    with db.write() as session:
        call = session.get(Call, running)
        call.ended_at = None
        session.add(call)
    fresh, fresh_file, _ = recorded_call(db, cfg, agent=people.agent, name="b.wav", ended_at=ended())
    real_clock = Intake(db, cfg, settle=5)  # b.wav was written just now: not quiet for 5 s yet
    assert real_clock.run_once().outcomes == {fresh: WAITING}
    assert running_file.exists() and fresh_file.exists() and stored_rows(db) == []


def test_a_file_that_never_arrives_is_given_up_once_with_a_warning(db, people, cfg):
    call_id, spool_file, _ = recorded_call(db, cfg, agent=people.agent, name="lost.wav", ended_at=ended(minutes=1))
    spool_file.unlink()
    assert intake(db, cfg, missing_after=300).run_once().outcomes == {call_id: WAITING}
    assert intake(db, cfg, missing_after=30).run_once().outcomes == {call_id: SKIPPED}
    assert intake(db, cfg, missing_after=30).run_once().outcomes == {}
    with db.read() as session:
        alerts = session.exec(select(Alert)).all()
        skip = session.exec(select(RecordingSkip)).one()
    assert [(a.kind, a.severity) for a in alerts] == [("recording_intake", "warning")]
    assert "lost.wav" in alerts[0].message and skip.reason == "missing"
    # It turns up after all (a slow shared mount): the sweep stores it rather than lose it.
    write_wav(spool_file, 1.0)
    assert intake(db, cfg).sweep() == 1
    assert [r.call_id for r in stored_rows(db)] == [call_id] and not spool_file.exists()


def test_many_lost_files_are_given_up_in_one_transaction_with_one_alert(db, people, cfg, monkeypatch):
    """A wrong path_map loses every call's file: one alert naming how many, not one each."""
    lost = []
    for n in range(5):
        call_id, spool_file, _ = recorded_call(db, cfg, agent=people.agent, name=f"lost{n}.wav",
                                               ended_at=ended(minutes=1))
        spool_file.unlink()
        lost.append(call_id)
    writes = []
    real_write = db.write
    monkeypatch.setattr(db, "write", lambda *a, **k: writes.append(1) or real_write(*a, **k))
    assert intake(db, cfg, missing_after=30).run_once().outcomes == dict.fromkeys(lost, SKIPPED)
    assert len(writes) == 1
    with db.read() as session:
        alerts = session.exec(select(Alert)).all()
        skipped = sorted(s.call_id for s in session.exec(select(RecordingSkip)))
    assert skipped == sorted(lost)
    assert len(alerts) == 1 and "the recordings of 5 calls never reached the spool" in alerts[0].message
    assert json.loads(alerts[0].detail)["call_ids"] == sorted(lost)


def test_a_pass_stops_between_files_when_serve_stops(db, people, cfg):
    """serve's stop waits for a running pass: it ends after the file in hand, not after 200."""
    calls = [recorded_call(db, cfg, agent=people.agent, name=f"r{n}.wav", ended_at=ended(minutes=5 - n))[0]
             for n in range(3)]  # oldest first, as a pass takes them
    asked = []
    report = intake(db, cfg).run_once(stop=lambda: asked.append(1) or len(asked) > 1)
    assert report.outcomes == {calls[0]: STORED}
    assert [r.call_id for r in stored_rows(db)] == [calls[0]]
    assert intake(db, cfg).run_once().outcomes == {calls[1]: STORED, calls[2]: STORED}  # the next pass goes on


def _crash_in_rename(monkeypatch):
    monkeypatch.setattr("aiivr.vault.os.replace", _raise)


def _crash_before_row(monkeypatch):
    monkeypatch.setattr(Intake, "record", _raise)


def _crash_before_unlink(monkeypatch, spool_file):
    real_unlink = pathlib.Path.unlink

    def unlink(self, missing_ok=False):
        if self == spool_file:
            raise Crash()
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(pathlib.Path, "unlink", unlink)


def _raise(*_args, **_kwargs):
    raise Crash()


@pytest.mark.parametrize("step", ["copy", "row", "spool removal"])
def test_a_crash_at_any_step_leaves_a_copy_and_the_restart_stores_it_exactly_once(db, people, cfg, monkeypatch, step):
    call_id, spool_file, _ = recorded_call(db, cfg, agent=people.agent, name="crash.wav", ended_at=ended())
    original = spool_file.read_bytes()
    vault = Vault(cfg.recordings.dir)
    with monkeypatch.context() as patch:
        {"copy": lambda: _crash_in_rename(patch), "row": lambda: _crash_before_row(patch),
         "spool removal": lambda: _crash_before_unlink(patch, spool_file)}[step]()
        with pytest.raises(Crash):
            intake(db, cfg).take(intake(db, cfg).pending()[0])
    in_vault = list(vault.files())
    assert spool_file.exists() or in_vault, "the crash lost the recording"
    assert len(stored_rows(db)) == (1 if step == "spool removal" else 0)

    restarted = intake(db, cfg)  # what serve does at start: clean, take what is pending, sweep
    vault.clean_incoming()
    restarted.run_once()
    restarted.sweep()
    (row,) = stored_rows(db)
    assert row.sha256 == hashlib.sha256(original).hexdigest() and row.call_id == call_id
    assert list(vault.files()) == [row.vault_path]
    assert vault.path_of(row.vault_path).read_bytes() == original
    assert not spool_file.exists()


def test_two_intakes_recording_the_same_file_make_one_row(db, people, cfg):
    call_id, spool_file, _ = recorded_call(db, cfg, agent=people.agent, name="twice.wav", ended_at=ended())
    one, two = intake(db, cfg), intake(db, cfg)
    candidate = one.pending()[0]
    stored = Vault(cfg.recordings.dir).store(spool_file, "wav")
    one.record(candidate, stored, 2.0)
    two.record(candidate, stored, 2.0)
    assert [r.call_id for r in stored_rows(db)] == [call_id]


def test_the_sweep_leaves_unknown_files_and_keeps_a_spool_file_that_differs(db, people, cfg):
    call_id, spool_file, _ = recorded_call(db, cfg, agent=people.agent, name="kept.wav", ended_at=ended())
    intake(db, cfg).run_once()
    write_wav(spool_file, 1.0, hz=880)  # same name, other audio: not ours to delete
    stranger = spool_file.with_name("in-progress.wav")
    write_wav(stranger, 1.0)
    assert intake(db, cfg).sweep() == 0
    assert spool_file.exists() and stranger.exists()
    with db.read() as session:
        (alert,) = session.exec(select(Alert)).all()
    assert "differs" in alert.message and alert.severity == "warning"
