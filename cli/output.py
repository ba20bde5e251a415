"""Rendering results: a Rich table by default, JSON or CSV for scripts.

JSON shapes are fixed by the contract: a list is {"items": [...], "next": cursor}.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from enum import Enum
from typing import Annotated, Any, Iterable, Optional, Sequence

import typer

from cli.runtime import current
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv")

FormatOpt = Annotated[
    Optional[str],
    typer.Option("--format", help="Output format: table, json or csv.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json.")]

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def plain(value: Any) -> Any:
    """Dataclasses, enums and friends as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def choose(fmt: str | None, as_json: bool) -> str:
    chosen = "json" if as_json else (fmt or current().fmt or "table")
    if chosen not in FORMATS:
        raise typer.BadParameter(f"unknown format {chosen!r}: use table, json or csv", param_hint="--format")
    return chosen


def emit_list(items: Iterable[Any], columns: Sequence[tuple[str, str]], *, fmt: str,
              next_cursor: str | None = None, title: str | None = None, empty: str = "nothing to show") -> None:
    rows = [plain(item) for item in items]
    if fmt == "json":
        print(json.dumps({"items": rows, "next": next_cursor}, ensure_ascii=False, default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([key for key, _ in columns])
        for row in rows:
            writer.writerow([_cell(row.get(key)) for key, _ in columns])
    else:
        if not rows:
            stdout.print(empty)
            return
        table = Table(title=title, header_style="bold")
        for _, header in columns:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*[_cell(row.get(key)) for key, _ in columns])
        stdout.print(table)
        if next_cursor:
            stdout.print(f"more: --after {next_cursor}")


def emit_object(obj: Any, *, fmt: str, title: str | None = None) -> None:
    data = plain(obj)
    if fmt == "json":
        print(json.dumps(data, ensure_ascii=False, default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(list(data))
        writer.writerow([_cell(v) for v in data.values()])
    else:
        table = Table(title=title, show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for key, value in data.items():
            table.add_row(key, _cell(value))
        stdout.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def done(message: str) -> None:
    """A one-line confirmation for people (goes to stderr so stdout stays data)."""
    stderr.print(message, highlight=False)
