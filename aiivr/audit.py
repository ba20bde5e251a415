"""Append to and verify the hash-chained audit log.

Each entry stores the hash of the one before it; its own hash covers its sequence
number, time, actor, action, target, outcome, detail and that previous hash. Editing,
deleting or reordering entries breaks the chain at the first entry touched, and
`verify` names it. See docs/security.md for what this does and does not protect.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlmodel import Session, select

from aiivr.db import utcnow
from aiivr.models.audit import AuditEntry, AuditHead
from aiivr.permissions import allowed, refusal
from aiivr.principal import Ctx, Principal
from aiivr.errors import PermissionDenied

GENESIS = "0" * 64
OK, DENIED, FAILED = "ok", "denied", "failed"


def entry_hash(entry: AuditEntry) -> str:
    body = json.dumps(
        [entry.seq, entry.at.isoformat(timespec="microseconds"), entry.actor, entry.action,
         entry.target, entry.outcome, entry.detail, entry.prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(session: Session, actor: Principal, action: str, *, target: str = "",
           outcome: str = OK, detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add an entry inside the caller's transaction (it commits with the action)."""
    # Lock the head row: on PostgreSQL concurrent appenders queue here; on SQLite the
    # IMMEDIATE write transaction already serialises them.
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    entry = AuditEntry(
        seq=head.seq + 1, at=utcnow(), actor=actor.name, action=action, target=target,
        outcome=outcome, detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False,
                                           default=str),
        prev_hash=head.hash, hash="",
    )
    entry.hash = entry_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.add(head)
    return entry


def authorize(ctx: Ctx, action: str, *, target: str = "") -> None:
    """Let the actor through, or write a `denied` entry and raise PermissionDenied."""
    if allowed(ctx.actor.role, action):
        return
    with ctx.db.write() as session:
        append(session, ctx.actor, action, target=target, outcome=DENIED)
    raise PermissionDenied(refusal(ctx.actor.role, action))


def record_refusal(ctx: Ctx, action: str, *, target: str = "", reason: str = "") -> None:
    """Audit a refused attempt that the matrix allowed but the rules did not (e.g. scope)."""
    with ctx.db.write() as session:
        append(session, ctx.actor, action, target=target, outcome=DENIED,
               detail={"reason": reason} if reason else None)


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.problem}"


def verify_entries(entries: Iterable[AuditEntry], head: AuditHead | None) -> Break | None:
    """The first place the chain is broken, or None when it is whole.

    entries must come in seq order.
    """
    expected_seq, prev_hash, last_id = 1, GENESIS, 0
    for entry in entries:
        if entry.seq != expected_seq:
            return Break(expected_seq, f"missing (deleted): the next entry found is {entry.seq}")
        if entry.id is not None and entry.id < last_id:
            return Break(entry.seq, "out of order: stored before the entry it follows (reordered)")
        if entry.prev_hash != prev_hash:
            return Break(entry.seq, "does not follow the entry before it (deleted, inserted or reordered)")
        if entry_hash(entry) != entry.hash:
            return Break(entry.seq, "edited: its contents no longer match its hash")
        expected_seq, prev_hash, last_id = entry.seq + 1, entry.hash, entry.id or last_id
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        if head.seq > last_seq:
            return Break(last_seq + 1, f"missing (deleted): the log ends at {last_seq}, its head says {head.seq}")
        return Break(last_seq, "the chain head does not match the last entry")
    return None


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the whole chain. Returns (entries checked, first break or None)."""
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
    head = session.get(AuditHead, 1)
    return len(entries), verify_entries(entries, head)
