"""The recording vault against the real Asterisk 22 lab, with `aiivr serve` running it:
answered and outbound calls' recordings land in the vault with the right hash and
duration, abandoned calls leave none, the spool is emptied; `serve` killed between copy
and row stores the recording exactly once after a restart; a recording plays on a phone.

The vault lies inside the lab's root and is mapped in path_map like the spool, so that
Asterisk can open its files for Playback (docs/recordings.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import uuid
import wave
from pathlib import Path

import pytest
from sqlmodel import select

from aiivr import config as config_mod
from aiivr.db import Database
from aiivr.models import QueueMember
from aiivr.models.outbox import OutboxCommand
from aiivr.models.users import Role, User
from aiivr.models.recordings import RecordingSkip
from aiivr.principal import BOOTSTRAP, Ctx, Principal
from aiivr.services import recordings, users
from aiivr.vault import Vault
from aiivr.vault_verify import check_vault
from pbx_bridge import lab_calls
from pbx_bridge.lab_config import PBX_RECORDINGS
from pbx_bridge.vault_component import VaultComponent
from tests.integration.serve_helpers import ALICE, add_members, lab_config, recorded_calls, serving, wait_until
from tests.unit.vault_helpers import stored_rows

pytestmark = pytest.mark.lab
CRASHING_SERVE = """
import os, sys, time
from aiivr import vault_intake

def record(self, candidate, stored, duration):
    # Injected crash point: the file is in the vault, its row is not written yet.
    with open(os.environ["VAULT_TEST_MARKER"], "w") as marker:
        marker.write(stored.relative)
    time.sleep(3600)

vault_intake.Intake.record = record
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""
SERVE = "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def vaulted_lab(clean_lab, database_url, tmp_path):
    """(lab, config path, config, db): a vault inside the lab root, mapped for the PBX."""
    lab = clean_lab
    pbx_vault = f"/var/lib/aiivr-vault-test/{uuid.uuid4().hex[:8]}"
    vault_dir = lab.root / pbx_vault.lstrip("/")
    path, _ = lab_config(lab, database_url, tmp_path)
    with path.open("a") as handle:
        handle.write(f'[recordings]\ndir = "{vault_dir}"\nspool_dir = "{lab.spool_dir}"\n'
                     f'path_map = {{ "{PBX_RECORDINGS}" = "{lab.spool_dir}", "{pbx_vault}" = "{vault_dir}" }}\n'
                     '[outbound]\noriginate_channel = "Local/{extension}@phones/n"\ncontext = "outbound"\n')
    cfg = config_mod.load(path, env={})
    db = Database(database_url)
    users.add_user(Ctx(db=db, config=cfg, actor=BOOTSTRAP), name="alice", role="agent", password="alice-password",
                   interface=ALICE, extension="1001")
    yield lab, path, cfg, db
    db.dispose()
    shutil.rmtree(vault_dir, ignore_errors=True)
    try:
        vault_dir.parent.rmdir()  # the slot is kept between sessions: leave it as it was
    except OSError:
        pass  # another session's vault is still in there


def _spool_files(lab) -> list[Path]:
    return sorted(p for p in lab.spool_dir.glob("*") if p.is_file())


def _originate(lab, headers: dict) -> str:
    with lab.ami() as client:
        action_id = client.send("Originate", **headers)
        done = client.wait_for("OriginateResponse", ActionID=action_id, timeout=30)
    assert done["Response"] == "Success", done
    return done["Uniqueid"]


def _snapshot(lab) -> dict[str, bytes]:
    """The spool's files as Asterisk left them (before serve takes them), by PBX name."""
    return {f"{PBX_RECORDINGS}/{p.name}": p.read_bytes() for p in _spool_files(lab)}


def _stored_and_skipped(db) -> tuple[int, int]:
    with db.read() as session:
        skipped = len(session.exec(select(RecordingSkip)).all())
    return len(stored_rows(db)), skipped


async def test_answered_and_outbound_calls_are_stored_abandoned_ones_are_not(vaulted_lab):
    lab, _, cfg, db = vaulted_lab
    async with serving(lab, cfg, db, ("support", "1001", "alice")) as service:  # the default components
        assert any(isinstance(c, VaultComponent) for c in service.components)  # the vault among them
        # serve waits until a file has been quiet for 2 s: there is time to keep what Asterisk wrote.
        written: dict[str, bytes] = {}
        for place_call in (
            lambda: lab.originate_customer("support", talk=3, ring=1, wait=30, callerid="5550501"),
            lambda: lab.originate_customer("support", noanswer="1", wait=3, callerid="5550502"),
            lambda: _originate(lab, lab_calls.outbound("1002", "5551234", talk=2, ring=1)),
        ):
            await asyncio.to_thread(place_call)
            await asyncio.to_thread(lab.wait_idle)
            written.update(await asyncio.to_thread(_snapshot, lab))
        assert len(written) == 3
        await wait_until(lambda: _stored_and_skipped(db) == (2, 1), timeout=30, what="two stored, one skipped")
        await wait_until(lambda: _spool_files(lab) == [], timeout=15, what="the spool emptied")

    calls = {c.caller_num: c for c in recorded_calls(db)}
    outbound = next(c for c in calls.values() if c.direction == "outbound")
    vault = Vault(cfg.recordings.dir)
    rows = {r.call_id: r for r in stored_rows(db)}
    assert set(rows) == {calls["5550501"].id, outbound.id}
    for call, talk in ((calls["5550501"], 3.0), (outbound, 2.0)):
        row = rows[call.id]
        original = written[call.recording_path]
        assert row.source_path == call.recording_path
        assert row.sha256 == hashlib.sha256(original).hexdigest() == hashlib.sha256(
            vault.path_of(row.vault_path).read_bytes()).hexdigest()
        assert row.size == len(original) and row.format == "wav"
        with wave.open(str(vault.path_of(row.vault_path))) as audio:
            assert row.duration_seconds == audio.getnframes() / audio.getframerate()
        assert abs(row.duration_seconds - talk) < 0.6, (row.duration_seconds, talk)  # recorded while bridged
        assert stat.S_IMODE(vault.path_of(row.vault_path).stat().st_mode) == 0o444
    abandoned = calls["5550502"]
    assert abandoned.disposition == "abandoned" and len(written[abandoned.recording_path]) == 44
    with db.read() as session:
        (skip,) = session.exec(select(RecordingSkip)).all()
    assert (skip.call_id, skip.reason) == (abandoned.id, "header_only")
    assert sorted(vault.files()) == sorted(r.vault_path for r in rows.values())
    assert check_vault(db, vault, rehash=True).ok


async def test_serve_killed_between_copy_and_row_stores_the_recording_once_after_restart(vaulted_lab, tmp_path):
    lab, path, cfg, db = vaulted_lab
    marker = tmp_path / "crashed-at"
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "VAULT_TEST_MARKER": str(marker)}
    argv = ["--config", str(path), "serve", "--log-level", "warning"]
    serve = subprocess.Popen([sys.executable, "-c", CRASHING_SERVE, *argv], env=env, stderr=subprocess.PIPE, text=True)
    try:
        await asyncio.to_thread(add_members, lab, ("support", "1001", "alice"))
        await wait_until(lambda: _members_seen(db), timeout=20, what="serve to be up")
        await asyncio.to_thread(lab.originate_customer, "support", talk=2, ring=1, wait=30, callerid="5550601")
        await asyncio.to_thread(lab.wait_idle)
        (spool_file,) = _spool_files(lab)
        original = spool_file.read_bytes()
        await wait_until(marker.exists, timeout=30, what="serve to reach the injected crash point")
        serve.send_signal(signal.SIGKILL)
        serve.wait(10)
    finally:
        if serve.poll() is None:
            serve.kill()
    vault = Vault(cfg.recordings.dir)
    relative = marker.read_text()
    # The crash point: both copies exist, no row; verify sees the vault copy as an orphan.
    assert spool_file.read_bytes() == original
    assert vault.path_of(relative).read_bytes() == original
    assert stored_rows(db) == []
    assert [(f.kind, f.vault_path) for f in check_vault(db, vault, rehash=True).findings] == [("orphaned", relative)]

    serve = subprocess.Popen([sys.executable, "-c", SERVE, *argv], env=env, stderr=subprocess.PIPE, text=True)
    try:
        await wait_until(lambda: len(stored_rows(db)) == 1 and not _spool_files(lab), timeout=30,
                         what="the restarted serve to finish the job")
        await asyncio.sleep(6)  # another intake round: it must not store it twice
    finally:
        serve.send_signal(signal.SIGTERM)
        _, err = serve.communicate(timeout=20)
    assert serve.returncode == 0, err
    (row,) = stored_rows(db)
    assert (row.vault_path, row.sha256) == (relative, hashlib.sha256(original).hexdigest())
    assert list(vault.files()) == [relative]
    assert check_vault(db, vault, rehash=True).ok


async def test_a_recording_plays_on_the_users_phone(vaulted_lab):
    """Through the whole path: the service writes the outbox command, serve's executor
    originates the phone, Asterisk runs Playback of the vault file via the mapped path."""
    lab, _, cfg, db = vaulted_lab
    async with serving(lab, cfg, db, ("support", "1001", "alice")):
        await asyncio.to_thread(lab.originate_customer, "support", talk=2, ring=1, wait=30, callerid="5550701")
        await asyncio.to_thread(lab.wait_idle)
        await wait_until(lambda: len(stored_rows(db)) == 1, timeout=30, what="the recording stored")
        with db.read() as session:
            alice = session.exec(select(User).where(User.name == "alice")).one()
        ctx = Ctx(db=db, config=cfg, actor=Principal("alice", Role.agent, alice.id))
        log = lab.root / "var/log/asterisk/messages.log"
        log_start = log.stat().st_size
        command = await asyncio.to_thread(recordings.play_on_phone, ctx, stored_rows(db)[0].call_id)
        answered = await asyncio.to_thread(recordings.wait_on_phone, ctx, command)
        await asyncio.to_thread(lab.wait_idle)  # Playback ends, the phone call with it
    with log.open("rb") as handle:
        handle.seek(log_start)
        heard = handle.read().decode(errors="replace")
    data = json.loads(next(iter(_payloads(db))))["data"]
    assert answered.status == "done" and answered.outcome["channel"].startswith("Local/1001@phones-")
    # Asterisk found the vault file through the mapped path (it names the format it decodes).
    assert f"Launching Playback({data})" in heard and f"Playing '{data}." in heard, heard[-2000:]
    assert "Unable to open" not in heard and "streamfile" not in heard.lower()


def _payloads(db) -> list[str]:
    with db.read() as session:
        return [c.payload for c in session.exec(select(OutboxCommand).where(OutboxCommand.action == "recording.play"))]


def _members_seen(db) -> bool:
    with db.read() as session:
        return session.exec(select(QueueMember)).first() is not None
