"""`aiivr serve`: the long-running service (the only holder of AMI credentials)."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Annotated

import typer

from aiivr import schema
from cli.output import done
from cli.runtime import current

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    check: Annotated[bool, typer.Option("--check", help="Only say whether the database and AMI are reachable (exit 0, or 4 when not).")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error (default: [log] level).")] = "",
) -> None:
    """Connect to Asterisk's AMI and record calls, queues and agents until stopped (Ctrl-C).

    Reads [ami] host, port, username and secret from the config; run it under the
    service account that owns the database. Reconnects by itself, resyncs after every
    login, and records any stretch it could not see as a data gap.
    """
    from pbx_bridge.service import BridgeService, check as check_pbx

    rt = current()
    cfg = rt.config()
    level = log_level or cfg.log.level
    if level not in LEVELS:
        raise typer.BadParameter(f"unknown log level {level!r}: use debug, info, warning or error")
    db = rt.database(check_schema=False)
    if check:
        result = asyncio.run(check_pbx(cfg, db))
        print(json.dumps(result))
        ok = result["database"] == "ok" and result["ami"] == "ok"
        done("database and AMI reachable" if ok else f"not ready: database: {result['database']}; AMI: {result['ami']}")
        raise typer.Exit(0 if ok else 4)
    schema.require_current(db)
    if not cfg.ami.username:
        raise typer.BadParameter("set [ami] username and secret in the config (or AIIVR_AMI_USERNAME/SECRET)")
    # Only the long-running service takes over the process's logging (--check prints JSON).
    _setup_logging(level, cfg.log.file)
    service = BridgeService(cfg, db)
    asyncio.run(_run(service))
    done(f"stopped: {json.dumps(service.health())}")


async def _run(service) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.getLogger("aiivr.serve").info("aiivr serve starting (AMI %s:%s)", service.config.ami.host,
                                          service.config.ami.port)
    await service.run_forever(stop)


def _setup_logging(level: str, path: str) -> None:
    handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
