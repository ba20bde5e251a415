"""Read AMI header values safely and cheaply.

An AMI message is a mapping of header name to a str, or to a list of str when a header was
repeated. Anything may be missing, garbled or huge, so every reader here accepts any object and
returns a safe value instead of raising. The common case (a short str) takes the first branch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from aiivr.events import DeviceState

#: Free text (names, caller ids, reasons, paths) is cut to this length: a 10 MB caller name must
#: not reach the database.
MAX_TEXT = 1024
#: Asterisk's own limit for a uniqueid/linkedid is 150 (AST_MAX_UNIQUEID); an id longer than this
#: is not an id, and truncating it would merge unrelated calls.
MAX_ID = 150
#: Longest number we parse; longer digit strings are garbage (and int() on them is slow).
_MAX_DIGITS = 20
#: Timestamps outside [0, this) are garbage (this is the year 5138).
_MAX_EPOCH = 1e11

# Placeholders Asterisk writes where it has no value.
_NO_VALUE = frozenset({"<unknown>", "<null>", "<none>"})

_FLAGS = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False}
_DEVICE_STATES = tuple(DeviceState)


def text(value: object) -> str:
    """A header as text; a repeated header gives its first value; anything else gives ""."""
    if type(value) is str:
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT]
    if type(value) is list:
        for item in value:
            if type(item) is str:
                return text(item)
    return ""


def caller_text(value: object) -> str:
    """Caller id text, with Asterisk's '<unknown>' placeholder read as no value."""
    value = text(value)
    return "" if value in _NO_VALUE else value


def ident(value: object) -> str:
    """A channel or call id, or "" when it is missing or unusable.

    A repeated header whose values all agree is that value; values that disagree are no id."""
    if type(value) is str:
        if 0 < len(value) <= MAX_ID and value not in _NO_VALUE:
            return value
        return ""
    if type(value) is list and value:
        first = ident(value[0])
        for item in value:
            if item != first:
                return ""
        return first
    return ""


def _first_text(value: object) -> object:
    """A repeated header's first text value, or the value itself."""
    if type(value) is list:
        for item in value:
            if type(item) is str:
                return item
    return value


def integer(value: object) -> int | None:
    if type(value) is not str:
        value = _first_text(value)
    if type(value) is str and 0 < len(value) <= _MAX_DIGITS:
        try:
            return int(value)
        except ValueError:
            return None
    return None


def decimal(value: object) -> float | None:
    if type(value) is not str:
        value = _first_text(value)
    if type(value) is str and 0 < len(value) <= _MAX_DIGITS:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if -1e15 < number < 1e15 else None  # rejects nan and inf too
    return None


def epoch(value: object) -> int | None:
    """Whole epoch seconds; Asterisk writes 0 for never."""
    number = integer(value)
    return number if number and 0 < number < _MAX_EPOCH else None


def flag(value: object) -> bool | None:
    if type(value) is not str:
        value = _first_text(value)
    if type(value) is str:
        return _FLAGS.get(value.lower() if len(value) <= 5 else "")
    return None


def device_state(value: object) -> DeviceState | None:
    number = integer(value)
    if number is not None and 0 <= number < len(_DEVICE_STATES):
        return _DEVICE_STATES[number]
    return None


def hms_seconds(value: object) -> int | None:
    """'HH:MM:SS' (CoreShowChannel's Duration) as seconds."""
    value = _first_text(value)
    if type(value) is not str or len(value) > _MAX_DIGITS:
        return None
    parts = value.split(":")
    if len(parts) != 3:
        return None
    hours, minutes, seconds = (integer(part) for part in parts)
    if hours is None or minutes is None or seconds is None:
        return None
    return hours * 3600 + minutes * 60 + seconds


def event_time(message: Mapping[str, object], now: float | None) -> float:
    """When the event happened: the PBX's Timestamp header (timestampevents=yes), else the time a
    capture received it (`_rx`), else `now`, else the clock."""
    raw = message.get("Timestamp")
    if type(raw) is not str:
        raw = _first_text(raw)
    if type(raw) is str and len(raw) <= 32:
        try:
            stamp = float(raw)
        except ValueError:
            stamp = -1.0
        if 0.0 <= stamp < _MAX_EPOCH:
            return stamp
    received = message.get("_rx")
    if type(received) is float or type(received) is int:
        if 0.0 <= received < _MAX_EPOCH:
            return float(received)
    if now is not None:
        return now
    return time.time()
