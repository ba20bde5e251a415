"""The playback engine the CLI and the agent TUI share: WAV in, chunks out.

`Player` decodes a WAV (the wave module), hands it to an `Output` chunk by chunk and
keeps the position; pause, resume and seek may be called from another thread (a key
reader, a Textual worker) while `run()` plays. Outputs are a small protocol:
`PyAudioOutput` plays through PortAudio (the `aiivr[audio]` extra; pyaudio is imported
only when playing), and says in one line why it cannot when pyaudio or an output device
is missing. Nothing here imports a UI library.
"""

from __future__ import annotations

import contextlib
import os
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

from aiivr.errors import AiivrError

SEEK_SECONDS = 10.0
CHUNK_SECONDS = 0.1  # how late a pause or seek may take effect


class OutputUnavailable(AiivrError):
    """No way to play sound here; the message says why in one line."""

    exit_code = 1


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int
    channels: int
    sample_width: int  # bytes per sample

    @property
    def frame_bytes(self) -> int:
        return self.channels * self.sample_width


class Output(Protocol):
    def open(self, fmt: AudioFormat) -> None: ...

    def write(self, frames: bytes) -> None: ...  # blocks until the device took them

    def close(self) -> None: ...  # lets what was written finish playing


class Player:
    def __init__(self, path: str | os.PathLike, output: Output, *, chunk_seconds: float = CHUNK_SECONDS) -> None:
        try:
            self._wav = wave.open(str(path), "rb")
        except (wave.Error, EOFError) as error:
            raise OutputUnavailable(f"cannot decode {Path(path).name} as WAV: {error}") from None
        self.format = AudioFormat(self._wav.getframerate(), self._wav.getnchannels(), self._wav.getsampwidth())
        self.total_frames = self._wav.getnframes()
        self.chunk_frames = max(1, int(self.format.sample_rate * chunk_seconds))
        self.output = output
        self._frame = 0
        self._paused = False
        self._stopped = False
        self._opened = False
        self._changed = threading.Condition()

    # ---------------------------------------------------------------- state

    @property
    def duration(self) -> float:
        return self.total_frames / self.format.sample_rate

    @property
    def position(self) -> float:
        return self._frame / self.format.sample_rate

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def finished(self) -> bool:
        return self._stopped or self._frame >= self.total_frames

    # ---------------------------------------------------------------- controls (any thread)

    def pause(self) -> None:
        with self._changed:
            self._paused = True

    def resume(self) -> None:
        with self._changed:
            self._paused = False
            self._changed.notify_all()

    def toggle(self) -> bool:
        """Pause or resume; returns whether it is paused now."""
        (self.resume if self._paused else self.pause)()
        return self._paused

    def seek(self, delta_seconds: float) -> float:
        """Move by delta (±SEEK_SECONDS from the keys), kept within the recording."""
        with self._changed:
            target = self._frame + round(delta_seconds * self.format.sample_rate)
            self._frame = min(max(target, 0), self.total_frames)
            self._changed.notify_all()
            return self.position

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    # ---------------------------------------------------------------- playing

    def open(self) -> None:
        """Open the output (raises OutputUnavailable) before anything is played."""
        if not self._opened:
            self.output.open(self.format)
            self._opened = True

    def chunks(self) -> Iterator[bytes]:
        """The frames from the position on, one chunk at a time, honouring pause/seek/stop."""
        while True:
            with self._changed:
                while self._paused and not self._stopped:
                    self._changed.wait()
                if self.finished:
                    return
                self._wav.setpos(self._frame)
                data = self._wav.readframes(min(self.chunk_frames, self.total_frames - self._frame))
                self._frame += len(data) // self.format.frame_bytes
            if not data:
                return
            yield data

    def run(self, on_progress: Callable[["Player"], None] | None = None) -> None:
        """Play to the end (or stop()); calls on_progress after every chunk."""
        self.open()
        try:
            for data in self.chunks():
                self.output.write(data)
                if on_progress is not None:
                    on_progress(self)
        finally:
            self.close()

    def close(self) -> None:
        if self._opened:
            self._opened = False
            self.output.close()
        self._wav.close()


class PyAudioOutput:
    """PortAudio through pyaudio: the default device, blocking writes."""

    def __init__(self) -> None:
        self._audio = None
        self._stream = None

    def open(self, fmt: AudioFormat) -> None:
        try:
            import pyaudio
        except ImportError:
            raise OutputUnavailable("no audio output: pyaudio is not installed (pip install 'aiivr[audio]')") from None
        with _quiet_stderr():  # ALSA and JACK print pages of probing noise on fd 2
            audio = pyaudio.PyAudio()
            try:
                device = audio.get_default_output_device_info()
                self._stream = audio.open(format=audio.get_format_from_width(fmt.sample_width),
                                          channels=fmt.channels, rate=fmt.sample_rate, output=True,
                                          output_device_index=int(device["index"]))
            except (OSError, ValueError) as error:
                audio.terminate()
                reason = "no output device found" if "Default Output Device" in str(error) else str(error)
                raise OutputUnavailable(f"no audio output: {reason}") from None
        self._audio = audio

    def write(self, frames: bytes) -> None:
        self._stream.write(frames)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop_stream()  # blocks until the buffered audio has played
            self._stream.close()
            self._stream = None
        if self._audio is not None:
            with _quiet_stderr():
                self._audio.terminate()
            self._audio = None


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (C libraries write there directly, not via sys.stderr)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
