"""recording vault and alerts (issue 5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Reserved so work on several issues can add tables in parallel with a fixed order;
empty until that issue fills it.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
