"""`aiivr init` and `aiivr db upgrade`: for whoever can write the database."""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr import schema
from aiivr.config import mask_url
from aiivr.services import setup
from cli import prompts
from cli.runtime import current
from cli.output import done, stdout

db_app = typer.Typer(name="db", help="Database schema maintenance.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    admin: Annotated[str, typer.Option("--admin", help="Name of the first admin account.")] = "admin",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the admin password from standard input.")] = False,
) -> None:
    """Create or migrate the database, seed reference data and create the first admin.

    Safe to run again: a second run changes nothing. The password is asked for only
    when no admin exists yet.
    """
    rt = current()
    db = rt.database(check_schema=False)
    password = None
    if not setup.has_admin(db):
        password = prompts.password(from_stdin=password_stdin, confirm=True, prompt=f"Password for {admin}")
    result = setup.initialise(db, rt.config(), admin_name=admin, admin_password=password)
    where = mask_url(rt.config().database.url)
    if not result.changed:
        done(f"database {where} is up to date (schema {result.schema_after}); nothing changed")
        return
    if result.schema_before != result.schema_after:
        done(f"database {where}: schema {result.schema_before or 'none'} -> {result.schema_after}")
    if result.seeded:
        done(f"seeded: {', '.join(result.seeded)}")
    if result.admin_created:
        done(f"first admin {result.admin_created!r} created; now run `aiivr login {result.admin_created}`")


@db_app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to this version of AIIVR."""
    db = current().database(check_schema=False)
    before, after = schema.upgrade(db)
    if before == after:
        stdout.print(f"schema already at {after}")
    else:
        done(f"schema {before or 'none'} -> {after}")
