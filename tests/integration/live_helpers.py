"""Live operations against the lab: serve in a thread of its own, people with phones,
and Asterisk's `queue show` read back for comparison with our database."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from aiivr import config as config_mod
from aiivr.db import Database
from aiivr.models import AgentStatus, QueueMember
from aiivr.models.outbox import OutboxCommand
from aiivr.principal import BOOTSTRAP, Ctx, Principal
from aiivr.models.users import Role
from aiivr.services import live_ops, users
from pbx_bridge.service import BridgeService
from tests.integration.serve_helpers import ALICE, BOB

SUE_PHONE = "9001"


def live_config(lab, database_url: str, tmp_path: Path, *, extra: str = "", port: int | None = None) -> config_mod.Config:
    """The lab's AMI plus the phones of the sample dialplan ([phones] answers at once)."""
    path = tmp_path / "live.toml"
    path.write_text(
        f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{database_url}"\n'
        f'[ami]\nhost = "{lab.host}"\nport = {port or lab.port}\nusername = "{lab.username}"\n'
        f'secret = "{lab.secret}"\nqueue_log_path = "{lab.queue_log_path}"\n'
        '[monitor]\noriginate_channel = "Local/{extension}@phones/n"\ncontext = "spy"\n'
        '[outbound]\noriginate_channel = "Local/{extension}@phones/n"\ncontext = "outbound"\n'
        f"[recordings]\ndir = \"{tmp_path / 'vault'}\"\nspool_dir = \"{tmp_path / 'spool'}\"\n"
        + extra
    )
    return config_mod.load(path, env={})


@dataclass
class Staff:
    db: Database
    config: config_mod.Config
    alice: Principal
    bob: Principal
    sue: Principal

    def ctx(self, who: Principal) -> Ctx:
        return Ctx(db=self.db, config=self.config, actor=who)


def staff(db: Database, config: config_mod.Config, *, alice_queues=("support",), bob_queues=("support",)) -> Staff:
    ctx = Ctx(db=db, config=config, actor=BOOTSTRAP)
    made = {}
    for name, role, interface, ext, queues in (
            ("alice", "agent", ALICE, "1001", alice_queues), ("bob", "agent", BOB, "1002", bob_queues),
            ("sue", "supervisor", None, SUE_PHONE, ())):
        view = users.add_user(ctx, name=name, role=role, password=f"{name}-password", interface=interface,
                              extension=ext, queues=list(queues))
        made[name] = Principal(name=name, role=Role(role), user_id=view.id)
    return Staff(db, config, **made)


class ServeThread:
    """`aiivr serve` (BridgeService with its default components) on its own event loop,
    so a test can call the services and the CLI the way people do, from outside."""

    def __init__(self, config, db: Database, **kwargs) -> None:
        self.config, self.db, self.kwargs = config, db, kwargs
        self.service: BridgeService | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serve", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self.service = BridgeService(self.config, self.db, ping_interval=2, **self.kwargs)
            await self.service.start()
            self._ready.set()
            await self._stop.wait()
            await self.service.stop()
        try:
            asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
            self._ready.set()

    def start(self, *, connected: bool = True, timeout: float = 15) -> "ServeThread":
        self._thread.start()
        assert self._ready.wait(timeout), "serve did not start"
        assert self.error is None, self.error
        if connected:
            self.wait_connected(timeout)
        return self

    def wait_connected(self, timeout: float = 15) -> None:
        until(lambda: self.service.transport.connected and self.service.resyncs >= 1, timeout, "serve connected")

    def stop(self) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(20)
        assert self.error is None, self.error

    def __enter__(self) -> "ServeThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def until(predicate, timeout: float = 15, what: str = "condition", interval: float = 0.05):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def act(staff_: Staff, who: Principal, function, *args, **kwargs):
    """Call a live-ops service as `who` and wait for Asterisk's confirmation."""
    ctx = staff_.ctx(who)
    command = function(ctx, *args, **kwargs)
    return live_ops.wait(ctx, command)


def status(db: Database, interface: str) -> AgentStatus | None:
    with db.read() as session:
        return session.exec(select(AgentStatus).where(AgentStatus.interface == interface,
                                                      AgentStatus.ended_at.is_(None))).first()


def members(db: Database) -> dict[tuple[str, str], tuple[str, int, bool, str]]:
    """(queue, member name) -> (interface, penalty, paused, reason) as our database has it."""
    with db.read() as session:
        return {(m.queue, m.member_name): (m.interface, m.penalty, m.paused, m.paused_reason)
                for m in session.exec(select(QueueMember))}


# "alice (Local/1001@agents/n from Local/1001@phones/n) with penalty 2 (ringinuse disabled)
# (dynamic) (paused:lunch was 0 secs ago) (Not in use) ..."; a penalty of 0 is not printed.
MEMBER_LINE = re.compile(r"^\s+(?P<name>\S+) \((?P<interface>\S+)(?: from (?P<state>\S+))?\)"
                         r"(?: with penalty (?P<penalty>\d+))?(?P<rest>.*)$")


def queue_show(lab) -> dict[tuple[str, str], tuple[str, int, bool, str]]:
    """The same, as Asterisk's `queue show` prints it."""
    out: dict[tuple[str, str], tuple[str, int, bool, str]] = {}
    queue = None
    for line in lab.cli("queue show").splitlines():
        head = re.match(r"^(\S+) has \d+ calls", line)
        if head:
            queue = head.group(1)
            continue
        m = MEMBER_LINE.match(line)
        if m and queue:
            paused = re.search(r"\(paused(?::(?P<reason>[^ )]*))?", m["rest"])
            out[(queue, m["name"])] = (m["interface"], int(m["penalty"] or 0), paused is not None,
                                       (paused["reason"] or "") if paused else "")
    return out


def commands(db: Database) -> list[OutboxCommand]:
    with db.read() as session:
        return list(session.exec(select(OutboxCommand).order_by(OutboxCommand.id)))
