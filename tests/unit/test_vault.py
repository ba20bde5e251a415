"""The content-addressed store: where a file goes, how it gets there, what check() says."""

import hashlib
import os
import stat

import pytest

from aiivr import vault as vault_mod
from aiivr.vault import Vault, VaultError, probe, relative_path
from tests.unit.vault_helpers import write_wav


def test_a_stored_file_is_named_by_its_hash_read_only_and_byte_identical(tmp_path):
    source = tmp_path / "spool" / "support-1.wav"
    write_wav(source, 1.5)
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    stored = Vault(tmp_path / "vault").store(source, "wav")
    assert (stored.sha256, stored.size) == (expected, source.stat().st_size)
    assert stored.relative == f"{expected[:2]}/{expected}.wav" == relative_path(expected, "wav")
    final = tmp_path / "vault" / stored.relative
    assert final.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(final.stat().st_mode) == 0o444
    assert source.exists()  # the vault copies; removing the spool file is the intake's later step
    assert list((tmp_path / "vault" / ".incoming").iterdir()) == []


def test_the_copy_is_durable_before_it_gets_its_name(tmp_path, monkeypatch):
    """fsync the data, make it read-only, rename, then fsync the folder: never a final name
    on a file whose bytes might not be on disk."""
    steps = []
    real_fsync, real_replace, real_chmod = os.fsync, os.replace, os.chmod
    monkeypatch.setattr(vault_mod.os, "fsync", lambda fd: (steps.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(vault_mod.os, "chmod", lambda p, m: (steps.append("chmod"), real_chmod(p, m))[1])
    monkeypatch.setattr(vault_mod.os, "replace", lambda a, b: (steps.append("rename"), real_replace(a, b))[1])
    monkeypatch.setattr(vault_mod, "fsync_dir", lambda p: steps.append(f"fsync-dir:{p.name}"))
    source = tmp_path / "a.wav"
    write_wav(source, 0.5)
    stored = Vault(tmp_path / "vault").store(source, "wav")
    shard = stored.relative.split("/")[0]
    assert steps == ["fsync", "chmod", "rename", f"fsync-dir:{shard}", "fsync-dir:vault"]


def test_storing_the_same_bytes_again_keeps_the_one_file(tmp_path):
    source = tmp_path / "a.wav"
    write_wav(source, 0.5)
    vault = Vault(tmp_path / "vault")
    first, again = vault.store(source, "wav"), vault.store(source, "wav")
    assert first == again
    assert list(vault.files()) == [first.relative]


def test_other_bytes_under_a_files_name_are_never_overwritten(tmp_path):
    source = tmp_path / "a.wav"
    write_wav(source, 0.5)
    vault = Vault(tmp_path / "vault")
    stored = vault.store(source, "wav")
    final = vault.path_of(stored.relative)
    final.chmod(0o644)
    final.write_bytes(b"tampered")
    with pytest.raises(VaultError, match="other contents"):
        vault.store(source, "wav")
    assert final.read_bytes() == b"tampered"  # left as evidence for verify


def test_half_made_copies_are_cleaned_and_never_listed(tmp_path):
    vault = Vault(tmp_path / "vault")
    incoming = tmp_path / "vault" / ".incoming"
    incoming.mkdir(parents=True)
    (incoming / "123-support.wav.part").write_bytes(b"RIFF")
    source = tmp_path / "a.wav"
    write_wav(source, 0.2)
    stored = vault.store(source, "wav")
    assert list(vault.files()) == [stored.relative]
    assert vault.clean_incoming() == 1
    assert list(incoming.iterdir()) == []
    assert vault.path_of(stored.relative).exists()


def test_check_names_missing_resized_renamed_and_rehash_only_catches_same_size_edits(tmp_path):
    source = tmp_path / "a.wav"
    write_wav(source, 0.5)
    vault = Vault(tmp_path / "vault")
    s = vault.store(source, "wav")
    assert vault.check(s.relative, s.sha256, s.size, rehash=True) is None
    assert vault.check(s.relative, s.sha256, s.size + 1, rehash=False).kind == "altered"
    other = "f" * 64
    assert vault.check(s.relative, other, s.size, rehash=False).detail.startswith("the stored hash")
    path = vault.path_of(s.relative)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert vault.check(s.relative, s.sha256, s.size, rehash=False) is None  # same size: quick check passes
    assert vault.check(s.relative, s.sha256, s.size, rehash=True).kind == "altered"
    path.unlink()
    assert vault.check(s.relative, s.sha256, s.size, rehash=True).kind == "missing"


def test_probe_tells_header_only_files_and_durations(tmp_path):
    empty, talk = tmp_path / "abandoned.wav", tmp_path / "answered.wav"
    write_wav(empty, 0)
    write_wav(talk, 2.5)
    assert empty.stat().st_size == 44  # what MixMonitor leaves for a call never bridged
    assert probe(empty).header_only and probe(empty).duration_seconds == 0
    info = probe(talk)
    assert (info.format, info.header_only, info.duration_seconds) == ("wav", False, 2.5)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + os.urandom(200))
    assert probe(broken) == vault_mod.AudioInfo("wav", None, False)  # kept as evidence, no duration
    # Asterisk stopped mid-call (a crash): the header was never updated and says 0 frames,
    # but the audio is there. Never taken for header-only (which would be thrown away).
    unfinished = tmp_path / "unfinished.wav"
    data = bytearray(talk.read_bytes())
    data[40:44] = b"\x00\x00\x00\x00"  # the data chunk's size, as before the close
    data[4:8] = (36).to_bytes(4, "little")
    unfinished.write_bytes(bytes(data))
    assert probe(unfinished) == vault_mod.AudioInfo("wav", 2.5, False)
    gsm = tmp_path / "x.gsm"
    gsm.write_bytes(b"\x00" * 33)
    assert probe(gsm) == vault_mod.AudioInfo("gsm", None, False)
