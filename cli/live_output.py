"""What the live-operation commands share: --no-wait, waiting for Asterisk, the output.

A command writes an outbox row through a core service; by default the CLI then waits
(bounded) until Asterisk answered and its confirming event is recorded, and exits 4 with
Asterisk's reason when it refused or did not answer. --no-wait prints the queued command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr.outbox import CommandView
from aiivr.principal import Ctx
from aiivr.services import live_ops
from cli.output import done, emit_object

NoWaitOpt = Annotated[bool, typer.Option("--no-wait", help="Queue the command and return at once; "
                                         "`aiivr serve` sends it within its time to live or never.")]


def finish(ctx: Ctx, command: CommandView, *, no_wait: bool, fmt: str, said: str) -> None:
    """Wait for confirmation (unless --no-wait), print the command, and one line for people."""
    if no_wait:
        emit_object(command, fmt=fmt, title=f"command {command.id}")
        done(f"queued: {said} (command {command.id}; aiivr serve sends it before {command.expires_at} or never)")
        return
    confirmed = live_ops.wait(ctx, command)
    emit_object(confirmed, fmt=fmt, title=f"command {confirmed.id}")
    done(f"{said}: Asterisk confirmed ({confirmed.result})")
