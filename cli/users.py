"""`aiivr user ...`: accounts (admin; anyone may change its own password)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr.services import users
from cli import prompts
from cli.output import FormatOpt, JsonOpt, choose, done, emit_list, emit_object
from cli.runtime import current

app = typer.Typer(name="user", help="Add, list and disable user accounts.", no_args_is_help=True)

COLUMNS = [("name", "Name"), ("role", "Role"), ("full_name", "Full name"), ("interface", "Interface"),
           ("extension", "Ext"), ("queues", "Queues"), ("active", "Active")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, . _ -")],
    role: Annotated[str, typer.Option("--role", help="agent, supervisor or admin.")],
    full_name: Annotated[str, typer.Option("--full-name", help="Name shown on screens.")] = "",
    interface: Annotated[Optional[str], typer.Option("--interface", help="Queue-member interface Asterisk knows the agent by, e.g. PJSIP/1001.")] = None,
    extension: Annotated[Optional[str], typer.Option("--extension", help="The user's phone extension (for monitoring and dialling).")] = None,
    queues: Annotated[Optional[str], typer.Option("--queues", help="Comma-separated queues the agent belongs to, e.g. support,sales.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user. Example: aiivr user add alice --role agent --interface PJSIP/1001 --queues support"""
    rt = current()
    ctx = rt.ctx()
    users.check_name(name)
    users.parse_role(role)  # refuse a bad name or role before asking for a password
    password = prompts.password(from_stdin=password_stdin, confirm=True, prompt=f"Password for {name}")
    queue_list = [q.strip() for q in queues.split(",") if q.strip()] if queues else []
    user = users.add_user(ctx, name=name, role=role, password=password, full_name=full_name,
                          interface=interface, extension=extension, queues=queue_list)
    emit_object(user, fmt=choose(fmt, as_json), title=f"user {name} added")


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List every account with its role, interface and queues."""
    emit_list(users.list_users(current().ctx()), COLUMNS, fmt=choose(fmt, as_json), empty="no users")


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable an account: it can no longer log in, and its sessions and tokens stop working."""
    users.set_active(current().ctx(), name, False)
    done(f"user {name} disabled")


@app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="The user to enable again.")]) -> None:
    """Enable a disabled account again."""
    users.set_active(current().ctx(), name, True)
    done(f"user {name} enabled")


@app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="Whose password to change (yourself, or anyone if admin).")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the new password from standard input.")] = False,
) -> None:
    """Change a password. Changing your own asks for the current one first (on a terminal)."""
    ctx = current().ctx()
    current_password = None
    if ctx.actor.name == name and not password_stdin:
        current_password = prompts.password(from_stdin=False, confirm=False, prompt="Current password")
    new = prompts.password(from_stdin=password_stdin, confirm=True, prompt="New password")
    users.change_password(ctx, name, new_password=new, current_password=current_password)
    done(f"password of {name} changed")
