"""recorder: calls, call timelines, queue entries, agent status history, queue members, PBX state, data gaps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('backfilled', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('pbx_state',
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('booted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('connected', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('system')
    )
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('local_hour', sa.Integer(), nullable=False),
    sa.Column('caller_num', sa.String(length=64), nullable=False),
    sa.Column('caller_name', sa.String(length=128), nullable=False),
    sa.Column('caller_num_norm', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('agent_user_id', sa.Integer(), nullable=True),
    sa.Column('agent_interface', sa.String(length=128), nullable=True),
    sa.Column('agent_name', sa.String(length=128), nullable=True),
    sa.Column('disposition', sa.String(length=16), nullable=False),
    sa.Column('end_cause', sa.String(length=64), nullable=False),
    sa.Column('wait_seconds', sa.Float(), nullable=False),
    sa.Column('talk_seconds', sa.Float(), nullable=False),
    sa.Column('hold_seconds', sa.Float(), nullable=False),
    sa.Column('wrapup_seconds', sa.Float(), nullable=False),
    sa.Column('origin', sa.String(length=32), nullable=True),
    sa.Column('recording_path', sa.String(length=512), nullable=True),
    sa.Column('csat_score', sa.Integer(), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('linked_call_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agent_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['linked_call_id'], ['calls.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'linkedid', name='uq_calls_system_linkedid')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_agent_started', ['agent_user_id', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_caller_started', ['caller_num_norm', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_direction_started', ['direction', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_local_date', ['local_date'], unique=False)
        batch_op.create_index('ix_calls_open', ['ended_at'], unique=False)
        batch_op.create_index('ix_calls_started', ['started_at'], unique=False)

    op.create_table('queue_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('member_name', sa.String(length=128), nullable=False),
    sa.Column('state_interface', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('membership', sa.String(length=16), nullable=False),
    sa.Column('penalty', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('paused_reason', sa.String(length=32), nullable=False),
    sa.Column('in_call', sa.Boolean(), nullable=False),
    sa.Column('device_state', sa.Integer(), nullable=True),
    sa.Column('calls_taken', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('queue', 'interface', name='uq_queue_members_queue_interface')
    )
    op.create_table('agent_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('member_name', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('local_hour', sa.Integer(), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interface', 'started_at', name='uq_agent_status_interface_started')
    )
    with op.batch_alter_table('agent_status', schema=None) as batch_op:
        batch_op.create_index('ix_agent_status_interface_open', ['interface', 'ended_at'], unique=False)
        batch_op.create_index('ix_agent_status_local_date', ['local_date'], unique=False)
        batch_op.create_index('ix_agent_status_user_started', ['user_id', 'started_at'], unique=False)

    op.create_table('call_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('interface', sa.String(length=128), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index('ix_call_events_call', ['call_id', 'at'], unique=False)
        batch_op.create_index('ix_call_events_kind_user', ['kind', 'user_id', 'at'], unique=False)

    op.create_table('queue_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('caller_num', sa.String(length=64), nullable=False),
    sa.Column('caller_name', sa.String(length=128), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('local_hour', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('wait_seconds', sa.Float(), nullable=True),
    sa.Column('talk_seconds', sa.Float(), nullable=True),
    sa.Column('agent_user_id', sa.Integer(), nullable=True),
    sa.Column('agent_interface', sa.String(length=128), nullable=True),
    sa.Column('member_name', sa.String(length=128), nullable=True),
    sa.Column('completed_by', sa.String(length=16), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['agent_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'uniqueid', 'queue', name='uq_queue_entries_identity')
    )
    with op.batch_alter_table('queue_entries', schema=None) as batch_op:
        batch_op.create_index('ix_queue_entries_agent_entered', ['agent_user_id', 'entered_at'], unique=False)
        batch_op.create_index('ix_queue_entries_local_date', ['local_date', 'queue'], unique=False)
        batch_op.create_index('ix_queue_entries_open', ['ended_at'], unique=False)
        batch_op.create_index('ix_queue_entries_queue_entered', ['queue', 'entered_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('queue_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_entries_queue_entered')
        batch_op.drop_index('ix_queue_entries_open')
        batch_op.drop_index('ix_queue_entries_local_date')
        batch_op.drop_index('ix_queue_entries_agent_entered')

    op.drop_table('queue_entries')
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.drop_index('ix_call_events_kind_user')
        batch_op.drop_index('ix_call_events_call')

    op.drop_table('call_events')
    with op.batch_alter_table('agent_status', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_status_user_started')
        batch_op.drop_index('ix_agent_status_local_date')
        batch_op.drop_index('ix_agent_status_interface_open')

    op.drop_table('agent_status')
    op.drop_table('queue_members')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_started')
        batch_op.drop_index('ix_calls_open')
        batch_op.drop_index('ix_calls_local_date')
        batch_op.drop_index('ix_calls_direction_started')
        batch_op.drop_index('ix_calls_caller_started')
        batch_op.drop_index('ix_calls_agent_started')

    op.drop_table('calls')
    op.drop_table('pbx_state')
    op.drop_table('data_gaps')
