"""`aiivr recording ...`: exit codes, one-line errors, output; the terminal player's keys."""

import datetime as dt
import json
import sys
import time

import pytest

from aiivr import outbox
from aiivr.db import utcnow
from aiivr.playback import Player
from aiivr.vault import Vault
from aiivr.vault_intake import Intake
from cli import recording_player
from tests.cli.conftest import Aiivr
from tests.conftest import ADMIN_PASSWORD
from tests.unit.vault_helpers import FakeOutput, recorded_call, stored_rows, vault_config, write_wav


@pytest.fixture
def desk(db, people, database_url, tmp_path, capsys, monkeypatch):
    """alice's and bob's calls, recorded and stored; the CLI on the same database and vault."""
    cfg = vault_config(database_url, tmp_path)
    ended = utcnow() - dt.timedelta(minutes=5)
    alice_call, _, _ = recorded_call(db, cfg, agent=people.agent, name="a.wav", seconds=2.0, ended_at=ended)
    bob_call, _, _ = recorded_call(db, cfg, agent=people.agent2, name="b.wav", seconds=1.0, ended_at=ended)
    Intake(db, cfg, clock=lambda: time.time() + 30).run_once()
    path = tmp_path / "aiivr.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n[recordings]\ndir = "{cfg.recordings.dir}"\n'
                    f'spool_dir = "{cfg.recordings.spool_dir}"\n')
    monkeypatch.setenv("COLUMNS", "250")
    return Aiivr(path, capsys, monkeypatch), cfg, alice_call, bob_call


def test_list_shows_an_agent_its_own_and_a_supervisor_everyones(desk):
    cli, _, alice_call, bob_call = desk
    cli.login("alice", "alice-password")
    result = cli("recording", "list", "--json")
    assert result.code == 0, result.err
    page = json.loads(result.out)
    assert [(i["call_id"], i["agent"], i["duration_seconds"], i["format"]) for i in page["items"]] == \
        [(alice_call, "alice", 2.0, "wav")] and page["next"] is None
    cli.login("sue", "sue-password")
    assert [i["call_id"] for i in json.loads(cli("recording", "list", "--json").out)["items"]] == [bob_call, alice_call]


def test_export_writes_the_wav_and_refuses_to_overwrite(desk, tmp_path, db):
    cli, cfg, alice_call, _ = desk
    cli.login("alice", "alice-password")
    out = tmp_path / "mine.wav"
    result = cli("recording", "export", str(alice_call), "--out", str(out))
    assert result.code == 0, result.err
    row = next(r for r in stored_rows(db) if r.call_id == alice_call)
    assert out.read_bytes() == Vault(cfg.recordings.dir).path_of(row.vault_path).read_bytes()
    assert f"sha256 {row.sha256}" in result.err
    again = cli("recording", "export", str(alice_call), "--out", str(out))
    assert (again.code, again.err.strip()) == (1, f"error: {out} already exists: choose another --out")


def test_an_agent_reaching_for_another_agents_call_gets_exit_3(desk, tmp_path):
    cli, _, _, bob_call = desk
    cli.login("alice", "alice-password")
    for args in (("play", str(bob_call)), ("export", str(bob_call), "--out", str(tmp_path / "x.wav"))):
        result = cli("recording", *args)
        assert (result.code, result.err.strip()) == (
            3, f"error: call {bob_call} is not yours: agents hear only their own calls' recordings")


def test_play_without_an_audio_output_says_why_and_offers_export(desk, monkeypatch):
    cli, _, alice_call, _ = desk
    monkeypatch.setitem(sys.modules, "pyaudio", None)
    cli.login("alice", "alice-password")
    result = cli("recording", "play", str(alice_call))
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: no audio output: pyaudio is not installed (pip install 'aiivr[audio]'); "
        f"save it instead: aiivr recording export {alice_call} --out FILE"]


def test_on_the_phone_needs_an_extension_and_a_running_serve(desk, monkeypatch):
    cli, _, alice_call, _ = desk
    cli.login("alice", "alice-password")
    result = cli("recording", "play", str(alice_call), "--on-phone")
    assert result.code == 1 and "alice has no phone extension" in result.err
    cli.login("admin", ADMIN_PASSWORD)
    added = cli("user", "add", "carol", "--role", "supervisor", "--extension", "1003", "--password-stdin",
                stdin="carol-password\n")
    assert added.code == 0, added.err
    monkeypatch.setattr(outbox, "WAIT_SECONDS", 0.3)  # no serve in this test: nobody picks it up
    monkeypatch.setattr(outbox, "RING_SECONDS", 0)
    cli.login("carol", "carol-password")
    result = cli("recording", "play", str(alice_call), "--on-phone")
    assert result.code == 4
    assert result.err.splitlines()[0] == f"ringing your phone: answer it to hear the recording of call {alice_call}"
    assert "did not pick it up" in result.err and "withdrawn" in result.err


def test_verify_names_each_problem_and_exits_1(desk, db):
    cli, cfg, alice_call, bob_call = desk
    cli.login("sue", "sue-password")
    assert cli("recording", "verify").code == 3
    cli.login("admin", ADMIN_PASSWORD)
    clean = cli("recording", "verify", "--all")
    assert (clean.code, clean.err.strip()) == (0, "vault ok: 2 recordings checked, every file re-hashed")
    vault = Vault(cfg.recordings.dir)
    altered, removed = (next(r for r in stored_rows(db) if r.call_id == c) for c in (alice_call, bob_call))
    path = vault.path_of(altered.vault_path)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[60] ^= 0x10
    path.write_bytes(bytes(data))
    vault.path_of(removed.vault_path).unlink()
    write_wav(vault.root / "planted.wav", 0.5)
    result = cli("recording", "verify", "--all", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert sorted((f["kind"], f["vault_path"], f["call_id"]) for f in report["findings"]) == sorted([
        ("altered", altered.vault_path, alice_call), ("missing", removed.vault_path, bob_call),
        ("orphaned", "planted.wav", None)])
    assert result.err.strip() == "vault problems: 1 missing, 1 altered, 1 orphaned (2 recordings checked)"
    table = cli("recording", "verify")  # quick: the same-size edit needs --all
    assert table.code == 1 and "planted.wav" in table.out and removed.vault_path in table.out
    assert altered.vault_path not in table.out


def test_the_player_keys_pause_seek_and_quit(tmp_path):
    path = tmp_path / "x.wav"
    write_wav(path, 30.0)
    player = Player(path, FakeOutput())
    assert recording_player.progress_line(player).startswith("playing 0:00 / 0:30")
    assert recording_player.apply_keys(b" ", player) is False and player.paused
    assert recording_player.progress_line(player).startswith("paused  0:00 / 0:30")
    recording_player.apply_keys(b"\x1b[C\x1b[C", player)
    assert player.position == 20.0
    recording_player.apply_keys(b"\x1bOD", player)  # application cursor mode sends ESC O D
    assert player.position == 10.0
    assert recording_player.apply_keys(b"q", player) is True and player.finished
    assert recording_player.clock(3725) == "1:02:05"


def test_without_a_terminal_it_plays_through_and_prints_one_line(tmp_path, capsys):
    path = tmp_path / "x.wav"
    frames = write_wav(path, 1.0)
    output = FakeOutput()
    recording_player.play(Player(path, output))
    assert output.data == frames
    assert capsys.readouterr().err == "played 0:01 of 0:01\n"
