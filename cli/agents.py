"""`aiivr agent ...`: who is doing what (the actions that change status come later)."""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr.services import agents
from cli.output import FormatOpt, JsonOpt, choose, emit_list, emit_object
from cli.runtime import current

app = typer.Typer(name="agent", help="Agents' live status, reasons and current calls.", no_args_is_help=True)

COLUMNS = [("name", "Agent"), ("full_name", "Name"), ("status", "Status"), ("reason", "Reason"),
           ("seconds_in_state", "For"), ("current_caller", "On call with"), ("queues", "Queues"),
           ("interface", "Interface")]
UNMAPPED_COLUMNS = [("interface", "Interface"), ("member_name", "Member name"), ("status", "Status"),
                    ("queues", "Queues")]


@app.command("list")
def list_(
    unmapped: Annotated[bool, typer.Option("--unmapped", help="Queue members Asterisk reports that match no user (map them with `user add --interface`).")] = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every agent with its live status (an agent sees itself)."""
    items = agents.list_agents(current().ctx(), unmapped=unmapped)
    emit_list(items, UNMAPPED_COLUMNS if unmapped else COLUMNS, fmt=choose(fmt, as_json),
              empty="no unmapped members" if unmapped else "no agents")


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="The agent's user name.")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One agent: status, reason, time in state, current call, queue memberships."""
    emit_object(agents.show_agent(current().ctx(), name), fmt=choose(fmt, as_json), title=f"agent {name}")
