"""queries: customer queries, their calls and history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('queries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_num', sa.String(length=64), nullable=False),
    sa.Column('customer_num_norm', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=128), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('queries', schema=None) as batch_op:
        batch_op.create_index('ix_queries_assignee_status', ['assignee_user_id', 'status'], unique=False)
        batch_op.create_index('ix_queries_created', ['created_at'], unique=False)
        batch_op.create_index('ix_queries_customer_status', ['customer_num_norm', 'status'], unique=False)
        batch_op.create_index('ix_queries_status_due', ['status', 'due_at'], unique=False)

    op.create_table('query_calls',
    sa.Column('query_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ),
    sa.ForeignKeyConstraint(['query_id'], ['queries.id'], ),
    sa.PrimaryKeyConstraint('query_id', 'call_id')
    )
    with op.batch_alter_table('query_calls', schema=None) as batch_op:
        batch_op.create_index('ix_query_calls_call', ['call_id'], unique=False)

    op.create_table('query_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('what', sa.String(length=16), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('why', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['query_id'], ['queries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('query_history', schema=None) as batch_op:
        batch_op.create_index('ix_query_history_query', ['query_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('query_history', schema=None) as batch_op:
        batch_op.drop_index('ix_query_history_query')

    op.drop_table('query_history')
    with op.batch_alter_table('query_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_query_calls_call')

    op.drop_table('query_calls')
    with op.batch_alter_table('queries', schema=None) as batch_op:
        batch_op.drop_index('ix_queries_status_due')
        batch_op.drop_index('ix_queries_customer_status')
        batch_op.drop_index('ix_queries_created')
        batch_op.drop_index('ix_queries_assignee_status')

    op.drop_table('queries')
