"""Shared by the vault, recordings and playback tests: WAV files like MixMonitor's, a
config whose spool is a chroot-like folder behind path_map, and finished calls."""

from __future__ import annotations

import datetime as dt
import math
import struct
import wave
from pathlib import Path

from sqlmodel import select

from aiivr import config as config_mod
from aiivr.models.calls import Call
from aiivr.models.recordings import Recording
from aiivr.playback import AudioFormat, OutputUnavailable
from tests.unit.test_queries_calls import insert_call

PBX_SPOOL = "/var/spool/asterisk/recordings"  # what Asterisk calls the spool, as in the lab


def tone_frames(seconds: float, *, rate: int = 8000, hz: float = 440.0, channels: int = 1) -> bytes:
    """16-bit little-endian samples of a sine: audio whose every sample is known."""
    count = int(seconds * rate)
    samples = (int(8000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count))
    return b"".join(struct.pack("<h", s) * channels for s in samples)


def write_wav(path: Path, seconds: float, *, rate: int = 8000, hz: float = 440.0, channels: int = 1) -> bytes:
    """A WAV like MixMonitor writes (8 kHz, 16-bit); returns its data frames."""
    frames = tone_frames(seconds, rate=rate, hz=hz, channels=channels)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return frames


def vault_config(database_url: str, tmp_path: Path) -> config_mod.Config:
    """Vault in tmp/vault; the PBX's spool is tmp/pbxroot/var/spool/... (a chroot)."""
    spool = tmp_path / "pbxroot" / PBX_SPOOL.lstrip("/")
    spool.mkdir(parents=True, exist_ok=True)
    return config_mod.parse(
        f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{database_url}"\n'
        f'[recordings]\ndir = "{tmp_path / "vault"}"\nspool_dir = "{spool}"\n'
        f'path_map = {{ "{PBX_SPOOL}" = "{spool}" }}\n'
        '[outbound]\noriginate_channel = "Local/{extension}@phones/n"\n', env={})


def recorded_call(db, config, *, agent, name: str, seconds: float | None = 2.0, ended_at: dt.datetime,
                  hz: float = 440.0) -> tuple[int, Path, bytes]:
    """A finished call whose MixMonitor file lies in the spool. seconds=None: header only
    (an abandoned call under MixMonitor b). Returns (call id, spool file, data frames)."""
    call_id = insert_call(db, agent=agent, started_at=ended_at - dt.timedelta(minutes=4))
    spool_file = Path(config.recordings.spool_dir) / name
    frames = write_wav(spool_file, seconds or 0, hz=hz)
    with db.write() as session:
        call = session.get(Call, call_id)
        call.recording_path, call.ended_at = f"{PBX_SPOOL}/{name}", ended_at
        session.add(call)
    return call_id, spool_file, frames


def stored_rows(db) -> list[Recording]:
    with db.read() as session:
        return list(session.exec(select(Recording).order_by(Recording.id)))


class FakeOutput:
    """An aiivr.playback Output that keeps what it was given (or fails to open)."""

    def __init__(self, fail: str | None = None) -> None:
        self.fail, self.fmt, self.data, self.closed = fail, None, b"", False

    def open(self, fmt: AudioFormat) -> None:
        if self.fail:
            raise OutputUnavailable(self.fail)
        self.fmt = fmt

    def write(self, frames: bytes) -> None:
        self.data += frames

    def close(self) -> None:
        self.closed = True
