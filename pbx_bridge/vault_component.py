"""The recording vault inside `aiivr serve` (a pbx_bridge.components Component).

Scheduled jobs (APScheduler, on the service's scheduler), never overlapping one another,
each running its blocking file and database work in a thread:

    vault-intake       every few seconds: finished recordings from the spool into the vault
                       (aiivr.vault_intake: copy, fsync, read-only, row, then spool removal)
    vault-sweep        at start and every 10 min: spool files a crash left behind
    vault-verify       every 15 min, quick (names, sizes, orphans); alert row on findings
    vault-verify-full  daily at 03:30 site time, every file re-hashed; alert row on findings

At start it also removes half-made copies from the vault's .incoming folder. Playing a
recording on a phone is an outbox command (`recording.play`) that the outbox executor
sends as an Originate of the user's phone running Playback of the vault file;
phone_playback_steps builds it (docs/recordings.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Callable

from aiivr.services.recordings import PHONE_ACTION
from aiivr.vault import Vault
from aiivr.vault_intake import Intake
from aiivr.vault_verify import VerifyStopped, alert_on, check_vault
from pbx_bridge import ami_actions

if TYPE_CHECKING:
    from pbx_bridge.service import BridgeService

log = logging.getLogger("aiivr.vault")
JOB_IDS = ("vault-intake", "vault-sweep", "vault-verify", "vault-verify-full")


class VaultComponent:
    name = "vault"

    def __init__(self, *, intake_seconds: float = 5.0, settle: float = 2.0, sweep_minutes: float = 10,
                 verify_minutes: float = 15, full_verify_at: tuple[int, int] = (3, 30)) -> None:
        self.intake_seconds, self.settle = intake_seconds, settle
        self.sweep_minutes, self.verify_minutes, self.full_verify_at = sweep_minutes, verify_minutes, full_verify_at
        self.intake: Intake | None = None
        self.vault: Vault | None = None
        self._scheduler = None
        self._busy = asyncio.Lock()  # one job at a time: verify never sees a half-done intake
        self._stopping = False  # read by a running verify between files, and by jobs about to start
        self.runs: dict[str, int] = {job: 0 for job in JOB_IDS}

    async def start(self, service: "BridgeService") -> None:
        self.vault = Vault(service.config.recordings.dir)
        self.intake = Intake(service.db, service.config, vault=self.vault, settle=self.settle)
        self._db = service.db
        left = await asyncio.to_thread(self.vault.clean_incoming)
        if left:
            log.warning("removed %d half-made copies from %s/.incoming (an earlier serve stopped mid-copy)",
                        left, self.vault.root)
        now = dt.datetime.now(service.config.tz)
        hour, minute = self.full_verify_at
        self._scheduler = scheduler = service.scheduler
        common: dict[str, Any] = {"max_instances": 1, "coalesce": True}
        scheduler.add_job(self._job, "interval", seconds=self.intake_seconds, id="vault-intake",
                          args=["vault-intake", self._intake], next_run_time=now, **common)
        scheduler.add_job(self._job, "interval", minutes=self.sweep_minutes, id="vault-sweep",
                          args=["vault-sweep", self.intake.sweep], next_run_time=now, **common)
        scheduler.add_job(self._job, "interval", minutes=self.verify_minutes, id="vault-verify",
                          args=["vault-verify", lambda: self._verify(full=False)], **common)
        scheduler.add_job(self._job, "cron", hour=hour, minute=minute, id="vault-verify-full",
                          args=["vault-verify-full", lambda: self._verify(full=True)], **common)

    async def on_session_ready(self, service: "BridgeService", *, pbx_restarted: bool) -> None:
        return None  # the vault works from the database and the spool, not from AMI

    async def stop(self) -> None:
        self._stopping = True
        if self._scheduler is not None:
            for job_id in JOB_IDS:
                if self._scheduler.get_job(job_id) is not None:
                    self._scheduler.remove_job(job_id)
        # Let a running job finish its step (a thread cannot be cancelled): an intake's copy is
        # short, and a verify stops at the next file.
        async with self._busy:
            pass

    async def run_now(self, job_id: str) -> None:
        """Run one job at once (tests, and `serve` operators who do not want to wait)."""
        work = {"vault-intake": self._intake, "vault-sweep": self.intake.sweep,
                "vault-verify": lambda: self._verify(full=False),
                "vault-verify-full": lambda: self._verify(full=True)}[job_id]
        await self._job(job_id, work)

    async def _job(self, job_id: str, work: Callable[[], Any]) -> None:
        async with self._busy:
            if self._stopping:
                return
            try:
                await asyncio.to_thread(work)
                self.runs[job_id] += 1
            except Exception:  # noqa: BLE001 - logged; the next run tries again
                log.exception("%s failed", job_id)

    def _intake(self) -> None:
        self.intake.run_once(stop=lambda: self._stopping)

    def _verify(self, *, full: bool) -> None:
        try:
            report = check_vault(self._db, self.vault, rehash=full, stop=lambda: self._stopping)
        except VerifyStopped as why:
            log.info("vault verify stopped for serve's shutdown (%s); the next run checks everything", why)
            return
        if not report.ok:
            alert_on(self._db, report)


def phone_playback_steps(payload: dict[str, Any]) -> list[ami_actions.Step]:
    """The AMI action of an outbox `recording.play` command (aiivr.services.recordings
    .play_on_phone): ring the person's phone; once answered the call runs Playback of the
    vault file, named as the PBX sees it."""
    return [ami_actions.Step({
        "Action": "Originate", "Channel": payload["channel"], "Application": payload["application"],
        "Data": payload["data"], "CallerID": payload["caller_id"], "Timeout": str(ami_actions.DEFAULT_RING_MS),
        "Async": "true", "Variable": [f"{ami_actions.ORIGIN_VARIABLE}=recording"],
    })]


# The outbox executor builds each command's actions from ami_actions.BUILDERS; the vault
# adds its one command there, so the executor needs to know nothing about recordings.
ami_actions.BUILDERS.setdefault(PHONE_ACTION, phone_playback_steps)
