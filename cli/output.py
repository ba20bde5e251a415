"""Rendering results: a Rich table by default, JSON or CSV for scripts.

JSON shapes are fixed by the contract: a list is {"items": [...], "next": cursor}.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import sys
from enum import Enum
from typing import Annotated, Any, Iterable, Optional, Sequence

import typer

from cli.runtime import current
from rich import box
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
              next_cursor: str | None = None, title: str | None = None, empty: str = "nothing to show",
              droppable: Sequence[str] = ()) -> None:
    """A list as a table, JSON or CSV. `droppable`: columns a narrow terminal's table may
    leave out, least needed first (JSON and CSV always have every column)."""
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
        table, dropped = _people_table(rows, columns, title, stdout.width, droppable)
        stdout.print(table)
        if dropped:
            stdout.print(f"(too narrow to show {', '.join(dropped)}; --json has all)", style="dim", highlight=False)
        if next_cursor:
            stdout.print(f"more: --after {next_cursor}")


def _people_table(rows: list[dict], columns: Sequence[tuple[str, str]], title: str | None, width: int,
                  droppable: Sequence[str] = ()) -> tuple[Table, list[str]]:
    """One line per row, light rules, compact cells. Numbers and times keep their width; on
    a narrow terminal the text columns share what is left and end in an ellipsis (the whole
    value is in `show`, --json and --csv); if even that does not fit, the `droppable`
    columns are left out in that order. Returns the table and the headers left out."""
    columns, dropped = list(columns), []
    cells = {key: [_screen_cell(key, row.get(key)) for row in rows] for key, _ in columns}
    natural = {key: max([len(line) for line in header.splitlines()] + [len(c) for c in cells[key]])
               for key, header in columns}
    present = {key: [row[key] for row in rows if row.get(key) is not None] for key, _ in columns}
    numeric = {key: bool(values) and all(_is_number(v) for v in values) for key, values in present.items()}
    fixed = {key: numeric[key] or (bool(values) and all(_is_number(v) or (isinstance(v, str) and ISO_TIME.match(v))
                                                       for v in values))
             for key, values in present.items()}

    def room(kept) -> int:  # each column costs two spaces of padding besides its text
        return width - 2 * len(kept) - sum(natural[key] for key, _ in kept if fixed[key])

    for key in droppable:
        texts = [k for k, _ in columns if not fixed[k]]
        if room(columns) >= sum(min(natural[k], MIN_TEXT) for k in texts):
            break
        dropped += [header for k, header in columns if k == key]
        columns = [c for c in columns if c[0] != key]
    texts = [k for k, _ in columns if not fixed[k]]
    widths = dict(zip(texts, _share(room(columns), [natural[k] for k in texts])))
    table = Table(title=title, header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    for key, header in columns:
        header = "\n".join(_clip(line, widths.get(key)) for line in header.splitlines())
        table.add_column(header, justify="right" if numeric[key] else "left", no_wrap=True)
    for i in range(len(rows)):
        table.add_row(*[_clip(cells[key][i], widths.get(key)) for key, _ in columns])
    return table, dropped


def _clip(text: str, width: int | None) -> str:
    """Cut to `width` with an ellipsis (clipped here, not by Rich, whose widths count padding)."""
    return text if width is None or len(text) <= width else text[:max(width - 1, 0)] + "…"


MIN_TEXT = 6  # narrower than this, a text column says too little to keep


def _share(room: int, wants: list[int], least: int = 3) -> list[int]:
    """Split `room` between columns wanting `wants`: the narrow ones get what they want,
    the wide ones share the rest equally (never under `least`)."""
    given = list(wants)
    if sum(wants) <= room:
        return given
    left, open_ = room, sorted(range(len(wants)), key=lambda i: wants[i])
    while open_:
        share = max(least, left // len(open_))
        i = open_[0]
        if wants[i] <= share:
            left -= wants[i]
            open_.pop(0)
            continue
        for i in open_:
            given[i] = share
        break
    return given


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
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")  # a path or a hash is shown whole, folded
        for key, value in data.items():
            table.add_row(key, _screen_cell(key, value))
        stdout.print(table)


# 2026-03-10T10:00:00+01:00 or 2026-03-10T10:00:00.123456Z: an ISO time as the services give it.
ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _screen_cell(key: str, value: Any) -> str:
    """A cell for people: durations (`*_seconds`, `seconds_*`) as m:ss, times without their offset (they
    are in the site time zone already), whole numbers without `.0`. JSON and CSV keep the
    raw values for scripts."""
    if _is_number(value) and "seconds" in key.split("_"):
        return duration(value)
    if isinstance(value, float):
        return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    if isinstance(value, str) and (match := ISO_TIME.match(value)):
        return f"{match.group(1)} {match.group(2)}"
    return _cell(value)


def duration(seconds: float) -> str:
    """12 -> 0:12, 245 -> 4:05, 3725 -> 1:02:05 (rounded to the second)."""
    total = round(seconds)
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
