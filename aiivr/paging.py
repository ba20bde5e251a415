"""One page of a list: what every list service returns (the contract's
{"items": [...], "next": CURSOR_OR_NULL}; pass `next` back as `after` for the next page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None
