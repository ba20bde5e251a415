"""`aiivr token ...`: API tokens for cron jobs and scripts (admin)."""

from __future__ import annotations

from typing import Annotated

import typer

from aiivr.services import auth
from cli.output import FormatOpt, JsonOpt, choose, done, emit_list, emit_object
from cli.runtime import current

app = typer.Typer(name="token", help="API tokens for scripts (pass one in AIIVR_TOKEN).", no_args_is_help=True)

COLUMNS = [("id", "ID"), ("user", "User"), ("created_at", "Created"), ("expires_at", "Expires"),
           ("revoked", "Revoked")]


@app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="The account the token acts as.")],
    expires: Annotated[str, typer.Option("--expires", help="Lifetime, e.g. 30d, 12h, 90m.")] = "30d",
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token. It is shown once: store it, then export AIIVR_TOKEN=... in the job."""
    token, view = auth.create_token(current().ctx(), user, expires=expires)
    chosen = choose(fmt, as_json)
    if chosen == "table":
        done(f"token {view.id} for {view.user}, expires {view.expires_at}; it is shown only now:")
        print(token)
    else:
        emit_object({**view.__dict__, "token": token}, fmt=chosen)


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List API tokens (never their values)."""
    emit_list(auth.list_tokens(current().ctx()), COLUMNS, fmt=choose(fmt, as_json), empty="no API tokens")


@app.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(help="The token's ID from `token list`.")]) -> None:
    """Revoke an API token at once."""
    view = auth.revoke_token(current().ctx(), token_id)
    done(f"token {view.id} of {view.user} revoked")
