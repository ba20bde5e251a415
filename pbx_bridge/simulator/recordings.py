"""MixMonitor's files: short WAV recordings in a spool folder, named like the lab's dialplan.

`<spool>/<queue>-<YYYYmmdd-HHMMSS>-<uniqueid>.wav` for queue calls, `outbound-...` for calls
placed from a phone. Like `MixMonitor(...,b)` they hold only the bridged part: a call that
never reached anyone leaves a 44-byte, header-only file. The audio is a tone pattern (so
playback is not silence), capped at Profile.recording_max_seconds to keep the spool small.

A file appears complete or not at all (written beside, then renamed), so the recording vault
never picks up half a file.
"""

from __future__ import annotations

import math
import os
import time
import wave
from array import array
from pathlib import Path

RATE = 8000  # Hz, 16-bit mono: what MixMonitor writes for narrowband calls
DEFAULT_SPOOL = "/var/spool/asterisk/recordings"


def _second_of_tone() -> bytes:
    """One second: 440 Hz for 0.3 s, quiet for 0.2 s, twice (the lab's Playtones(440/300,0/300))."""
    samples = array("h")
    for n in range(RATE):
        t = n / RATE
        on = (t % 0.5) < 0.3
        samples.append(int(6000 * math.sin(2 * math.pi * 440 * t)) if on else 0)
    return samples.tobytes()


class RecordingWriter:
    def __init__(self, spool_dir: str | os.PathLike | None, max_seconds: float) -> None:
        """spool_dir None: name files as the lab's Asterisk would, write nothing (load runs)."""
        self.spool_dir = Path(spool_dir) if spool_dir is not None else None
        self.max_seconds = max_seconds
        self.written = 0
        self._second = _second_of_tone() if spool_dir is not None else b""
        if self.spool_dir is not None:
            self.spool_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, prefix: str, uniqueid: str, epoch: float) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(epoch))
        folder = str(self.spool_dir) if self.spool_dir is not None else DEFAULT_SPOOL
        return f"{folder}/{prefix}-{stamp}-{uniqueid}.wav"

    def write(self, path: str, bridged_seconds: float) -> None:
        if self.spool_dir is None:
            return
        frames = int(RATE * max(0.0, min(bridged_seconds, self.max_seconds)))
        target = Path(path)
        partial = target.with_name(f".{target.name}.part")
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            whole, rest = divmod(frames, RATE)
            for _ in range(whole):
                out.writeframesraw(self._second)
            out.writeframesraw(self._second[: rest * 2])
        os.replace(partial, target)
        self.written += 1
