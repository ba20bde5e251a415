"""agent_calls: the calls each agent took or missed, in page order; outbound calls by number (issue 7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

An agent's call log read four streams (calls it answered, queue legs it answered, its
ring-no-answer events, outbound calls from its extension) scattered over the whole
database: at 5,000,000 calls a page read ~270 cold rows. agent_calls holds one row per
(user, call) it took or missed, keyed (user_id, started_at, call_id), so a page is one
walk of adjacent rows. Triggers keep it equal to those rows whoever writes them (the
recorder, a queue_log import or backfill, a hand edit), firing only when a row that
decides it changed: a user gaining a call (an answer, a ring-no-answer) is one upsert;
anything that can take a call away from someone (a transfer moving the call's agent, a
start corrected, a row moved or deleted) recomputes that call's rows from scratch.
The outbound calls an agent made depend on its extension when the list is read, so they
are not copied here: a partial index on calls serves them as one more ordered walk.
See aiivr/models/calls.py (AgentCall) and aiivr/services/call_list.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _rows(call: str | None, postgres: bool) -> str:
    """SELECT of the agent_calls rows of one call (`call`: a value or NEW.x/OLD.x), or of
    every call (None), in primary key order: who answered it, answered a queue leg of it
    (also when transferring on), or let it ring unanswered."""
    yes, no = ("true", "false") if postgres else ("1", "0")
    either = "bool_or" if postgres else "max"

    def of(column: str) -> str:
        return f" AND {column} = {call}" if call else ""

    # For one call, only the call_id index will do: SQLite's unary + keeps its planner off
    # the (kind, user_id) and (agent_user_id, ...) indexes, which would read every row.
    plus = "+" if call and not postgres else ""
    sources = (f"SELECT id AS call_id, agent_user_id AS user_id, {yes} AS took, {no} AS missed FROM calls "
               f"WHERE agent_user_id IS NOT NULL{of('id')} "
               f"UNION ALL SELECT call_id, agent_user_id, {yes}, {no} FROM queue_entries "
               f"WHERE {plus}agent_user_id IS NOT NULL{of('call_id')} "
               f"UNION ALL SELECT call_id, user_id, {no}, {yes} FROM call_events "
               f"WHERE {plus}kind = 'ring_no_answer' AND {plus}user_id IS NOT NULL{of('call_id')}")
    return (f"SELECT s.user_id, c.started_at, c.id, {either}(s.took), {either}(s.missed) "
            f"FROM ({sources}) AS s JOIN calls AS c ON c.id = s.call_id "
            "GROUP BY s.user_id, c.started_at, c.id")


INSERT = "INSERT INTO agent_calls (user_id, started_at, call_id, took, missed) "


def fill_sql(postgres: bool) -> str:
    """Every call's rows, in key order; bench/data.py runs it after its bulk load too."""
    return INSERT + _rows(None, postgres) + " ORDER BY 1, 2, 3"


def _refresh(call: str, postgres: bool) -> str:
    """Statements making agent_calls right for one call, from scratch: for every change
    that can take a call away from someone. The upsert: two PostgreSQL transactions
    refreshing one call at once must not fail on the primary key."""
    return (f"DELETE FROM agent_calls WHERE call_id = {call}; "
            f"{INSERT}{_rows(call, postgres)} "
            "ON CONFLICT (user_id, started_at, call_id) DO UPDATE SET took = excluded.took, missed = excluded.missed;")


def _add(user: str, call: str, flag: str, postgres: bool) -> str:
    """The common case, a user gaining a call (an answer, a ring-no-answer): one upsert,
    a third of what a refresh costs (its GROUP BY sorts)."""
    yes, no = ("true", "false") if postgres else ("1", "0")
    took, missed = (yes, no) if flag == "took" else (no, yes)
    return (f"{INSERT}SELECT {user}, started_at, id, {took}, {missed} FROM calls WHERE id = {call} "
            f"ON CONFLICT (user_id, started_at, call_id) DO UPDATE SET {flag} = {yes};")


# (table, trigger name, timing clause, condition, steps): every change that can alter an
# agent's set. A step is ("add", user, call, flag) or ("refresh", call).
RNA_OLD, RNA_NEW = "OLD.kind = 'ring_no_answer'", "NEW.kind = 'ring_no_answer'"
LEG_KEPT = ("(OLD.agent_user_id IS NULL OR OLD.call_id IS NULL "
            "OR (OLD.agent_user_id = NEW.agent_user_id AND OLD.call_id = NEW.call_id))")
TRIGGERS = (
    ("calls", "ins", "INSERT", "NEW.agent_user_id IS NOT NULL", (("add", "NEW.agent_user_id", "NEW.id", "took"),)),
    ("calls", "set", "UPDATE OF agent_user_id", "OLD.agent_user_id IS NULL AND NEW.agent_user_id IS NOT NULL",
     (("add", "NEW.agent_user_id", "NEW.id", "took"),)),
    ("calls", "upd", "UPDATE OF agent_user_id, started_at",
     "NEW.started_at IS DISTINCT FROM OLD.started_at "
     "OR (OLD.agent_user_id IS NOT NULL AND NEW.agent_user_id IS DISTINCT FROM OLD.agent_user_id)",
     (("refresh", "NEW.id"),)),
    ("queue_entries", "ins", "INSERT", "NEW.agent_user_id IS NOT NULL AND NEW.call_id IS NOT NULL",
     (("add", "NEW.agent_user_id", "NEW.call_id", "took"),)),
    ("queue_entries", "set", "UPDATE OF agent_user_id, call_id",
     f"NEW.agent_user_id IS NOT NULL AND NEW.call_id IS NOT NULL AND {LEG_KEPT}",
     (("add", "NEW.agent_user_id", "NEW.call_id", "took"),)),
    ("queue_entries", "upd", "UPDATE OF agent_user_id, call_id",
     "OLD.agent_user_id IS NOT NULL AND OLD.call_id IS NOT NULL "
     "AND (NEW.agent_user_id IS DISTINCT FROM OLD.agent_user_id OR NEW.call_id IS DISTINCT FROM OLD.call_id)",
     (("refresh", "NEW.call_id"), ("refresh", "OLD.call_id"))),
    ("queue_entries", "del", "DELETE", "OLD.agent_user_id IS NOT NULL AND OLD.call_id IS NOT NULL",
     (("refresh", "OLD.call_id"),)),
    ("call_events", "ins", "INSERT", f"{RNA_NEW} AND NEW.user_id IS NOT NULL",
     (("add", "NEW.user_id", "NEW.call_id", "missed"),)),
    ("call_events", "upd", "UPDATE OF kind, user_id, call_id",
     f"({RNA_OLD} OR {RNA_NEW}) AND (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.user_id IS DISTINCT FROM OLD.user_id "
     "OR NEW.call_id IS DISTINCT FROM OLD.call_id)", (("refresh", "NEW.call_id"), ("refresh", "OLD.call_id"))),
    ("call_events", "del", "DELETE", f"{RNA_OLD} AND OLD.user_id IS NOT NULL", (("refresh", "OLD.call_id"),)),
)


def _step(step: tuple, postgres: bool) -> str:
    if step[0] == "add":
        return _add(*step[1:], postgres)
    return f"PERFORM agent_calls_refresh({step[1]});" if postgres else _refresh(step[1], False)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table('agent_calls',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('took', sa.Boolean(), nullable=False),
    sa.Column('missed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'started_at', 'call_id'),
    sqlite_with_rowid=False
    )
    # Existing rows first, in key order (appends), then the indexes and triggers.
    op.execute(fill_sql(postgres))
    op.create_index('ix_agent_calls_call', 'agent_calls', ['call_id'], unique=False)
    # direction too: SQLite reads a partial index alone only when it holds every column named.
    op.create_index('ix_calls_outbound_caller', 'calls', ['caller_num_norm', 'started_at', 'id', 'direction'], unique=False,
                    sqlite_where=sa.text("direction = 'outbound'"), postgresql_where=sa.text("direction = 'outbound'"))
    if postgres:
        _postgres_triggers()
    else:
        _sqlite_triggers()
    op.execute("ANALYZE agent_calls")


def _sqlite_triggers() -> None:
    for table, name, timing, condition, steps in TRIGGERS:
        body = " ".join(_step(step, False) for step in steps)
        op.execute(f"CREATE TRIGGER agent_calls_{table}_{name} AFTER {timing} ON {table} "
                   f"WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {body} END")


def _postgres_triggers() -> None:
    op.execute(f"""
CREATE FUNCTION agent_calls_refresh(one integer) RETURNS void LANGUAGE sql AS $$
{_refresh("one", True)}
$$""")
    for table, name, timing, condition, steps in TRIGGERS:
        body = " ".join(_step(step, True) for step in steps)
        op.execute(f"CREATE FUNCTION agent_calls_{table}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {body} RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER agent_calls_{table}_{name} AFTER {timing} ON {table} FOR EACH ROW "
                   f"WHEN ({condition}) EXECUTE FUNCTION agent_calls_{table}_{name}()")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, name, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS agent_calls_{table}_{name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS agent_calls_{table}_{name}()")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS agent_calls_refresh(integer)")
    op.drop_index('ix_calls_outbound_caller', table_name='calls')
    op.drop_index('ix_agent_calls_call', table_name='agent_calls')
    op.drop_table('agent_calls')
