"""The recordings service: who may list, play and export what, that each play and export
is audited, that an altered file is never handed out, and that changes are refused."""

import datetime as dt
import json
import time

import pytest
from sqlmodel import select

from aiivr.db import utcnow
from aiivr.errors import BadInput, NotFound, PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.models.users import Role
from aiivr.permissions import MATRIX
from aiivr.playback import AudioFormat, OutputUnavailable
from aiivr.principal import Ctx
from aiivr.services import recordings
from aiivr.vault import Vault
from aiivr.vault_intake import Intake
from tests.unit.vault_helpers import FakeOutput, recorded_call, stored_rows, vault_config


@pytest.fixture
def desk(db, people, database_url, tmp_path):
    """alice's call (1.5 s of 440 Hz) and bob's call (1 s), both stored."""
    cfg = vault_config(database_url, tmp_path)
    ended = utcnow() - dt.timedelta(minutes=5)
    alice_call, _, alice_frames = recorded_call(db, cfg, agent=people.agent, name="a.wav", seconds=1.5, ended_at=ended)
    bob_call, _, _ = recorded_call(db, cfg, agent=people.agent2, name="b.wav", seconds=1.0, ended_at=ended)
    Intake(db, cfg, clock=lambda: time.time() + 30).run_once()
    return cfg, alice_call, bob_call, alice_frames


def ctx_for(db, cfg, principal) -> Ctx:
    return Ctx(db=db, config=cfg, actor=principal)


def audit_rows(db, action: str) -> list[tuple[str, str, str]]:
    with db.read() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).all()
    return [(e.actor, e.target, e.outcome) for e in rows]


def test_agents_list_their_own_recordings_supervisors_all(db, people, desk):
    cfg, alice_call, bob_call, _ = desk
    mine = recordings.list_recordings(ctx_for(db, cfg, people.agent))
    assert [(r.call_id, r.agent, r.duration_seconds) for r in mine.items] == [(alice_call, "alice", 1.5)]
    everyone = recordings.list_recordings(ctx_for(db, cfg, people.supervisor), limit=1)
    assert [r.call_id for r in everyone.items] == [bob_call] and everyone.next is not None
    rest = recordings.list_recordings(ctx_for(db, cfg, people.supervisor), limit=1, after=everyone.next)
    assert [r.call_id for r in rest.items] == [alice_call] and rest.next is None


def test_a_play_plays_the_stored_samples_and_is_audited(db, people, desk):
    cfg, alice_call, _, frames = desk
    output = FakeOutput()
    player = recordings.start_playback(ctx_for(db, cfg, people.agent), alice_call, output)
    player.run()
    assert output.data == frames and output.fmt == AudioFormat(8000, 1, 2) and output.closed
    assert audit_rows(db, "recording.play") == [("alice", f"call:{alice_call}", "ok")]
    with db.read() as session:
        detail = json.loads(session.exec(select(AuditEntry.detail).where(AuditEntry.action == "recording.play")).one())
    assert detail["sha256"] == stored_rows(db)[0].sha256 and detail["where"] == "terminal"


def test_no_output_means_nothing_played_and_nothing_audited(db, people, desk):
    cfg, alice_call, _, _ = desk
    with pytest.raises(OutputUnavailable, match="no audio output: no output device found"):
        recordings.start_playback(ctx_for(db, cfg, people.agent), alice_call,
                                  FakeOutput(fail="no audio output: no output device found"))
    assert audit_rows(db, "recording.play") == []


@pytest.mark.parametrize("verb", ["play", "export"])
def test_an_agent_cannot_reach_another_agents_recording_and_the_attempt_is_audited(db, people, desk, tmp_path, verb):
    cfg, _, bob_call, _ = desk
    alice = ctx_for(db, cfg, people.agent)
    with pytest.raises(PermissionDenied, match=f"call {bob_call} is not yours"):
        if verb == "play":
            recordings.start_playback(alice, bob_call, FakeOutput())
        else:
            recordings.export_recording(alice, bob_call, tmp_path / "stolen.wav")
    assert audit_rows(db, "recording.play_all") == [("alice", f"call:{bob_call}", "denied")]
    assert not (tmp_path / "stolen.wav").exists()


def test_export_writes_the_exact_file_and_is_audited(db, people, desk, tmp_path):
    cfg, _, bob_call, _ = desk
    out = tmp_path / "bob.wav"
    result = recordings.export_recording(ctx_for(db, cfg, people.supervisor), bob_call, out)
    row = next(r for r in stored_rows(db) if r.call_id == bob_call)
    assert out.read_bytes() == Vault(cfg.recordings.dir).path_of(row.vault_path).read_bytes()
    assert (result.sha256, result.size, result.duration_seconds) == (row.sha256, row.size, 1.0)
    assert audit_rows(db, "recording.export") == [("sue", f"call:{bob_call}", "ok")]
    with pytest.raises(BadInput, match="already exists"):
        recordings.export_recording(ctx_for(db, cfg, people.supervisor), bob_call, out)


def test_an_altered_file_is_neither_played_nor_exported(db, people, desk, tmp_path):
    cfg, alice_call, _, _ = desk
    row = next(r for r in stored_rows(db) if r.call_id == alice_call)
    path = Vault(cfg.recordings.dir).path_of(row.vault_path)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-2] + b"\x00\x00")
    alice = ctx_for(db, cfg, people.agent)
    with pytest.raises(recordings.RecordingAltered, match="no longer matches its stored hash"):
        recordings.start_playback(alice, alice_call, FakeOutput())
    with pytest.raises(recordings.RecordingAltered):
        recordings.export_recording(alice, alice_call, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()
    assert audit_rows(db, "recording.play") == [("alice", f"call:{alice_call}", "failed")]
    assert audit_rows(db, "recording.export") == [("alice", f"call:{alice_call}", "failed")]


def test_a_call_without_a_recording_is_not_found(db, people, desk):
    cfg, *_ = desk
    with pytest.raises(NotFound, match="no call with id 999"):
        recordings.export_recording(ctx_for(db, cfg, people.supervisor), 999, "/tmp/never.wav")


@pytest.mark.parametrize("role", [Role.agent, Role.supervisor, Role.admin])
def test_a_delete_request_is_refused_for_every_role_and_audited(db, people, desk, role):
    cfg, alice_call, _, _ = desk
    before = stored_rows(db)
    with pytest.raises(PermissionDenied, match="no role may delete a stored recording"):
        recordings.request_change(ctx_for(db, cfg, people.by_role(role)), alice_call, what="delete")
    assert audit_rows(db, "recording.alter") == [(people.by_role(role).name, f"call:{alice_call}", "denied")]
    assert stored_rows(db) == before
    assert Vault(cfg.recordings.dir).path_of(before[0].vault_path).exists()
    assert MATRIX["recording.alter"] is None


def test_verify_is_for_admins_and_is_audited(db, people, desk):
    cfg, *_ = desk
    with pytest.raises(PermissionDenied, match="needs an admin"):
        recordings.verify_vault(ctx_for(db, cfg, people.supervisor))
    report = recordings.verify_vault(ctx_for(db, cfg, people.admin), full=True)
    assert report.ok and report.checked == 2
    assert audit_rows(db, "recording.verify") == [("sue", "vault", "denied"), ("admin", "vault", "ok")]
