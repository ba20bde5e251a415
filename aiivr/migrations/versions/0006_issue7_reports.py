"""call log and KPI indexes; the KPI daily rollup and the triggers that invalidate it (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

The triggers note, for every row written to calls, queue_entries, ring-no-answer
call_events and agent_status, the UTC hours it touches in kpi_dirty (one small upsert
per row; a duplicate is ignored), so a report knows which rollup days to recompute
whoever wrote the row. See aiivr/models/reports.py and docs/kpis.md.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# (table, kind, start column, end column or None, condition on the row or None)
WATCHED = (
    ("calls", "c", "started_at", None, None),
    ("queue_entries", "e", "entered_at", None, None),
    ("call_events", "e", "at", None, "{row}.kind = 'ring_no_answer'"),
    ("agent_status", "s", "started_at", "ended_at", None),
)


def upgrade() -> None:
    for table in ('kpi_daily', 'kpi_monthly'):
        op.create_table(table,
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('queue', sa.String(length=64), nullable=False),
        sa.Column('agent', sa.String(length=160), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        *[sa.Column(name, sa.BigInteger() if name.endswith('_ms') else sa.Integer(), nullable=False) for name in (
            'offered', 'answered', 'abandoned', 'short_abandoned', 'timed_out', 'wait_n', 'wait_ms', 'wait_max_ms',
            'asa_ms', 'sl_within', 'sl_abandoned_after', 'handled', 'talk_ms', 'hold_ms', 'wrapup_ms', 'missed',
            'fcr_resolved', 'fcr_repeated', 'csat_n', 'csat_sum', 'csat_satisfied', 'handling_ms', 'available_ms',
            'paused_ms')],
        sa.PrimaryKeyConstraint('local_date', 'queue', 'agent', 'reason'),
        sqlite_with_rowid=False
        )
    op.create_table('kpi_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('kpi_days',
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('fcr_final', sa.Boolean(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('local_date')
    )
    op.create_table('kpi_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=False),
    sa.Column('taken', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('kpi_dirty',
    sa.Column('kind', sa.String(length=1), nullable=False),
    sa.Column('lo_hour', sa.BigInteger(), nullable=False),
    sa.Column('hi_hour', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'lo_hour', 'hi_hour')
    )
    op.create_index('ix_queue_entries_call', 'queue_entries', ['call_id', 'queue'], unique=False)
    op.create_index('ix_call_events_kind_at', 'call_events', ['kind', 'at'], unique=False)
    op.create_index('ix_calls_disposition_started', 'calls', ['disposition', 'started_at'], unique=False)
    op.create_index('ix_calls_queue_started', 'calls', ['queue', 'started_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _conditions(row: str, op_name: str, start: str, end: str | None, condition: str | None) -> list[str]:
    """When a row's hours need marking: an update marks the old hours too only if they moved
    (the recorder updates rows all the time; their start almost never changes)."""
    out = [condition.format(row=row)] if condition else []
    if op_name == "update" and row == "OLD":
        moved = [f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (start, end) if c]
        out.append("(" + " OR ".join(moved) + ")")
    return out


def _sqlite_triggers() -> None:
    def hour(column: str) -> str:
        # strftime('%s') is exact whole seconds; julianday arithmetic can land a row that
        # starts on the hour in the hour before.
        return f"CAST(strftime('%s', {column}) AS INTEGER) / 3600"

    for table, kind, start, end, condition in WATCHED:
        for op_name, rows in (("insert", ("NEW",)), ("update", ("NEW", "OLD")), ("delete", ("OLD",))):
            inserts = []
            for row in rows:
                lo = hour(f"{row}.{start}")
                hi = hour(f"COALESCE({row}.{end}, {row}.{start})") if end else lo
                conditions = [c.replace("IS DISTINCT FROM", "IS NOT") for c in _conditions(row, op_name, start, end, condition)]
                where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
                inserts.append(f"INSERT OR IGNORE INTO kpi_dirty (kind, lo_hour, hi_hour) SELECT '{kind}', {lo}, {hi}{where};")
            op.execute(f"CREATE TRIGGER kpi_{table}_{op_name} AFTER {op_name.upper()} ON {table} "
                       f"BEGIN {' '.join(inserts)} END")


def _postgres_triggers() -> None:
    for table, kind, start, end, condition in WATCHED:
        def mark(row: str, op_name: str) -> str:
            lo = f"floor(extract(epoch from {row}.{start}) / 3600)::bigint"
            hi = f"floor(extract(epoch from COALESCE({row}.{end}, {row}.{start})) / 3600)::bigint" if end else lo
            insert = (f"INSERT INTO kpi_dirty (kind, lo_hour, hi_hour) VALUES ('{kind}', {lo}, {hi}) "
                      "ON CONFLICT DO NOTHING;")
            conditions = _conditions(row, op_name, start, end, condition)
            return f"IF {' AND '.join(conditions)} THEN {insert} END IF;" if conditions else insert

        op.execute(f"""
CREATE FUNCTION kpi_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {mark('NEW', 'insert')} END IF;
    IF TG_OP = 'UPDATE' THEN {mark('NEW', 'update')} {mark('OLD', 'update')} END IF;
    IF TG_OP = 'DELETE' THEN {mark('OLD', 'delete')} END IF;
    RETURN NULL;
END $$""")
        op.execute(f"CREATE TRIGGER kpi_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION kpi_mark_{table}()")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, *_ in WATCHED:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS kpi_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS kpi_mark_{table}()")
        else:
            for op_name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS kpi_{table}_{op_name}")
    op.drop_index('ix_calls_queue_started', table_name='calls')
    op.drop_index('ix_calls_disposition_started', table_name='calls')
    op.drop_index('ix_call_events_kind_at', table_name='call_events')
    op.drop_index('ix_queue_entries_call', table_name='queue_entries')
    op.drop_table('kpi_dirty')
    op.drop_table('kpi_state')
    op.drop_table('kpi_days')
    op.drop_table('kpi_months')
    op.drop_table('kpi_monthly')
    op.drop_table('kpi_daily')
