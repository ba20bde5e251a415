"""`aiivr recording play` through real PortAudio and ALSA, with no sound card: ALSA's
file plugin is the default device (ALSA_CONFIG_PATH), so what was played lands in a
file, and it must be the recording's samples exactly. Then the same command where ALSA
has no device at all: one line, and the export hint.

Needs the aiivr[audio] extra (pyaudio over portaudio19-dev): `.ci/run` installs both;
in CI a missing pyaudio fails the test instead of skipping it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import wave

import pytest

from aiivr.db import utcnow
from aiivr.principal import Ctx
from aiivr.services import auth
from aiivr.vault import Vault
from aiivr.vault_intake import Intake
from tests.unit.vault_helpers import recorded_call, stored_rows, vault_config

AIIVR = "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))"
# The file plugin writes what the application played, untouched, to `file`; its slave
# (a null device) swallows it at once, so the test does not wait in real time.
FILE_DEVICE = """pcm.!default {{
    type file
    slave.pcm {{ type null }}
    file "{out}"
    format "raw"
}}
"""
NO_DEVICE = "pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n"


@pytest.fixture(autouse=True)
def _pyaudio_present():
    try:
        import pyaudio  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pyaudio is missing: CI must install portaudio19-dev and pip install -e '.[audio]'")
        pytest.skip("pyaudio is not installed (pip install -e '.[audio]')")


@pytest.fixture
def played(db, people, database_url, tmp_path):
    """A stored 3 s recording of alice's call, and a way to run `aiivr` as alice."""
    cfg = vault_config(database_url, tmp_path)
    call_id, _, _ = recorded_call(db, cfg, agent=people.agent, name="support-9.wav", seconds=3.0, hz=523,
                                  ended_at=utcnow() - dt.timedelta(minutes=2))
    Intake(db, cfg, clock=lambda: time.time() + 30).run_once()
    (row,) = stored_rows(db)
    token, _ = auth.create_token(Ctx(db=db, config=cfg, actor=people.admin), "alice")
    config_path = tmp_path / "aiivr.toml"
    config_path.write_text(f'[database]\nurl = "{database_url}"\n[recordings]\ndir = "{cfg.recordings.dir}"\n')

    def run(alsa_config: str, *args: str) -> subprocess.CompletedProcess:
        alsa = tmp_path / "asound.conf"
        alsa.write_text(alsa_config)
        env = {**os.environ, "PYTHONPATH": os.getcwd(), "AIIVR_TOKEN": token, "ALSA_CONFIG_PATH": str(alsa)}
        return subprocess.run([sys.executable, "-c", AIIVR, "--config", str(config_path), *args], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)

    return call_id, Vault(cfg.recordings.dir).path_of(row.vault_path), run


def test_the_samples_played_are_the_recordings(played, tmp_path):
    call_id, stored, run = played
    out = tmp_path / "played.raw"
    result = run(FILE_DEVICE.format(out=out), "recording", "play", str(call_id))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "played 0:03 of 0:03"
    with wave.open(str(stored)) as audio:
        frames = audio.readframes(audio.getnframes())
    assert len(frames) == 3 * 8000 * 2
    assert out.read_bytes() == frames


def test_with_no_output_device_it_says_so_in_one_line_and_offers_export(played):
    call_id, _, run = played
    result = run(NO_DEVICE, "recording", "play", str(call_id))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: no audio output: no output device found; save it instead: aiivr recording export {call_id} --out FILE"]
