"""Taking finished recordings from Asterisk's spool into the vault, exactly once.

A call's recording is complete when the call has ended (every channel hung up: a plain
hangup emits no MixMonitorStop, so the end of the call is what counts) and the file has
been quiet for `settle` seconds (MixMonitor closes it just after the hangup). Then, in
this order, each step durable before the next:

    1. copy into the vault while hashing, fsync, read-only, rename, fsync the folders
    2. insert the Recording row (and its audit entry, holding the hash) and commit
    3. remove the spool file

A crash before 2 leaves the spool file (and maybe the vault file): the call is still
pending, and step 1 finds the same bytes already in place. A crash between 2 and 3 leaves
a spool file whose recording is stored: sweep() removes it after checking its hash. So
there is always a spool file or a vault file, and after a restart one row.

Header-only files (MixMonitor `b` on a call that was never bridged: a 44-byte WAV) are
not stored: a RecordingSkip row says so, then the spool file is removed (it holds no
audio). A file still missing `missing_after` seconds after its call ended gets a skip
row and a warning alert. docs/recordings.md has the reasoning.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import exc, exists
from sqlmodel import Session, select

from aiivr import audit, changes, path_map
from aiivr.alerts import raise_alert
from aiivr.config import Config
from aiivr.db import Database
from aiivr.models.calls import Call
from aiivr.models.recordings import CRITICAL, HEADER_ONLY, MISSING, WARNING, Recording, RecordingSkip
from aiivr.principal import SYSTEM
from aiivr.vault import Stored, Vault, VaultError, hash_file, probe

log = logging.getLogger("aiivr.vault")
STORED, SKIPPED, WAITING, FAILED = "stored", "skipped", "waiting", "failed"


@dataclass(frozen=True)
class Candidate:
    call_id: int
    source_path: str  # as the PBX named it
    local: Path  # the same file as seen here
    ended_at: dt.datetime


@dataclass
class IntakeReport:
    outcomes: dict[int, str] = field(default_factory=dict)  # call id -> stored/skipped/waiting/failed

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


class Intake:
    def __init__(self, db: Database, config: Config, *, vault: Vault | None = None, settle: float = 2.0,
                 missing_after: float = 120.0, lookback_days: int = 30, batch: int = 200,
                 clock: Callable[[], float] = time.time) -> None:
        self.db, self.config = db, config
        self.vault = vault or Vault(config.recordings.dir)
        self.settle, self.missing_after, self.batch = settle, missing_after, batch
        self.lookback = dt.timedelta(days=lookback_days)
        self.clock = clock

    # ---------------------------------------------------------------- the pass

    def run_once(self, stop: Callable[[], bool] = lambda: False) -> IntakeReport:
        """One pass over the pending recordings; `stop` is asked between files (serve's
        shutdown waits for a running pass: it should not wait for 200 copies)."""
        report = IntakeReport()
        lost: list[Candidate] = []
        for candidate in self.pending():
            if stop():
                break
            try:
                outcome = self.take(candidate, lost=lost)
            except Exception:  # noqa: BLE001 - one bad file must not hold up the others
                log.exception("could not take the recording of call %s (%s)", candidate.call_id, candidate.local)
                outcome = FAILED
            report.outcomes[candidate.call_id] = outcome
        if lost:
            self._give_up(lost)
        return report

    def pending(self) -> list[Candidate]:
        """Ended calls with a recording that is neither stored nor skipped, oldest first."""
        now = self._now()
        stmt = (
            select(Call.id, Call.recording_path, Call.ended_at)
            .where(Call.ended_at.is_not(None), Call.ended_at >= now - self.lookback,
                   Call.ended_at <= now - dt.timedelta(seconds=self.settle), Call.recording_path.is_not(None),
                   ~exists().where(Recording.call_id == Call.id, Recording.source_path == Call.recording_path),
                   ~exists().where(RecordingSkip.call_id == Call.id,
                                   RecordingSkip.source_path == Call.recording_path))
            .order_by(Call.ended_at).limit(self.batch)
        )
        with self.db.read() as session:
            rows = session.exec(stmt).all()
        return [Candidate(call_id, source, self._local(source), ended_at) for call_id, source, ended_at in rows]

    def take(self, candidate: Candidate, *, lost: list[Candidate] | None = None) -> str:
        """One recording through the three steps (module docstring). Safe to repeat. A file
        overdue in the spool is given up (skipped, with an alert) at once, or, when `lost`
        is given, added to it for the caller to give up with the others in one go."""
        try:
            quiet_for = self.clock() - candidate.local.stat().st_mtime
        except FileNotFoundError:
            if (self._now() - candidate.ended_at).total_seconds() < self.missing_after:
                return WAITING  # a shared mount may show it late
            if lost is None:
                self._give_up([candidate])
            else:
                lost.append(candidate)
            return SKIPPED
        if quiet_for < self.settle:
            return WAITING  # MixMonitor may still be writing it
        info = probe(candidate.local)
        if info.header_only:
            self._skip(candidate, HEADER_ONLY)
            candidate.local.unlink(missing_ok=True)
            return SKIPPED
        try:
            stored = self.vault.store(candidate.local, info.format)
        except VaultError as error:
            self._alert(CRITICAL, f"recording of call {candidate.call_id} not stored: {error}",
                        key=f"conflict:{candidate.source_path}", detail={"call_id": candidate.call_id})
            return FAILED
        self.record(candidate, stored, info.duration_seconds)
        candidate.local.unlink(missing_ok=True)
        log.info("stored the recording of call %s as %s", candidate.call_id, stored.relative)
        return STORED

    def record(self, candidate: Candidate, stored: Stored, duration: float | None) -> None:
        """Step 2: the row that says the file is stored, with its audit entry."""
        try:
            with self.db.write() as session:
                if _stored_row(session, candidate.call_id, candidate.source_path) is not None:
                    return  # another serve got here first
                session.add(Recording(
                    call_id=candidate.call_id, sha256=stored.sha256, size=stored.size, duration_seconds=duration,
                    format=Path(stored.relative).suffix.lstrip("."), created_at=self._now(),
                    vault_path=stored.relative, source_path=candidate.source_path))
                audit.append(session, SYSTEM, "recording.store", target=f"call:{candidate.call_id}",
                             detail={"sha256": stored.sha256, "size": stored.size, "vault_path": stored.relative})
                changes.bump(session, "calls")
        except exc.IntegrityError:
            pass  # the unique (call, file) constraint: stored once already

    # ---------------------------------------------------------------- leftovers

    def sweep(self) -> int:
        """Spool files whose fate is already decided: finish the interrupted step 3 (or
        store a file that turned up after it was given up as missing). Returns how many
        files it dealt with. Files it knows nothing about (calls in progress) stay."""
        spool = Path(self.config.recordings.spool_dir)
        if not spool.is_dir():
            return 0
        handled = 0
        for folder, _, names in os.walk(spool):
            for name in names:
                local = Path(folder) / name
                try:
                    handled += self._sweep_one(local)
                except Exception:  # noqa: BLE001 - logged; the next sweep tries again
                    log.exception("could not sweep %s", local)
        return handled

    def _sweep_one(self, local: Path) -> int:
        source = path_map.to_pbx(str(local), self.config.recordings.path_map)
        with self.db.read() as session:
            row = session.exec(select(Recording).where(Recording.source_path == source)).first()
            skip = session.exec(select(RecordingSkip).where(RecordingSkip.source_path == source)).first()
        if row is not None:
            if hash_file(local)[0] != row.sha256:
                self._alert(WARNING, f"spool file {local} differs from the stored recording of call {row.call_id}; "
                            "left in place", key=f"spool-differs:{source}", detail={"call_id": row.call_id})
                return 0
            local.unlink(missing_ok=True)
            return 1
        if skip is None:
            return 0
        if skip.reason == HEADER_ONLY and probe(local).header_only:
            local.unlink(missing_ok=True)
            return 1
        if skip.reason == MISSING:
            candidate = Candidate(skip.call_id, source, local, skip.decided_at)
            return 1 if self.take(candidate) == STORED else 0
        return 0

    # ---------------------------------------------------------------- inside

    def _give_up(self, lost: list[Candidate]) -> None:
        """Skip recordings that never reached the spool, in one transaction with one alert:
        a wrong path_map loses every call's file, and an alert and two transactions per
        call would bury the alert list and compete with the recorder for the write lock."""
        first = lost[0]
        if len(lost) == 1:
            message = (f"the recording of call {first.call_id} never reached the spool: {first.local} "
                       "(check [recordings] path_map)")
        else:
            message = (f"the recordings of {len(lost)} calls never reached the spool, e.g. call {first.call_id}: "
                       f"{first.local} (check [recordings] path_map)")
        log.warning("%s", message)
        with self.db.write() as session:
            for candidate in lost:
                self._skip_in(session, candidate, MISSING)
            raise_alert(session, "recording_intake", WARNING, message, key=f"missing:{first.call_id}",
                        detail={"call_id": first.call_id, "call_ids": [c.call_id for c in lost],
                                "source_path": first.source_path})

    def _skip(self, candidate: Candidate, reason: str) -> None:
        with self.db.write() as session:
            self._skip_in(session, candidate, reason)

    def _skip_in(self, session: Session, candidate: Candidate, reason: str) -> None:
        if session.get(RecordingSkip, (candidate.call_id, candidate.source_path)) is None:
            session.add(RecordingSkip(call_id=candidate.call_id, source_path=candidate.source_path,
                                      reason=reason, decided_at=self._now()))

    def _alert(self, severity: str, message: str, *, key: str, detail: dict) -> None:
        log.warning("%s", message)
        with self.db.write() as session:
            raise_alert(session, "recording_intake", severity, message, key=key, detail=detail)

    def _local(self, source: str) -> Path:
        return Path(path_map.to_local(source, self.config.recordings.path_map))

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)


def _stored_row(session: Session, call_id: int, source_path: str) -> Recording | None:
    return session.exec(select(Recording).where(Recording.call_id == call_id,
                                                Recording.source_path == source_path)).first()
