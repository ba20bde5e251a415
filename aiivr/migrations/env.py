"""Alembic environment: always run with a connection handed in by aiivr.schema."""

from alembic import context
from sqlmodel import SQLModel

import aiivr.models  # noqa: F401 - registers every table on the metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `aiivr init` / `aiivr db upgrade`")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
