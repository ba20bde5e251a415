"""Phone numbers as AIIVR compares them (repeat callers, FCR, callbacks, prefix search)."""

from __future__ import annotations

WITHHELD = frozenset({"", "anonymous", "unknown", "<unknown>", "private", "restricted", "withheld"})


def normalise_number(number: str) -> str:
    """Digits only; "" for a withheld number, so withheld callers never match each other."""
    if number.strip().lower() in WITHHELD:
        return ""
    return "".join(ch for ch in number if ch.isdigit())
