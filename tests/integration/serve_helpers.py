"""Running `aiivr serve` against the lab in tests, and comparing with its queue_log."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from pathlib import Path

from sqlmodel import select

from aiivr import config as config_mod
from aiivr.db import Database
from aiivr.models import Call, QueueEntry
from aiivr.principal import BOOTSTRAP, Ctx
from aiivr.queue_log import read_lines, summarise
from aiivr.services import users
from pbx_bridge import lab_calls
from pbx_bridge.service import BridgeService

ALICE, BOB = lab_calls.agent_interface("1001"), lab_calls.agent_interface("1002")


def lab_config(lab, database_url: str, tmp_path: Path, *, port: int | None = None) -> tuple[Path, config_mod.Config]:
    path = tmp_path / "serve.toml"
    path.write_text(
        f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{database_url}"\n'
        f'[ami]\nhost = "{lab.host}"\nport = {port or lab.port}\nusername = "{lab.username}"\n'
        f'secret = "{lab.secret}"\nqueue_log_path = "{lab.queue_log_path}"\n'
    )
    return path, config_mod.load(path, env={})


# alice (1001) and bob (1002) in both of the lab's queues.
BOTH_QUEUES = (("support", "1001", "alice"), ("support", "1002", "bob"), ("sales", "1001", "alice"),
               ("sales", "1002", "bob"))


def add_members(lab, *members: tuple[str, str, str]) -> None:
    """(queue, extension, member name) each, added as dynamic members over AMI."""
    with lab.ami() as client:
        for queue, ext, name in members:
            reply = client.action("QueueAdd", Queue=queue, Interface=lab_calls.agent_interface(ext), MemberName=name)
            assert reply["Response"] == "Success", reply


@asynccontextmanager
async def serving(lab, cfg, db, *members: tuple[str, str, str], ping_interval: float = 2, **knobs):
    """serve's pipeline against the lab: started, its AMI session up, the dynamic `members`
    added (see add_members); stopped on the way out, whatever happened inside."""
    service = BridgeService(cfg, db, ping_interval=ping_interval, **knobs)
    await service.start()
    try:
        assert await service.transport.wait_connected(10)
        if members:
            await asyncio.to_thread(add_members, lab, *members)
        yield service
    finally:
        await service.stop()


def add_agent_users(db, cfg) -> Ctx:
    """alice and bob, agents mapped to the lab's 1001 and 1002 by interface."""
    ctx = Ctx(db=db, config=cfg, actor=BOOTSTRAP)
    users.add_user(ctx, name="alice", role="agent", password="alice-password", interface=ALICE)
    users.add_user(ctx, name="bob", role="agent", password="bob-password", interface=BOB)
    return ctx


def blind_transfer_when_connected(lab, linkedid: str, queue: str, to: str) -> None:
    """Once an agent of `queue` has the call, blind-transfer the caller to queue `to`."""
    with lab.ami() as client:
        connect = client.wait_for("AgentConnect", Queue=queue, Linkedid=linkedid, timeout=30)
        time.sleep(1.0)
        reply = client.action("BlindTransfer", Channel=connect["DestChannel"], Context="queue-call", Exten=to)
        assert reply["Response"] == "Success", reply


def queue_log_summary(lab):
    lines = [line for line in read_lines(lab.queue_log()) if not isinstance(line, Exception)]
    return summarise(lines)


def recorded_entries(db: Database) -> dict[tuple[str, str], list[QueueEntry]]:
    out: dict[tuple[str, str], list[QueueEntry]] = {}
    with db.read() as session:
        for entry in session.exec(select(QueueEntry)):
            out.setdefault((entry.uniqueid, entry.queue), []).append(entry)
    return out


def recorded_calls(db: Database) -> list[Call]:
    with db.read() as session:
        return list(session.exec(select(Call)))


async def wait_until(predicate, timeout: float = 30, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if await asyncio.to_thread(predicate):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def assert_agrees_with_queue_log(db: Database, lab, *, tolerance: float = 1.0) -> dict:
    """Every queue entry in Asterisk's queue_log is in our database exactly once, with the
    same outcome, wait and talk time (within tolerance seconds)."""
    theirs = queue_log_summary(lab)
    ours = recorded_entries(db)
    assert theirs, "the lab's queue_log is empty: nothing was tested"
    assert set(ours) == set(theirs), (sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs)))
    for key, expected in theirs.items():
        (entry,) = ours[key]  # exactly once
        assert entry.outcome == expected.outcome, (key, entry.outcome, expected.outcome)
        if expected.wait_seconds is not None:
            assert abs((entry.wait_seconds or 0) - expected.wait_seconds) <= tolerance, (key, entry.wait_seconds, expected)
        if expected.talk_seconds is not None:
            assert abs((entry.talk_seconds or 0) - expected.talk_seconds) <= tolerance, (key, entry.talk_seconds, expected)
        if expected.agent:
            assert entry.member_name == expected.agent, key
    return theirs


class CuttableProxy:
    """A TCP relay between serve and Asterisk that a test can cut and hold down:
    the network fault, not a fake PBX (everything behind it is the real lab)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port: int | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.down = False
        self.connections = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, client_reader, client_writer) -> None:
        if self.down:
            client_writer.transport.abort()
            return
        self.connections += 1
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self._writers |= {client_writer, server_writer}

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.transport.abort()

        try:
            await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
        except asyncio.CancelledError:
            pass
