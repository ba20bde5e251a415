"""`aiivr login`, `logout`, `whoami`."""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr import credentials
from aiivr.services import auth
from cli import prompts
from cli.runtime import current
from cli.output import FormatOpt, JsonOpt, choose, done, emit_object


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)


def login(
    name: Annotated[str, typer.Argument(help="Your user name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Log in and keep a session token (valid 7 days) for this database."""
    rt = current()
    db = rt.database()
    password = prompts.password(from_stdin=password_stdin, confirm=False)
    token, principal = auth.login(db, name, password)
    path = credentials.save(rt.config().database.url, token)
    done(f"logged in as {principal.name} ({principal.role.value}); session kept in {path}")


def logout() -> None:
    """End this machine's session for the configured database."""
    rt = current()
    url = rt.config().database.url
    token = credentials.load(url)
    if token is None:
        done("not logged in")
        return
    auth.logout(rt.database(), token)
    credentials.forget(url)
    done("logged out")


def whoami(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Who the current session or AIIVR_TOKEN acts as."""
    principal = current().principal()
    emit_object({"name": principal.name, "role": principal.role.value, "id": principal.user_id},
                fmt=choose(fmt, as_json))
