"""`aiivr agent login|logout|ready|pause|unpause|move`: registered onto cli.agents.app.

An agent acts on itself (NAME left out); a supervisor on anyone. Each command goes
through the outbox to `aiivr serve`, then waits for Asterisk's confirmation.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr.services import live_ops
from cli.agents import app
from cli.live_output import NoWaitOpt, finish
from cli.output import FormatOpt, JsonOpt, choose, done
from cli.runtime import current

NameArg = Annotated[Optional[str], typer.Argument(metavar="NAME", help="The agent (default: you).", show_default=False)]


def _run(action, name: Optional[str], said: str, no_wait: bool, fmt: Optional[str], as_json: bool, **kwargs) -> None:
    ctx = current().ctx()
    command = action(ctx, name, **kwargs)
    finish(ctx, command, no_wait=no_wait, fmt=choose(fmt, as_json), said=said)


# The commands that take only the agent: name, service, what to say, help.
SIMPLE = (
    ("login", live_ops.agent_login, "logged in",
     "Log in to your queues: Asterisk adds you as a member of each (QueueAdd).\n\n"
     "Example: aiivr agent login   (supervisor: aiivr agent login alice)"),
    ("logout", live_ops.agent_logout, "logged out", "Log out of every queue (QueueRemove): status offline."),
    ("unpause", live_ops.agent_unpause, "unpaused", "End a pause: calls are offered again."),
    ("ready", live_ops.agent_ready, "ready", "Ready for the next call: ends after-call work (wrap_up) or a pause."),
)


def _register(command: str, action, done_word: str, doc: str) -> None:
    def run(name: NameArg = None, no_wait: NoWaitOpt = False, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
        _run(action, name, f"{name or 'you'} {done_word}", no_wait, fmt, as_json)

    run.__doc__ = doc
    app.command(command)(run)


for _spec in SIMPLE:
    _register(*_spec)


@app.command("pause")
def pause(
    name: NameArg = None,
    reason: Annotated[str, typer.Option("--reason", metavar="CODE", help="A pause reason code: lunch, bathroom, smoke, on_leave, case_work, or one from the config.")] = ...,
    no_wait: NoWaitOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pause in all your queues with a reason (QueuePause): no queue call is offered.

    Example: aiivr agent pause --reason lunch
    """
    _run(live_ops.agent_pause, name, f"{name or 'you'} paused ({reason})", no_wait, fmt, as_json, reason=reason)


@app.command("move")
def move(
    name: Annotated[str, typer.Argument(help="The agent's user name.")],
    to: Annotated[str, typer.Option("--to", metavar="QUEUE", help="The queue to put the agent in.")],
    from_: Annotated[Optional[str], typer.Option("--from", metavar="QUEUE", help="A queue to take the agent out of.")] = None,
    penalty: Annotated[Optional[int], typer.Option("--penalty", help="Its penalty in --to (lower rings first; default: unchanged, or 0).")] = None,
    no_wait: NoWaitOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an agent's queues (supervisor). A logged-in agent moves at once; a
    logged-out one gets the new queues at its next login.

    Example: aiivr agent move alice --to sales --from support --penalty 1
    """
    ctx = current().ctx()
    command = live_ops.agent_move(ctx, name, to=to, from_=from_, penalty=penalty)
    said = f"{name} moved to {to}" + (f" from {from_}" if from_ else "")
    if command is None:
        done(f"{said}: {name} is logged out, the new queues apply at its next login")
        return
    finish(ctx, command, no_wait=no_wait, fmt=choose(fmt, as_json), said=said)
