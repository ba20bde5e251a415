"""Tamper tests: a byte changed, a file removed, a file added, each named by verify; the
scheduled check raises one alert row for what it finds."""

import datetime as dt
import json
import time

import pytest
from sqlmodel import select

from aiivr.db import utcnow
from aiivr.models.recordings import Alert
from aiivr.vault import Vault
from aiivr.vault_intake import Intake
from aiivr.vault_verify import VerifyReport, alert_on, check_vault
from tests.unit.vault_helpers import recorded_call, stored_rows, vault_config


@pytest.fixture
def vaulted(db, people, database_url, tmp_path):
    """Three calls' recordings stored by the intake: (config, vault, rows)."""
    cfg = vault_config(database_url, tmp_path)
    for n, hz in enumerate((440, 550, 660)):
        recorded_call(db, cfg, agent=people.agent, name=f"support-{n}.wav", hz=hz,
                      ended_at=utcnow() - dt.timedelta(minutes=5))
    Intake(db, cfg, clock=lambda: time.time() + 30).run_once()
    rows = stored_rows(db)
    assert len(rows) == 3
    return cfg, Vault(cfg.recordings.dir), rows


def writable(path):
    path.chmod(0o644)
    return path


def test_an_untouched_vault_verifies(db, vaulted):
    _, vault, _ = vaulted
    report = check_vault(db, vault, rehash=True)
    assert (report.ok, report.checked, report.files, report.findings) == (True, 3, 3, [])


def test_a_changed_byte_a_removed_file_and_an_added_file_are_each_named(db, vaulted):
    _, vault, (changed, removed, _kept) = vaulted
    path = writable(vault.path_of(changed.vault_path))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one bit of the last sample: same size
    path.write_bytes(bytes(data))
    vault.path_of(removed.vault_path).unlink()
    added = vault.root / "ab" / ("ab" + "0" * 62 + ".wav")
    added.parent.mkdir(exist_ok=True)
    added.write_bytes(b"RIFF not ours")

    full = check_vault(db, vault, rehash=True)
    assert sorted((f.kind, f.vault_path, f.call_id) for f in full.findings) == sorted([
        ("altered", changed.vault_path, changed.call_id),
        ("missing", removed.vault_path, removed.call_id),
        ("orphaned", f"ab/ab{'0' * 62}.wav", None),
    ])
    assert full.counts() == {"missing": 1, "altered": 1, "orphaned": 1}
    quick = check_vault(db, vault, rehash=False)  # the same-size edit needs the full re-hash
    assert sorted(f.kind for f in quick.findings) == ["missing", "orphaned"]


def test_a_file_stored_under_another_name_is_an_orphan_and_its_row_missing(db, vaulted):
    _, vault, (moved, *_rest) = vaulted
    source = vault.path_of(moved.vault_path)
    source.rename(vault.root / "moved.wav")
    kinds = {(f.kind, f.vault_path) for f in check_vault(db, vault, rehash=False).findings}
    assert kinds == {("missing", moved.vault_path), ("orphaned", "moved.wav")}


def test_the_scheduled_check_raises_one_alert_until_someone_acknowledges_it(db, vaulted):
    _, vault, (_a, removed, _c) = vaulted
    vault.path_of(removed.vault_path).unlink()
    report = check_vault(db, vault, rehash=False)
    assert alert_on(db, report) is True
    assert alert_on(db, check_vault(db, vault, rehash=False)) is False  # same finding: no second row
    with db.write() as session:
        (alert,) = session.exec(select(Alert)).all()
        assert (alert.kind, alert.severity) == ("recording_vault", "critical")
        assert removed.vault_path in alert.message and "1 missing" in alert.message
        assert json.loads(alert.detail)["counts"] == {"missing": 1, "altered": 0, "orphaned": 0}
        alert.acknowledged = True
        session.add(alert)
    assert alert_on(db, check_vault(db, vault, rehash=False)) is True  # still wrong, raised again
    assert alert_on(db, VerifyReport(checked=0, full=False, files=0)) is False  # nothing found: no row


async def test_serve_stopping_mid_verify_returns_promptly_and_raises_no_alert(db, vaulted, monkeypatch):
    """A full re-hash of a big vault takes long; serve's stop() waits only for the file in hand.
    (Bounded by a generous timeout: it checks stop() does not hang, not its speed.)"""
    import asyncio
    import threading

    from pbx_bridge.vault_component import VaultComponent

    cfg, vault, _ = vaulted
    in_first_file, stop_asked = threading.Event(), threading.Event()

    def slow_check(self, *args, **kwargs):
        if not in_first_file.is_set():
            in_first_file.set()
            stop_asked.wait(10)
            return None
        time.sleep(30)  # any later file: a big one
        return None

    monkeypatch.setattr(Vault, "check", slow_check)
    component = VaultComponent()
    component.vault, component._db, component.intake = vault, db, Intake(db, cfg, vault=vault)
    job = asyncio.create_task(component.run_now("vault-verify-full"))
    assert await asyncio.to_thread(in_first_file.wait, 10)
    stopping = asyncio.create_task(component.stop())
    await asyncio.sleep(0.05)
    stop_asked.set()
    async with asyncio.timeout(10):
        await stopping
        await job
    with db.read() as session:
        assert session.exec(select(Alert)).all() == []  # a half-done check says nothing
    await component.run_now("vault-verify")  # a job that starts once stopping does not run
    assert component.runs["vault-verify"] == 0
