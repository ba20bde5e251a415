"""`aiivr demo` without its screen: a throwaway AIIVR in front of the simulated centre.

Everything lives in one new folder (a temp dir unless `root` is given): the config, the SQLite
database, the simulator's recording spool, the vault, serve's log and its audit anchor. The
user's own config, database and environment overrides are never read or written.

    demo = Demo(DemoOptions(seed=7, duration=30, speed=10))
    info = await demo.start()      # simulator up, database seeded, serve connected, clock running
    await demo.wait(stop_event)    # until `duration` simulated seconds or the event
    summary = await demo.stop()    # serve and simulator stopped cleanly; aiivr.services.demo.summarise

Order matters at start: the simulator listens first (its port goes into the config), `serve`
connects and resyncs while the centre is still closed, then the centre opens (staff log in)
and the clock runs, so serve sees the whole day, staffing included, as live events.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from aiivr import config as config_mod
from aiivr.config import Config
from aiivr.db import Database
from aiivr.errors import PbxError
from aiivr.models.users import Role, User
from aiivr.principal import Ctx, Principal
from aiivr.services import setup
from aiivr.services.demo import DemoSummary, DemoUser, seed_users, summarise
from pbx_bridge.service import BridgeService
from pbx_bridge.simulator import SimulatorServer, World, build_roster, demo_profile
from pbx_bridge.simulator.roster import Roster

AMI_USER = "aiivr"
ADMIN = "admin"
SERVE_READY_SECONDS = 15.0
VAULT_MODULE = "pbx_bridge.vault_component"  # issue 5: takes recordings from the spool


@dataclass(frozen=True)
class DemoOptions:
    agents: int = 8
    queues: int = 2
    seed: int | None = None
    duration: float | None = None  # simulated seconds; None: until stopped
    speed: float = 1.0  # simulated seconds per wall second
    root: str | None = None  # the folder to use (created); default: a new temp dir
    settle_seconds: float = 2.0  # after the end: wall time for serve's parts (the vault) to catch up


@dataclass
class DemoInfo:
    root: Path
    config_path: Path
    database_url: str
    spool_dir: Path
    vault_dir: Path
    log_path: Path
    password: str  # everyone's, in this throwaway database
    seed: int
    port: int
    speed: float
    admin: str = ADMIN
    supervisors: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)  # serve's parts beyond recording

    def as_dict(self) -> dict:
        return {
            "root": str(self.root), "config": str(self.config_path), "database_url": self.database_url,
            "spool_dir": str(self.spool_dir), "vault_dir": str(self.vault_dir), "log": str(self.log_path),
            "seed": self.seed, "port": self.port, "speed": self.speed, "admin": self.admin,
            "supervisors": self.supervisors, "agents": self.agents, "queues": self.queues,
            "password": self.password, "components": self.components,
        }


def demo_users(roster: Roster) -> list[DemoUser]:
    """Supervisors with their phones, agents with interfaces matching the simulator's members."""
    people = [DemoUser(s.name, Role.supervisor.value, s.full_name, extension=s.extension) for s in roster.supervisors]
    people += [DemoUser(a.name, Role.agent.value, a.full_name, interface=a.interface, extension=a.extension,
                        queues=a.queues) for a in roster.agents]
    return people


def write_config(root: Path, *, port: int, secret: str, log_path: Path) -> Path:
    """The demo's aiivr.toml: everything inside `root`, AMI at the simulator."""
    def q(value) -> str:
        return json.dumps(str(value))  # a JSON string is a valid TOML basic string

    text = "\n".join([
        "# Written by `aiivr demo`: a throwaway AIIVR in front of the simulated contact centre.",
        "[database]", f"url = {q('sqlite:///' + str(root / 'aiivr.db'))}",
        "[ami]", 'host = "127.0.0.1"', f"port = {port}", f"username = {q(AMI_USER)}", f"secret = {q(secret)}",
        "[monitor]", 'originate_channel = "Local/{extension}@phones/n"', 'context = "spy"',
        "[outbound]", 'originate_channel = "Local/{extension}@phones/n"', 'context = "outbound"',
        "[recordings]", f"dir = {q(root / 'vault')}", f"spool_dir = {q(root / 'spool')}",
        "[reports]", f"dir = {q(root / 'reports')}",
        "[log]", 'level = "info"', f"file = {q(log_path)}",
        "",
    ])
    path = root / "aiivr.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # it holds the AMI secret
    return path


class Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.seed = options.seed if options.seed is not None else secrets.randbelow(1_000_000)
        self.roster = build_roster(options.agents, options.queues)
        self.world: World | None = None
        self.server: SimulatorServer | None = None
        self.service: BridgeService | None = None
        self.config: Config | None = None
        self.db: Database | None = None
        self.info: DemoInfo | None = None

    # ------------------------------------------------------------------ start

    async def start(self) -> DemoInfo:
        options = self.options
        root = Path(options.root) if options.root else Path(tempfile.mkdtemp(prefix="aiivr-demo-"))
        root.mkdir(parents=True, exist_ok=True)
        secret, password = secrets.token_urlsafe(16), f"demo-{secrets.token_hex(4)}"
        # After-call work: the simulated people pause themselves until serve shows it does.
        # Closed until serve has connected (see _open).
        self.world = World(self.roster, demo_profile(options.agents), seed=self.seed, spool_dir=root / "spool",
                           self_wrapup="auto", open_now=False)
        self.server = SimulatorServer(self.world, username=AMI_USER, secret=secret, speed=options.speed)
        self.server.hold_at(options.duration)
        port = await self.server.start()
        log_path = root / "serve.log"
        config_path = write_config(root, port=port, secret=secret, log_path=log_path)
        self.config = config_mod.load(config_path, env={})  # never the user's AIIVR_* overrides
        self.db = Database(self.config.database.url)
        await asyncio.to_thread(self._seed, password)
        self.service = BridgeService(self.config, self.db)
        self.service.anchor_path = root / "audit-anchor.log"  # not the user's own anchor file
        await self.service.start()
        await self._wait_for_serve()
        self._open()
        self.info = DemoInfo(
            root=root, config_path=config_path, database_url=self.config.database.url, spool_dir=root / "spool",
            vault_dir=root / "vault", log_path=log_path, password=password, seed=self.seed, port=port,
            speed=options.speed, supervisors=[s.name for s in self.roster.supervisors],
            agents=[a.name for a in self.roster.agents], queues=self.roster.queue_names,
            components=[getattr(c, "name", type(c).__name__) for c in self.service.components])
        return self.info

    def _open(self) -> None:
        """Staff the centre and let time run, now that serve listens.

        serve's resync found an empty centre, so it learns everything from live events, whose
        Timestamps are simulated time (list replies carry none: the recorder would date those
        at their arrival, on the wall clock, and ignore any simulated event older than that).
        A timed run faster than real time starts its clock in the past so that it ends now:
        every time the recorder writes has then already happened (the vault takes calls that
        ended a few seconds ago)."""
        options = self.options
        ahead = options.duration * (1 - 1 / options.speed) if options.duration and options.speed > 1 else 0.0
        self.world.rebase(time.time() - ahead)
        self.world.open()
        self.server.start_clock()

    def _seed(self, password: str) -> None:
        setup.initialise(self.db, self.config, admin_name=ADMIN, admin_password=password)
        seed_users(self.ctx(), demo_users(self.roster), password)

    async def _wait_for_serve(self) -> None:
        """Connected, resynced and the resync written: serve knows the centre at second 0."""
        service = self.service
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SERVE_READY_SECONDS
        while service.resyncs < 1:
            if loop.time() > deadline:
                raise PbxError(f"aiivr serve did not connect to the simulator within {SERVE_READY_SECONDS:.0f} s "
                               f"(see {self.config.log.file or 'its log'})")
            await asyncio.sleep(0.02)
        await asyncio.to_thread(service.writer.flush, 10)

    def ctx(self) -> Ctx:
        """The demo's admin, for the live views."""
        with self.db.read() as session:
            user = session.exec(select(User).where(User.name == ADMIN)).one()
            admin = Principal(name=user.name, role=Role.admin, user_id=user.id)
        return Ctx(db=self.db, config=self.config, actor=admin)

    @property
    def vault_wired(self) -> bool:
        return self._vault() is not None

    def _vault(self):
        return next((c for c in (self.service.components if self.service else [])
                     if type(c).__module__ == VAULT_MODULE), None)

    async def _last_vault_intake(self) -> None:
        """Take into the vault every call that ended before the clock stopped. Its intake runs
        every 5 s, and a 30 s headless run lasts about as long: left to its timer, whether
        it ran once more before the stop was a race (lost now and then on a loaded machine)."""
        vault = self._vault()
        if vault is not None:
            await vault.run_now("vault-intake")

    # ------------------------------------------------------------------ run and stop

    async def wait(self, stop: asyncio.Event) -> None:
        """Until `duration` simulated seconds have passed, or `stop` is set."""
        duration = self.options.duration
        stopper = asyncio.ensure_future(stop.wait())
        try:
            if duration is None:
                await stopper
            else:
                ender = asyncio.ensure_future(self.server.wait_until(duration))
                await asyncio.wait({stopper, ender}, return_when=asyncio.FIRST_COMPLETED)
                ender.cancel()
        finally:
            stopper.cancel()

    async def stop(self) -> DemoSummary | None:
        """Hold the simulated clock, let serve write and its parts settle, then shut down.
        Safe after a start() that failed half-way (then there is no summary: None)."""
        if self.server is not None:
            self.server.stop_clock()
        try:
            if self.service is not None:
                await asyncio.to_thread(self.service.writer.flush, 10)
                if self.service.components and self.options.settle_seconds > 0:
                    await asyncio.sleep(self.options.settle_seconds)
                    await self._last_vault_intake()
                await self.service.stop()
        finally:
            if self.server is not None:
                await self.server.close()
        if self.db is None:
            return None
        try:
            return summarise(self.db) if self.service is not None else None
        finally:
            self.db.dispose()
