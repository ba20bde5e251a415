"""`aiivr recording play` in a terminal: a progress line and keys over aiivr.playback.

On a terminal: space pauses and resumes, ←/→ seek ±10 s, q quits; the line shows
elapsed/total and is redrawn in place on stderr (stdout stays data). Without a terminal
(a script, a pipe) it plays to the end and prints one final line.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import threading
import tty
from typing import TextIO

from aiivr.playback import SEEK_SECONDS, Player

KEYS_HELP = "space pause/resume · ←/→ 10 s · q quit"
_RIGHT = (b"\x1b[C", b"\x1bOC")  # normal and application cursor-key modes
_LEFT = (b"\x1b[D", b"\x1bOD")


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600 else f"{whole // 60}:{whole % 60:02d}"


def progress_line(player: Player) -> str:
    state = "paused " if player.paused else "playing"
    return f"{state} {clock(player.position)} / {clock(player.duration)}   {KEYS_HELP}"


def apply_keys(data: bytes, player: Player) -> bool:
    """Act on the bytes one read gave; True when the user asked to quit."""
    i = 0
    while i < len(data):
        three = data[i:i + 3]
        if three in _RIGHT or three in _LEFT:
            player.seek(SEEK_SECONDS if three in _RIGHT else -SEEK_SECONDS)
            i += 3
            continue
        key = data[i:i + 1]
        if key in (b"q", b"Q", b"\x03"):  # \x03: Ctrl-C arrives as a byte in cbreak mode
            player.stop()
            return True
        if key == b" ":
            player.toggle()
        i += 1
    return False


def play(player: Player, *, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
    """Run the player to its end (or q), with keys and a live line when on a terminal."""
    stdin = stdin or sys.stdin
    out = out or sys.stderr
    interactive = stdin.isatty() and out.isatty()
    worker = threading.Thread(target=player.run, name="aiivr-playback", daemon=True)
    if not interactive:
        worker.start()
        worker.join()
        print(f"played {clock(player.position)} of {clock(player.duration)}", file=out)
        return
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        worker.start()
        while worker.is_alive():
            out.write("\r" + progress_line(player) + "\x1b[K")
            out.flush()
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready and apply_keys(os.read(fd, 16), player):
                break
    except KeyboardInterrupt:
        player.stop()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        worker.join()
        out.write("\r" + progress_line(player) + "\x1b[K\n")
        out.flush()
