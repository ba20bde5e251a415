"""`aiivr config check`: what is in force, secrets masked."""

from __future__ import annotations

import typer
from rich.table import Table

from aiivr import config as config_mod
from cli.output import FormatOpt, JsonOpt, choose, emit_object, stdout, plain
from cli.runtime import current

app = typer.Typer(name="config", help="Inspect the configuration.", no_args_is_help=True)


@app.command("check")
def check(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Validate the config file and print every setting in force (secrets as ***)."""
    cfg = current().config()
    data = config_mod.as_dict(cfg)
    chosen = choose(fmt, as_json)
    if chosen != "table":
        emit_object({"source": cfg.source, **data}, fmt=chosen)
        return
    stdout.print(f"config: {cfg.source or 'built-in defaults (no file)'} - OK", highlight=False)
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("key")
    table.add_column("value")
    for section, values in data.items():
        for key, value in values.items():
            table.add_row(f"{section}.{key}", str(plain(value)))
    stdout.print(table)
