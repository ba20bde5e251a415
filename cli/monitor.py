"""`aiivr monitor listen|whisper|barge AGENT`, `aiivr monitor stop` (supervisors).

AIIVR rings your own phone ([monitor] originate_channel) and, when you answer, connects
it to ChanSpy on the agent's call. Switching mode hangs up the running session and
rings again; stop hangs it up.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr.services import live_ops
from cli.live_output import NoWaitOpt, finish
from cli.output import FormatOpt, JsonOpt, choose
from cli.runtime import current

app = typer.Typer(name="monitor", help="Listen to, whisper to or barge into an agent's call (supervisors).",
                  no_args_is_help=True)

AgentArg = Annotated[str, typer.Argument(metavar="AGENT", help="The agent on a call.")]
HELP = {
    "listen": "Listen to an agent's call; nobody hears you.",
    "whisper": "Talk to the agent only; the customer does not hear you.",
    "barge": "Join the call: agent and customer both hear you.",
}


def _spy(mode: str, agent: str, no_wait: bool, fmt: Optional[str], as_json: bool) -> None:
    ctx = current().ctx()
    command = live_ops.monitor(ctx, mode, agent)
    finish(ctx, command, no_wait=no_wait, fmt=choose(fmt, as_json), said=f"{mode} on {agent}'s call")


def _register(mode: str) -> None:
    def command(agent: AgentArg, no_wait: NoWaitOpt = False, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
        _spy(mode, agent, no_wait, fmt, as_json)

    command.__doc__ = f"{HELP[mode]}\n\nExample: aiivr monitor {mode} alice"
    app.command(mode)(command)


for _mode in live_ops.SPY_MODES:
    _register(_mode)


@app.command("stop")
def stop(no_wait: NoWaitOpt = False, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Stop monitoring: hang up your spy call."""
    ctx = current().ctx()
    command = live_ops.monitor_stop(ctx)
    finish(ctx, command, no_wait=no_wait, fmt=choose(fmt, as_json), said="monitoring stopped")
