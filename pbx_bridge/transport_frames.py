"""AMI bytes -> frames -> plain dicts. Pure functions, no I/O; the protocol calls them per read.

Why not panoramisk's parser: AMIProtocol.data_received decodes every TCP read on its own with
errors='ignore', so a multi-byte character split across two reads silently loses both halves
("José" -> "Jos"), and its Message (a case-insensitive dict filled key by key) costs more than
half of panoramisk's whole event rate. Here bytes are split on the ASCII frame terminator first
and only whole frames are decoded, which makes the decoding incremental by construction: a
terminator can never fall inside a UTF-8 sequence.
"""

from __future__ import annotations

FRAME_END = b"\r\n\r\n"
EOL = "\r\n"
FRAME_SEPARATOR = EOL + EOL
# No real AMI message comes near this (a big Command output is a few MB); a peer that sends
# more without a terminator has lost the framing, and the session is dropped.
MAX_FRAME_BYTES = 16 * 1024 * 1024

AmiMessage = dict[str, "str | list[str]"]


class FrameTooLarge(Exception):
    """More than MAX_FRAME_BYTES arrived without a frame terminator."""


class FrameBuffer:
    """Accumulates reads; hands back the decoded text of every frame completed so far."""

    __slots__ = ("_pending", "_scan_from", "max_bytes")

    def __init__(self, max_bytes: int = MAX_FRAME_BYTES):
        self._pending = bytearray()
        self._scan_from = 0  # where a terminator could start; avoids rescanning a long partial frame
        self.max_bytes = max_bytes

    def feed(self, data: bytes) -> list[str]:
        pending = self._pending
        pending += data
        end = pending.rfind(FRAME_END, self._scan_from)
        if end < 0:
            self._scan_from = max(0, len(pending) - 3)
            if len(pending) > self.max_bytes:
                size = len(pending)
                pending.clear()
                self._scan_from = 0
                raise FrameTooLarge(f"{size} bytes without a frame terminator")
            return []
        # 'replace', not 'ignore': a stray invalid byte shows up as U+FFFD instead of
        # silently shortening a name.
        text = pending[:end].decode("utf-8", "replace")
        del pending[: end + 4]
        self._scan_from = max(0, len(pending) - 3)
        return text.split(FRAME_SEPARATOR)

    def __len__(self) -> int:
        return len(self._pending)


def parse_frame(frame: str) -> AmiMessage:
    """One frame's "Key: value" lines as a dict; a repeated key gives a list, in order.

    Lines without ": " (the banner, blank lines, noise) are skipped, as panoramisk does.
    """
    lines = frame.split(EOL)
    try:
        # Fast path for the common frame: every line "Key: value", no key repeated.
        message = dict([line.split(": ", 1) for line in lines])
    except ValueError:
        return _parse_lines(lines)
    if len(message) != len(lines):
        return _parse_lines(lines)
    return message


def _parse_lines(lines: list[str]) -> AmiMessage:
    message: AmiMessage = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            continue
        seen = message.get(key)
        if seen is None:
            message[key] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            message[key] = [seen, value]
    return message
