"""Creating and upgrading the schema (Alembic), and refusing a schema we do not know.

The revisions are files named NNNN_*.py under migrations/versions; their ids are the
NNNN prefix, so knowing which revisions exist needs no Alembic import on the hot path
of every CLI command.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc

from aiivr.db import Database
from aiivr.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def known_revisions() -> list[str]:
    return sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def head_revision() -> str:
    return known_revisions()[-1]


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except exc.OperationalError as error:
        raise db.unavailable(error) from error


def require_current(db: Database) -> None:
    """Refuse to work on a database that is missing, behind or ahead of this AIIVR."""
    current = current_revision(db)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise DatabaseError("the database is not initialised: run `aiivr init`")
    if current in known_revisions():
        raise DatabaseError(f"the database schema is at {current}, this AIIVR needs {head}: run `aiivr db upgrade`")
    raise DatabaseError(
        f"the database was created by a newer AIIVR (schema {current}; this one knows up to {head}): "
        "upgrade AIIVR before using this database"
    )


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the schema to head. Returns (revision before, revision after)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    before = current_revision(db)
    if before is not None and before not in known_revisions():
        require_current(db)  # raises the "newer AIIVR" error
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with db.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
    except exc.OperationalError as error:
        raise db.unavailable(error) from error
    return before, head_revision()
