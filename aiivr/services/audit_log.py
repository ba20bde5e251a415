"""Reading and verifying the audit log (admins only)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from aiivr import audit, audit_anchor
from aiivr.errors import BadInput
from aiivr.models.audit import AuditEntry
from aiivr.paging import Page
from aiivr.principal import Ctx


@dataclass(frozen=True)
class AuditView:
    seq: int
    at: str
    actor: str
    action: str
    target: str
    outcome: str
    detail: dict


def list_entries(ctx: Ctx, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
                 actor: str | None = None, action: str | None = None, outcome: str | None = None,
                 limit: int = 50, after: str | None = None) -> Page[AuditView]:
    """Newest first, cursor-paged: `after` is the seq of the last entry already seen."""
    audit.authorize(ctx, "audit.read")
    if not 1 <= limit <= 1000:
        raise BadInput("--limit must be between 1 and 1000")
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit + 1)
    if after:
        if not after.isdigit():
            raise BadInput(f"bad cursor {after!r}: pass the `next` value of the previous page")
        query = query.where(AuditEntry.seq < int(after))
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    with ctx.db.read() as session:
        rows = session.exec(query).all()
    page = rows[:limit]
    items = [AuditView(seq=r.seq, at=r.at.astimezone(ctx.config.tz).isoformat(timespec="seconds"),
                       actor=r.actor, action=r.action, target=r.target, outcome=r.outcome,
                       detail=json.loads(r.detail or "{}")) for r in page]
    return Page(items=items, next=str(page[-1].seq) if len(rows) > limit else None)


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken: audit.Break | None
    anchors_checked: int
    anchor_broken: audit_anchor.AnchorBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None and self.anchor_broken is None


def verify_log(ctx: Ctx, *, anchor_path: Path | None = None) -> VerifyResult:
    """Walk the chain and check it against the heads `serve` anchored outside the
    database; then record that it was checked and what was found."""
    audit.authorize(ctx, "audit.read")
    with ctx.db.read() as session:
        checked, broken = audit.verify(session)
    anchors, anchor_broken = audit_anchor.check(ctx.db, anchor_path or audit_anchor.default_path())
    result = VerifyResult(checked, broken, anchors, anchor_broken)
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, "audit.verify", outcome=audit.OK if result.ok else audit.FAILED,
                     detail={"checked": checked, "break": str(broken) if broken else None,
                             "anchors": anchors, "anchor_break": str(anchor_broken) if anchor_broken else None})
    return result
