"""Plain in-memory rows for the recorder's hot path, written in bulk.

The ORM costs about half a millisecond per object built and per attribute set through
SQLModel; the recorder makes thousands a second. These rows are plain objects that
remember which columns changed; Store.commit writes new rows with multi-row INSERT ...
RETURNING statements and changed rows with an UPDATE per set of changed columns (see
aiivr.recorder.bulk). Only the columns a row changed are written, so another process's
changes to other columns of the same row (a call marked resolved) are never undone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic_core import PydanticUndefined

from aiivr.models.agents import AgentStatus, QueueMember
from aiivr.models.calls import Call, QueueEntry


def to_dt(ts: float) -> dt.datetime:
    """An epoch time as the rows hold times: aware, in UTC."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def _defaults(model) -> dict[str, Any]:
    out = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            out[name] = field.default_factory
        elif field.default is not PydanticUndefined:
            out[name] = field.default
    return out


class Row:
    MODEL: ClassVar[type]
    TABLE: ClassVar[sa.Table]
    COLUMNS: ClassVar[frozenset[str]]
    INSERT_ORDER: ClassVar[tuple[str, ...]]
    DEFAULTS: ClassVar[dict[str, Any]]
    _STATIC: ClassVar[dict[str, Any]]  # DEFAULTS' plain values
    _FACTORIES: ClassVar[tuple[tuple[str, Any], ...]]  # DEFAULTS' factories, called per row

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.TABLE = cls.MODEL.__table__
        cls.COLUMNS = frozenset(c.name for c in cls.TABLE.columns)
        cls.INSERT_ORDER = tuple(c.name for c in cls.TABLE.columns if c.name != "id")
        cls.DEFAULTS = _defaults(cls.MODEL)
        cls._STATIC = {n: v for n, v in cls.DEFAULTS.items() if not callable(v)}
        cls._FACTORIES = tuple((n, v) for n, v in cls.DEFAULTS.items() if callable(v))

    def __init__(self, **values: Any) -> None:
        d = self.__dict__
        d.update(self._STATIC)
        for name, factory in self._FACTORIES:
            d[name] = factory()
        d.update(values)
        d.setdefault("id", None)
        d["_dirty"] = set()

    @classmethod
    def loaded(cls, mapping) -> "Row":
        row = cls.__new__(cls)
        row.__dict__.update(mapping)
        row.__dict__["_dirty"] = set()
        return row

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if d.get(name, _MISSING) != value:
            d[name] = value
            if name in self.COLUMNS and d["id"] is not None:
                d["_dirty"].add(name)

    def values(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self.COLUMNS if name != "id" and name in self.__dict__}

    def present_columns(self) -> tuple[str, ...]:
        """The columns this row has a value for, but id, in the table's order (what an INSERT names)."""
        d = self.__dict__
        return tuple(name for name in self.INSERT_ORDER if name in d)

    def column_values(self, columns: tuple[str, ...]) -> tuple:
        d = self.__dict__
        return tuple([d[name] for name in columns])


_MISSING = object()


class CallRow(Row):
    MODEL = Call


class EntryRow(Row):
    MODEL = QueueEntry
    call: CallRow | None = None  # the call whose id becomes call_id when both are written


class StatusRow(Row):
    MODEL = AgentStatus
    call: CallRow | None = None


class MemberRow(Row):
    MODEL = QueueMember
