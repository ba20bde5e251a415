"""Outbox latency: from a command written to the database to Asterisk acting on it, while
`aiivr serve` is connected (target: within 300 ms).

    sudo .venv/bin/python bench/outbox_latency.py [--commands 200] [--database sqlite|URL]
                                                  [--poll 0.05] [--config LAB_TOML | --root DIR]

Against a real Asterisk: a lab's TOML (`--config`; default: the running default lab's,
`sudo aiivr lab up`), or `--root DIR` to start a lab of the bench's own there (copied from
the default lab the first time) and stop it afterwards. An agent is logged in, then paused and unpaused in turn through the
core service, one command at a time at random moments (so the executor's poll phase is
uniform). For each command, three figures from the moment the service wrote it:
  pickup  - serve claimed it and started sending (outbox.sent_at)
  event   - an independent AMI connection received Asterisk's QueueMemberPause
  answer  - serve recorded Asterisk's reply (outbox.finished_at)
The writing time is taken before the transaction commits, so every figure errs long.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select  # noqa: E402

from aiivr import config as config_mod  # noqa: E402
from aiivr.db import Database  # noqa: E402
from aiivr.models.outbox import OutboxCommand  # noqa: E402
from aiivr.principal import BOOTSTRAP, Ctx, Principal  # noqa: E402
from aiivr.models.users import Role  # noqa: E402
from aiivr.services import live_ops, setup, users  # noqa: E402
from pbx_bridge import lab as lab_manager  # noqa: E402
from pbx_bridge.lab_ami import RawAmi  # noqa: E402
from pbx_bridge.outbox_executor import OutboxExecutor  # noqa: E402
from pbx_bridge.service import BridgeService  # noqa: E402

INTERFACE = "Local/1999@agents/n"  # an agent of the lab dialplan no test uses


def lab_config_text(path: str | None, root: str | None) -> str:
    if path:
        return Path(path).read_text()
    if root:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return lab_manager.up(port=port, root=root, seed=lab_manager.default_root()).read_text()
    status = lab_manager.status()
    if not status.running or status.config_path is None:
        raise SystemExit("no lab running: `sudo aiivr lab up` first, or pass --config FILE")
    return status.config_path.read_text()


def percentiles(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    pick = lambda q: ms[min(len(ms) - 1, int(len(ms) * q))]  # noqa: E731
    return (f"p50 {pick(0.5):6.1f}  p95 {pick(0.95):6.1f}  p99 {pick(0.99):6.1f}  max {ms[-1]:6.1f}  "
            f"mean {statistics.fmean(ms):6.1f} ms")


def drive(ctx: Ctx, ami: RawAmi, db: Database, count: int) -> dict[str, list[float]]:
    """In a thread: one command at a time; returns the three delays per command."""
    out: dict[str, list[float]] = {"pickup": [], "event": [], "answer": []}
    for n in range(count):
        time.sleep(random.uniform(0.02, 0.15))
        mark = ami.mark()
        pause = n % 2 == 0
        command = (live_ops.agent_pause(ctx, reason="lunch") if pause else live_ops.agent_unpause(ctx))
        event = ami.wait_for("QueueMemberPause", since=mark, Interface=INTERFACE, Paused="1" if pause else "0",
                             timeout=10)
        live_ops.wait(ctx, command)
        with db.read() as session:
            row = session.get(OutboxCommand, command.id)
        written = row.created_at.timestamp()
        out["pickup"].append(row.sent_at.timestamp() - written)
        out["event"].append(float(event["_rx"]) - written)
        out["answer"].append(row.finished_at.timestamp() - written)
    return out


async def run(args) -> int:
    lab_toml = lab_config_text(args.config, args.root)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/outbox.db" if args.database == "sqlite" else args.database
        cfg = config_mod.parse(f'[site]\ntimezone = "UTC"\n[database]\nurl = "{url}"\n' + lab_toml, env={})
        db = Database(url)
        setup.initialise(db, cfg, admin_password="bench-password")
        ctx = Ctx(db=db, config=cfg, actor=BOOTSTRAP)
        view = users.add_user(ctx, name="bench", role="agent", password="bench-password", interface=INTERFACE,
                              extension="1999", queues=["support"])
        agent = Ctx(db=db, config=cfg, actor=Principal(name="bench", role=Role.agent, user_id=view.id))
        service = BridgeService(cfg, db, ping_interval=10, components=[OutboxExecutor(poll_seconds=args.poll)])
        await service.start()
        ami = RawAmi(cfg.ami.host, cfg.ami.port, timeout=15)
        try:
            if not await service.transport.wait_connected(15):
                raise SystemExit(f"no AMI session with {cfg.ami.host}:{cfg.ami.port}")
            ami.connect()
            ami.login(cfg.ami.username, cfg.ami.secret)
            await asyncio.to_thread(lambda: live_ops.wait(agent, live_ops.agent_login(agent)))
            started = time.monotonic()
            delays = await asyncio.to_thread(drive, agent, ami, db, args.commands)
            elapsed = time.monotonic() - started
            await asyncio.to_thread(lambda: live_ops.wait(agent, live_ops.agent_logout(agent)))
        finally:
            ami.close()
            await service.stop()
            with db.read() as session:
                failed = [c for c in session.exec(select(OutboxCommand)) if c.status != "done"]
            db.dispose()
            if args.root:
                lab_manager.down(args.root)
    print(f"outbox latency: {args.commands} pause/unpause commands in {elapsed:.1f} s, executor poll "
          f"{args.poll * 1000:.0f} ms, database {args.database}, Asterisk {cfg.ami.host}:{cfg.ami.port}")
    print(f"  write -> serve sends (pickup)           {percentiles(delays['pickup'])}")
    print(f"  write -> Asterisk's QueueMemberPause    {percentiles(delays['event'])}")
    print(f"  write -> Asterisk's reply recorded      {percentiles(delays['answer'])}")
    worst = max(delays["event"])
    print(f"target: every command reaches Asterisk within 300 ms: {'met' if worst <= 0.3 else 'NOT met'} "
          f"(worst {worst * 1000:.0f} ms); commands not done: {len(failed)}")
    return 0 if worst <= 0.3 and not failed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--database", default="sqlite", help="sqlite (a temp file) or a database URL")
    parser.add_argument("--poll", type=float, default=0.05, help="the executor's poll interval in seconds")
    parser.add_argument("--config", help="an aiivr TOML with the lab's [ami] (default: the running default lab's)")
    parser.add_argument("--root", help="start a lab of the bench's own in this folder (stopped afterwards)")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
