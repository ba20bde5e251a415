"""recording vault and alerts (issue 5): recordings, recording_skips, alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vault_path', sa.String(length=512), nullable=False),
    sa.Column('source_path', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id', 'source_path', name='uq_recordings_call_source')
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index('ix_recordings_created', ['created_at'], unique=False)
        batch_op.create_index('ix_recordings_sha256', ['sha256'], unique=False)
        batch_op.create_index('ix_recordings_source', ['source_path'], unique=False)

    op.create_table('recording_skips',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('source_path', sa.String(length=512), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ),
    sa.PrimaryKeyConstraint('call_id', 'source_path')
    )
    with op.batch_alter_table('recording_skips', schema=None) as batch_op:
        batch_op.create_index('ix_recording_skips_source', ['source_path'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged', sa.Boolean(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_kind_key', ['kind', 'dedupe_key'], unique=False)
        batch_op.create_index('ix_alerts_open', ['acknowledged', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_open')
        batch_op.drop_index('ix_alerts_kind_key')

    op.drop_table('alerts')
    with op.batch_alter_table('recording_skips', schema=None) as batch_op:
        batch_op.drop_index('ix_recording_skips_source')

    op.drop_table('recording_skips')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_source')
        batch_op.drop_index('ix_recordings_sha256')
        batch_op.drop_index('ix_recordings_created')

    op.drop_table('recordings')
