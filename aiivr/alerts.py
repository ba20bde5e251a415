"""Raising alert rows (aiivr.models.recordings.Alert), for any feature.

A finding that repeats (a scheduled check that fails every run) raises one row, not
one per run: while an unacknowledged alert of the same kind and key exists, raise()
adds nothing. Writers call it inside their own transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from aiivr import changes
from aiivr.db import utcnow
from aiivr.models.recordings import CRITICAL, INFO, WARNING, Alert

SEVERITIES = (INFO, WARNING, CRITICAL)


def raise_alert(session: Session, kind: str, severity: str, message: str, *, key: str | None = None,
                detail: dict[str, Any] | None = None) -> Alert | None:
    """Add an alert; returns it, or None when the same one is still open."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown alert severity {severity!r} (known: {', '.join(SEVERITIES)})")
    if key is not None:
        open_same = session.exec(select(Alert.id).where(Alert.kind == kind, Alert.dedupe_key == key,
                                                        Alert.acknowledged.is_(False))).first()
        if open_same is not None:
            return None
    alert = Alert(kind=kind, severity=severity, message=message, dedupe_key=key, created_at=utcnow(),
                  detail=json.dumps(detail or {}, sort_keys=True, default=str))
    session.add(alert)
    changes.bump(session, "alerts")
    return alert
