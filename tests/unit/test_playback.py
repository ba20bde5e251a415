"""The playback engine: every sample out once, in order; seek, pause/resume and stop from
another thread; one clear line when there is no way to play."""

import sys
import threading
import time

import pytest

from aiivr.playback import AudioFormat, OutputUnavailable, Player, PyAudioOutput
from tests.unit.vault_helpers import FakeOutput, write_wav

RATE = 8000
BYTES_PER_SECOND = RATE * 2


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "call.wav"
    return path, write_wav(path, 25.0, hz=300)


def test_it_plays_every_sample_once_in_chunks_and_reports_progress(wav):
    path, frames = wav
    output, seen = FakeOutput(), []
    player = Player(path, output, chunk_seconds=0.1)
    assert (player.duration, player.format) == (25.0, AudioFormat(8000, 1, 2))
    player.run(on_progress=lambda p: seen.append(p.position))
    assert output.data == frames and output.closed
    assert len(seen) == 250 and seen[0] == pytest.approx(0.1) and seen[-1] == 25.0
    assert player.finished


def test_seeking_moves_by_ten_seconds_within_the_recording(wav):
    path, frames = wav
    output = FakeOutput()
    player = Player(path, output, chunk_seconds=1.0)
    chunks = player.chunks()
    first = next(chunks)  # 0-1 s
    assert player.seek(+10) == 11.0
    after_seek = next(chunks)  # 11-12 s
    assert player.seek(-10) == 2.0
    back = next(chunks)  # 2-3 s
    assert first == frames[:BYTES_PER_SECOND]
    assert after_seek == frames[11 * BYTES_PER_SECOND:12 * BYTES_PER_SECOND]
    assert back == frames[2 * BYTES_PER_SECOND:3 * BYTES_PER_SECOND]
    assert player.seek(-100) == 0.0 and player.seek(+100) == 25.0
    assert list(chunks) == [] and player.finished


def test_pause_holds_the_output_until_resume(wav):
    path, frames = wav
    output = FakeOutput()
    player = Player(path, output, chunk_seconds=0.5)
    player.pause()
    worker = threading.Thread(target=player.run)
    worker.start()
    time.sleep(0.3)
    assert output.data == b"" and worker.is_alive() and player.paused
    assert player.toggle() is False  # resumed
    worker.join(5)
    assert output.data == frames


def test_stop_ends_playback_early_and_closes_the_output(wav):
    path, frames = wav
    output = FakeOutput()
    player = Player(path, output, chunk_seconds=1.0)
    player.run(on_progress=lambda p: p.stop() if p.position >= 3 else None)
    assert output.data == frames[:3 * BYTES_PER_SECOND] and output.closed and player.finished


def test_without_pyaudio_it_says_so_in_one_line(wav, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyaudio", None)  # makes `import pyaudio` fail
    player = Player(wav[0], PyAudioOutput())
    with pytest.raises(OutputUnavailable) as caught:
        player.open()
    assert str(caught.value) == "no audio output: pyaudio is not installed (pip install 'aiivr[audio]')"


def test_a_file_that_is_not_wav_is_refused_clearly(tmp_path):
    bogus = tmp_path / "x.wav"
    bogus.write_bytes(b"not a wav at all")
    with pytest.raises(OutputUnavailable, match="cannot decode x.wav as WAV"):
        Player(bogus, FakeOutput())
