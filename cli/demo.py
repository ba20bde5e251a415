"""`aiivr demo`: a simulated contact centre and a throwaway AIIVR in front of it, one command.

No Asterisk, no root, never the user's own database: pbx_bridge.demo does the work; this
command parses options, draws the screen (cli/demo_view.py) and prints the summary.
`--duration` is in simulated seconds. The live view runs in real time (speed 1); a headless
run compresses time 10× unless --speed says otherwise (docs/demo.md).
"""

from __future__ import annotations

import asyncio
import json
import signal
import tempfile
from typing import Annotated, Optional

import typer
from rich.live import Live

from cli.demo_view import banner, live_view, summary_table
from cli.output import stderr, stdout
from cli.runtime import current
from cli.serve_cmd import _setup_logging

HEADLESS_SPEED = 10.0
HEADLESS_DURATION = 60.0
REFRESH_SECONDS = 1.0


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    headless: Annotated[bool, typer.Option("--headless", help="No screen: run, then print a summary (for tests and CI).")] = False,
    duration: Annotated[Optional[float], typer.Option("--duration", metavar="S", help="Stop after S simulated seconds (headless default 60; else until Ctrl-C).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Same seed, same simulated day (default: random).")] = None,
    agents: Annotated[int, typer.Option("--agents", help="Simulated agents.")] = 8,
    queues: Annotated[int, typer.Option("--queues", help="Simulated queues.")] = 2,
    speed: Annotated[Optional[float], typer.Option("--speed", help="Simulated seconds per real second (default 1; headless 10).")] = None,
) -> None:
    """Run a simulated contact centre with AIIVR in front of it: no Asterisk needed.

    Creates a throwaway folder (config, database, recordings) and prints it with the logins,
    so a second terminal can run `aiivr --config FOLDER/aiivr.toml call list` or
    `agent pause NAME --reason lunch` against the running demo. Ctrl-C stops it.
    """
    from pbx_bridge.demo import DemoOptions
    from pbx_bridge.simulator.roster import MAX_AGENTS

    if not 1 <= agents <= MAX_AGENTS:
        raise typer.BadParameter(f"must be 1-{MAX_AGENTS}", param_hint="--agents")
    if not 1 <= queues <= 999:
        raise typer.BadParameter("must be 1-999", param_hint="--queues")
    if duration is not None and duration <= 0:
        raise typer.BadParameter("must be more than 0", param_hint="--duration")
    if speed is not None and speed <= 0:
        raise typer.BadParameter("must be more than 0", param_hint="--speed")
    if headless and duration is None:
        duration = HEADLESS_DURATION
    root = tempfile.mkdtemp(prefix="aiivr-demo-")
    # serve logs to the demo's folder: the screen is the live view's.
    _setup_logging("info", f"{root}/serve.log")
    options = DemoOptions(agents=agents, queues=queues, seed=seed, duration=duration, root=root,
                          speed=speed or (HEADLESS_SPEED if headless else 1.0))
    result, summary = asyncio.run(_run(options, headless=headless))
    if current().fmt == "json":
        print(json.dumps(result, default=str))
    else:
        stdout.print()  # the live view's last frame leaves the cursor on its last line
        stdout.print(summary_table(summary, result["simulator"]))
        stdout.print(f"folder kept: {result['demo']['root']}")


async def _run(options, *, headless: bool):
    from pbx_bridge.demo import Demo

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    demo = Demo(options)
    try:
        info = await demo.start()
        timing = f"{options.duration:g} simulated seconds" if options.duration else "until Ctrl-C"
        stderr.print(banner(info, f"a simulated contact centre, {timing} at {options.speed:g}×"),
                     highlight=False, markup=False)
        if headless:
            await demo.wait(stop)
        else:
            await _live(demo, stop)
    finally:
        summary = await demo.stop()
    world = demo.world
    simulator = {"simulated_seconds": world.now, "events": demo.server.counters.events,
                 "recordings_written": world.recordings.written, **vars(world.stats)}
    result = {"demo": info.as_dict(), "summary": summary.as_dict(), "simulator": simulator,
              "vault_wired": demo.vault_wired}
    return result, summary


async def _live(demo, stop: asyncio.Event) -> None:
    """Redraw once a second from the database until the demo ends."""
    ctx = demo.ctx()
    tz = demo.config.tz

    def frame():
        return live_view(ctx, epoch=demo.world.clock.epoch, tz=tz, speed=demo.options.speed)

    waiter = asyncio.ensure_future(demo.wait(stop))
    with Live(await asyncio.to_thread(frame), console=stdout, auto_refresh=False) as live:
        while not waiter.done():
            await asyncio.wait({waiter}, timeout=REFRESH_SECONDS)
            live.update(await asyncio.to_thread(frame), refresh=True)
