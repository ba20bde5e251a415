"""Anchoring the audit chain outside the database.

Someone who can write the database can rebuild the whole hash chain from the first
entry they edit. `aiivr serve` therefore appends the chain head (seq and hash) to a
separate append-only file every minute; `aiivr audit verify` checks that every
anchored head is still in the chain. A rebuilt chain no longer matches its anchors.
The file should live where the database's writers cannot rewrite it (another
account, chattr +a, or a remote log).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from aiivr import paths
from aiivr.db import Database
from aiivr.models.audit import AuditEntry, AuditHead


def default_path() -> Path:
    return paths.data_dir() / "audit-anchor.log"


def append_head(db: Database, path: Path) -> bool:
    """Append the current head if it moved since the last anchor. True when written."""
    with db.read() as session:
        head = session.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return False
    last = _last_line(path)
    if last is not None and last.split(" ")[:2] == [str(head.seq), head.hash]:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "a") as handle:
        handle.write(f"{head.seq} {head.hash} {stamp}\n")
        handle.flush()
        os.fsync(handle.fileno())
    return True


def _last_line(path: Path) -> str | None:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return None
    return lines[-1] if lines else None


@dataclass(frozen=True)
class AnchorBreak:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.problem}"


def check(db: Database, path: Path) -> tuple[int, AnchorBreak | None]:
    """(anchors checked, the first anchor the chain no longer matches, or None)."""
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return 0, None
    with db.read() as session:
        for number, parts in enumerate(lines, start=1):
            if len(parts) < 2 or not parts[0].isdigit():
                return number - 1, AnchorBreak(0, f"anchor file {path} line {number} is unreadable")
            seq, hash_ = int(parts[0]), parts[1]
            entry = session.exec(select(AuditEntry).where(AuditEntry.seq == seq)).first()
            if entry is None:
                return number - 1, AnchorBreak(seq, f"anchored at {parts[2] if len(parts) > 2 else '?'} but gone from the log")
            if entry.hash != hash_:
                return number - 1, AnchorBreak(seq, "its hash differs from the one anchored outside the database "
                                                    "(the chain was rebuilt)")
    return len(lines), None
