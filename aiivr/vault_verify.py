"""Checking the vault against the recording rows: missing, altered and orphaned files.

Quick (the default): every row's file exists, is a regular file of the stored size and
its name still matches the stored hash; every file in the vault belongs to a row.
Full (`rehash`): the same, and every file is read and hashed again, which is what
catches a byte changed in place. `aiivr serve` runs the quick check often and the full
one daily, and raises an alert when either finds something (docs/recordings.md).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import select

from aiivr.alerts import raise_alert
from aiivr.db import Database
from aiivr.models.recordings import CRITICAL, Recording
from aiivr.vault import MISSING, ORPHANED, Vault

log = logging.getLogger("aiivr.vault")
ALERT_KIND = "recording_vault"


class VerifyStopped(Exception):
    """check_vault was asked to stop before it had looked at every file: no report."""


@dataclass(frozen=True)
class Finding:
    kind: str  # missing | altered | orphaned
    vault_path: str
    call_id: int | None  # None for an orphaned file
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    checked: int  # recording rows looked at
    full: bool  # every file was read and hashed again
    files: int  # files found in the vault
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        out = {kind: 0 for kind in (MISSING, "altered", ORPHANED)}
        for finding in self.findings:
            out[finding.kind] += 1
        return out

    def summary(self) -> str:
        if self.ok:
            return (f"vault ok: {self.checked} recordings checked"
                    + (", every file re-hashed" if self.full else " (names and sizes; --all re-hashes)"))
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts().items() if n)
        return f"vault problems: {counts} ({self.checked} recordings checked)"


def check_vault(db: Database, vault: Vault, *, rehash: bool, stop: Callable[[], bool] | None = None) -> VerifyReport:
    """stop: asked between files; True ends the check with VerifyStopped (serve shutting down
    in the middle of a full re-hash, which can take long on a big vault)."""
    # The files are listed before the rows are read: a file stored while we look is
    # then at worst unlisted, never taken for an orphan because its row came later.
    on_disk = set(vault.files())
    with db.read() as session:
        rows = session.exec(select(Recording.call_id, Recording.vault_path, Recording.sha256, Recording.size)
                            .order_by(Recording.id)).all()
    findings: list[Finding] = []
    named: set[str] = set()
    for call_id, vault_path, sha256, size in rows:
        if stop is not None and stop():
            raise VerifyStopped(f"stopped after {len(named)} of {len(rows)} recordings")
        named.add(vault_path)
        problem = vault.check(vault_path, sha256, size, rehash=rehash)
        if problem is not None:
            findings.append(Finding(problem.kind, vault_path, call_id, problem.detail))
    for orphan in sorted(on_disk - named):
        findings.append(Finding(ORPHANED, orphan, None, "in the vault, but no recording names it"))
    return VerifyReport(checked=len(rows), full=rehash, files=len(on_disk), findings=findings)


def alert_on(db: Database, report: VerifyReport) -> bool:
    """Raise one critical alert for what a scheduled check found (once while it stays
    unacknowledged and the findings stay the same). Returns whether a row was added."""
    if report.ok:
        return False
    listed = "; ".join(f"{f.kind} {f.vault_path}" + (f" (call {f.call_id})" if f.call_id else "")
                       for f in report.findings[:10])
    more = f" and {len(report.findings) - 10} more" if len(report.findings) > 10 else ""
    key = hashlib.sha256(repr(sorted((f.kind, f.vault_path) for f in report.findings)).encode()).hexdigest()
    log.error("%s: %s%s", report.summary(), listed, more)
    with db.write() as session:
        alert = raise_alert(session, ALERT_KIND, CRITICAL, f"{report.summary()}: {listed}{more}", key=key,
                            detail={"counts": report.counts(),
                                    "findings": [f.__dict__ for f in report.findings[:100]]})
    return alert is not None
