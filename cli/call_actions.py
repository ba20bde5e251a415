"""`aiivr call dial NUMBER`, `aiivr call callback ID`: registered onto cli.calls.app.

AIIVR rings your own phone ([outbound] originate_channel) and, when you answer, dials
the number through [outbound] context. A callback dials the caller of an abandoned or
missed call, and the new call is linked to it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr.services import live_ops
from cli.calls import app
from cli.live_output import NoWaitOpt, finish
from cli.output import FormatOpt, JsonOpt, choose
from cli.runtime import current


@app.command("dial")
def dial(
    number: Annotated[str, typer.Argument(help="The number to call: digits, optionally with a leading +.")],
    no_wait: NoWaitOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Call a number from your phone (it rings first; answer it).

    Example: aiivr call dial +4930123456
    """
    ctx = current().ctx()
    command = live_ops.dial(ctx, number)
    finish(ctx, command, no_wait=no_wait, fmt=choose(fmt, as_json), said=f"calling {number}")


@app.command("callback")
def callback(
    call_id: Annotated[int, typer.Argument(metavar="ID", help="An abandoned or missed call (from `aiivr call list`).")],
    no_wait: NoWaitOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Call back the caller of an abandoned or missed call from your phone.

    Example: aiivr call callback 42
    """
    ctx = current().ctx()
    command = live_ops.callback(ctx, call_id)
    finish(ctx, command, no_wait=no_wait, fmt=choose(fmt, as_json), said=f"calling back call {call_id}")
