"""Reading and verifying the audit log (admins only)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlmodel import select

from aiivr import audit
from aiivr.errors import BadInput
from aiivr.models.audit import AuditEntry
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


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditView]
    next: str | None


def list_entries(ctx: Ctx, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
                 actor: str | None = None, action: str | None = None, outcome: str | None = None,
                 limit: int = 50, after: str | None = None) -> AuditPage:
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
    return AuditPage(items=items, next=str(page[-1].seq) if len(rows) > limit else None)


def verify_log(ctx: Ctx) -> tuple[int, audit.Break | None]:
    """Walk the chain, then record that it was checked and what was found."""
    audit.authorize(ctx, "audit.read")
    with ctx.db.read() as session:
        checked, broken = audit.verify(session)
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, "audit.verify", outcome=audit.OK if broken is None else audit.FAILED,
                     detail={"checked": checked, "break": str(broken) if broken else None})
    return checked, broken
