"""A year of a 60-seat contact centre, for the call-log and KPI benches.

    .venv/bin/python bench/data.py [--calls 5000000] [--database sqlite:///PATH | postgresql+psycopg://...]
                                   [--days 365] [--seed 1]

Generates N calls over the `--days` days before today (site zone Europe/Berlin), weekdays
busier than weekends, hours 07-22 with two peaks: 85 % inbound through four queues (a few
transferred to a second queue; answered, abandoned (some short), timed out, or left
empty), 10 % outbound from agents' extensions, 5 % internal; CSAT on a third of the
answered calls, 40 % marked resolved, repeat callers from a skewed pool of numbers, 3 %
withheld. Answered calls go to the agent free soonest (each takes a 45-minute lunch), so
the status history (online, on_call, wrap_up, paused, offline) and the queue waits agree
with the calls, and missed rings (ring_no_answer) come from another agent. Rows are
written with executemany (SQLite, one transaction per day) or COPY (PostgreSQL), through
the KPI triggers like any other writer. Prints rows written and the rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import importlib.util
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from aiivr import config as config_mod  # noqa: E402
from aiivr.db import Database  # noqa: E402
from aiivr.passwords import hash_password  # noqa: E402
from aiivr.services import setup  # noqa: E402

TZ = ZoneInfo("Europe/Berlin")
AGENTS = 60
QUEUES = (("support", 0.5, 20, 5), ("sales", 0.3, 30, 5), ("billing", 0.15, 20, 10), ("vip", 0.05, 10, 3))
HOUR_WEIGHTS = [0] * 7 + [3, 7, 10, 11, 10, 7, 7, 9, 10, 9, 7, 5, 4, 3, 2, 1] + [0]
WEEKDAY = (1.15, 1.1, 1.1, 1.1, 1.05, 0.6, 0.3)
SHIFT_START, SHIFT_END, LUNCH = 7 * 3600, 22 * 3600 + 1800, 2700
NUMBERS, FREQUENT = 1_500_000, 50_000

COLUMNS = {
    "calls": ("id", "system", "linkedid", "direction", "started_at", "answered_at", "ended_at", "local_date",
              "local_hour", "caller_num", "caller_name", "caller_num_norm", "queue", "agent_user_id",
              "agent_interface", "agent_name", "disposition", "end_cause", "wait_seconds", "talk_seconds",
              "hold_seconds", "wrapup_seconds", "origin", "recording_path", "csat_score", "resolved",
              "resolved_at", "resolved_by"),
    "queue_entries": ("id", "system", "uniqueid", "queue", "call_id", "linkedid", "caller_num", "caller_name",
                      "entered_at", "connected_at", "ended_at", "local_date", "local_hour", "outcome", "position",
                      "wait_seconds", "talk_seconds", "agent_user_id", "agent_interface", "member_name",
                      "completed_by", "source"),
    "agent_status": ("id", "interface", "member_name", "user_id", "status", "reason", "started_at", "ended_at",
                     "local_date", "local_hour", "set_by", "call_id"),
    "call_events": ("id", "call_id", "at", "kind", "queue", "interface", "user_id", "detail", "dedupe_key"),
}


class Clock:
    """Epoch seconds -> the text a timestamp is stored as, and the local date and hour."""

    def __init__(self, postgres: bool) -> None:
        self.suffix = "+00" if postgres else ""
        self._days: dict[int, str] = {}

    def text(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        day, rest = divmod(ts, 86400)
        day = int(day)
        if day not in self._days:
            self._days[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
        micro = round(rest * 1_000_000)
        secs, micro = divmod(micro, 1_000_000)
        h, rem = divmod(int(secs), 3600)
        return f"{self._days[day]} {h:02d}:{rem // 60:02d}:{rem % 60:02d}.{micro:06d}{self.suffix}"


class Agent:
    def __init__(self, n: int, user_id: int) -> None:
        self.n, self.user_id = n, user_id
        self.name, self.interface, self.extension = f"agent{n:02d}", f"Local/{2000 + n}@agents/n", str(2000 + n)
        self.calls: list[tuple] = []  # (connect, end, free, call_id) today


class Generator:
    def __init__(self, db: Database, calls: int, days: int, seed: int) -> None:
        self.db, self.rnd = db, random.Random(seed)
        self.postgres = db.engine.dialect.name == "postgresql"
        self.clock = Clock(self.postgres)
        self.total, self.days = calls, days
        self.ids = dict.fromkeys(COLUMNS, 0)
        self.rows = {table: [] for table in COLUMNS}
        self.written = dict.fromkeys(COLUMNS, 0)
        self.agents = self._agents()
        self.frequent = [self._number() for _ in range(FREQUENT)]
        hours = [h for h, w in enumerate(HOUR_WEIGHTS) for _ in range(w)]
        self.hours = hours

    def _agents(self) -> list[Agent]:
        password = hash_password("bench-password")
        with self.db.write() as session:
            for name, _, sl, short in QUEUES:
                session.execute(sa.text("INSERT INTO queues (name, service_level_seconds, short_abandon_seconds) "
                                        "VALUES (:n, :sl, :short)"), {"n": name, "sl": sl, "short": short})
            for n in range(1, AGENTS + 1):
                session.execute(sa.text(
                    "INSERT INTO users (name, role, full_name, password_hash, interface, extension, active, created_at) "
                    "VALUES (:name, 'agent', '', :pw, :iface, :ext, :yes, :now)"),
                    {"name": f"agent{n:02d}", "pw": password, "iface": f"Local/{2000 + n}@agents/n",
                     "ext": str(2000 + n), "yes": True, "now": dt.datetime.now(dt.timezone.utc)})
            session.execute(sa.text(
                "INSERT INTO users (name, role, full_name, password_hash, active, created_at) "
                "VALUES ('sup', 'supervisor', '', :pw, :yes, :now)"),
                {"pw": password, "yes": True, "now": dt.datetime.now(dt.timezone.utc)})
            ids = dict(session.execute(sa.text("SELECT name, id FROM users")).all())
        return [Agent(n, ids[f"agent{n:02d}"]) for n in range(1, AGENTS + 1)]

    def _number(self) -> str:
        return f"0{self.rnd.randint(30_000_000, 99_999_999)}"

    def _caller(self) -> str:
        r = self.rnd.random()
        if r < 0.03:
            return "anonymous"
        return self.rnd.choice(self.frequent) if r < 0.35 else f"0{40_000_000 + self.rnd.randrange(NUMBERS)}"

    # ------------------------------------------------------------------ rows

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _local(self, ts: float, day: dt.date, midnight: float, dst: bool) -> tuple[str, int]:
        if dst:
            local = dt.datetime.fromtimestamp(ts, TZ)
            return local.date().isoformat(), local.hour
        offset = ts - midnight
        days, secs = divmod(offset, 86400)
        return (day + dt.timedelta(days=int(days))).isoformat(), int(secs // 3600)

    # ------------------------------------------------------------------ one day

    def day(self, day: dt.date, count: int) -> None:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=TZ).timestamp()
        dst = (dt.datetime.combine(day, dt.time(23), tzinfo=TZ).utcoffset()
               != dt.datetime.combine(day, dt.time(0), tzinfo=TZ).utcoffset())
        local = lambda ts: self._local(ts, day, midnight, dst)  # noqa: E731
        t = self.clock.text
        rnd = self.rnd
        starts = sorted(rnd.choice(self.hours) * 3600 + rnd.random() * 3600 for _ in range(count))
        free = [(midnight + SHIFT_START, a.n - 1) for a in self.agents]
        heapq.heapify(free)
        lunch = {a.n - 1: midnight + 11.5 * 3600 + (a.n - 1) * 150 for a in self.agents}
        for agent in self.agents:
            agent.calls = []
        for offset in starts:
            start = midnight + offset
            call_id = self._next("calls")
            r = rnd.random()
            if r < 0.85:
                self._inbound(call_id, start, free, lunch, local, t)
            elif r < 0.95:
                agent = rnd.choice(self.agents)
                talk = rnd.lognormvariate(4.5, 0.7) if rnd.random() < 0.7 else 0
                self._call(call_id, start, local, t, direction="outbound", caller=agent.extension,
                           answered=start + 8 if talk else None, end=start + 8 + talk + (0 if talk else 22),
                           disposition="answered" if talk else "unanswered", talk=talk, agent=agent)
            else:
                talk = rnd.uniform(10, 60)
                self._call(call_id, start, local, t, direction="internal", caller=rnd.choice(self.agents).extension,
                           answered=start + 3, end=start + 3 + talk, disposition="answered", talk=talk)
        for agent in self.agents:
            self._status(agent, midnight, lunch[agent.n - 1], local, t)

    def _inbound(self, call_id, start, free, lunch, local, t) -> None:
        rnd = self.rnd
        queue = rnd.choices([q[0] for q in QUEUES], [q[1] for q in QUEUES])[0]
        caller = self._caller()
        r = rnd.random()
        if r > 0.88:  # not answered
            outcome, wait = ("abandoned", rnd.expovariate(1 / 40)) if r < 0.95 else (
                ("timed_out", 300.0) if r < 0.98 else ("exit_leaveempty", 1.0))
            self._entry(call_id, queue, caller, start, None, start + wait, outcome, wait, None, None, local, t)
            self._call(call_id, start, local, t, caller=caller, queue=queue, answered=None, end=start + wait,
                       disposition=outcome if outcome != "exit_leaveempty" else "unanswered", talk=0, wait=wait)
            return
        legs = 2 if rnd.random() < 0.05 else 1
        at, talk_total, agent, hold = start, 0.0, None, rnd.uniform(10, 90) if rnd.random() < 0.2 else 0.0
        first_wait = None
        for leg in range(legs):
            leg_queue = queue if leg == 0 else rnd.choice([q[0] for q in QUEUES if q[0] != queue])
            target = at + rnd.expovariate(1 / 8)
            while True:
                free_at, n = heapq.heappop(free)
                connect = max(target, free_at)
                if lunch[n] <= connect < lunch[n] + LUNCH:
                    heapq.heappush(free, (lunch[n] + LUNCH, n))
                    continue
                break
            agent = self.agents[n]
            talk = rnd.lognormvariate(4.8, 0.6) + (hold if leg == legs - 1 else 0)
            end = connect + talk
            wrap = rnd.uniform(5, 60) if rnd.random() < 0.6 else 0.0
            heapq.heappush(free, (end + wrap, n))
            agent.calls.append((connect, end, end + wrap, call_id))
            wait = connect - at
            first_wait = wait if first_wait is None else first_wait
            self._entry(call_id, leg_queue, caller, at, connect, end, "answered", wait, talk, agent, local, t,
                        completed_by="transfer" if leg < legs - 1 else rnd.choice(("agent", "caller")))
            self._event(call_id, connect, "connected", leg_queue, agent, t)
            if rnd.random() < 0.08:
                other = rnd.choice(self.agents)
                self._event(call_id, at + wait / 2, "ring_no_answer", leg_queue, other, t)
            talk_total += talk
            at = end
        answered = start + first_wait
        resolved = rnd.random() < 0.4
        csat = rnd.choices((5, 4, 3, 2, 1), (40, 30, 15, 8, 7))[0] if rnd.random() < 0.33 else None
        self._call(call_id, start, local, t, caller=caller, queue=queue, answered=answered, end=at,
                   disposition="answered", talk=talk_total, wait=first_wait, agent=agent, hold=hold, csat=csat,
                   resolved=resolved)

    def _call(self, call_id, start, local, t, *, direction="inbound", caller, queue=None, answered, end, disposition,
              talk, wait=0.0, agent=None, hold=0.0, csat=None, resolved=False) -> None:
        date, hour = local(start)
        norm = "" if caller == "anonymous" else caller
        self.rows["calls"].append((
            call_id, "bench", f"bench-{call_id}.0", direction, t(start), t(answered), t(end), date, hour, caller, "",
            norm, queue, agent.user_id if agent else None, agent.interface if agent else None,
            agent.name if agent else None, disposition, "", wait, talk, hold, 0.0, None, None, csat, resolved,
            t(end) if resolved else None, agent.name if resolved and agent else None))

    def _entry(self, call_id, queue, caller, entered, connect, end, outcome, wait, talk, agent, local, t,
               completed_by=None) -> None:
        date, hour = local(entered)
        self.rows["queue_entries"].append((
            self._next("queue_entries"), "bench", f"bench-{call_id}.1", queue, call_id, f"bench-{call_id}.0", caller,
            "", t(entered), t(connect), t(end), date, hour, outcome, 1, wait, talk,
            agent.user_id if agent else None, agent.interface if agent else None, agent.name if agent else None,
            completed_by, "ami"))

    def _event(self, call_id, at, kind, queue, agent, t) -> None:
        event_id = self._next("call_events")
        self.rows["call_events"].append((event_id, call_id, t(at), kind, queue, agent.interface, agent.user_id, "{}",
                                         f"bench-{event_id}"))

    def _status(self, agent: Agent, midnight: float, lunch: float, local, t) -> None:
        """online from the shift's start; on_call, wrap_up, online per call; lunch; offline."""
        spans: list[tuple[float, str, str | None, int | None]] = [(midnight + SHIFT_START, "online", None, None)]
        lunch_done = False
        for connect, end, free, call_id in sorted(agent.calls):
            if not lunch_done and connect >= lunch:
                begin = max(lunch, spans[-1][0])
                spans += [(begin, "paused", "lunch", None), (lunch + LUNCH, "online", None, None)]
                lunch_done = True
            spans.append((connect, "on_call", None, call_id))
            if free > end:
                spans.append((end, "wrap_up", "acw", None))
            spans.append((free, "online", None, None))
        last = max(spans[-1][0], midnight + SHIFT_END)
        spans.append((last, "offline", None, None))
        spans = [s for i, s in enumerate(spans) if i + 1 == len(spans) or spans[i + 1][0] > s[0]]
        for (start, status, reason, call_id), following in zip(spans, spans[1:] + [None]):
            date, hour = local(start)
            self.rows["agent_status"].append((
                self._next("agent_status"), agent.interface, agent.name, agent.user_id, status, reason, t(start),
                t(following[0]) if following else None, date, hour, "pbx", call_id))

    # ------------------------------------------------------------------ writing

    def flush(self) -> None:
        raw = self.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if not self.postgres:
                cursor.execute("PRAGMA cache_size = -262144")
                cursor.execute("BEGIN")  # the driver runs in autocommit mode (aiivr.db): one transaction a day
            for table, columns in COLUMNS.items():
                rows = self.rows[table]
                if not rows:
                    continue
                if self.postgres:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                       f"({', '.join('?' * len(columns))})", rows)
                self.written[table] += len(rows)
                rows.clear()
            raw.commit()
        finally:
            raw.close()

    def run(self) -> None:
        with BulkLoad(self.db):
            self._days()

    def _days(self) -> None:
        today = dt.date.today()
        first = today - dt.timedelta(days=self.days)
        weights = [WEEKDAY[(first + dt.timedelta(days=i)).weekday()] for i in range(self.days)]
        scale = self.total / sum(weights)
        made = 0
        started = time.monotonic()
        for i in range(self.days):
            count = round(sum(weights[:i + 1]) * scale) - made
            made += count
            self.day(first + dt.timedelta(days=i), count)
            self.flush()
            if i % 30 == 29:
                print(f"  {i + 1} days, {made:,} calls, {time.monotonic() - started:.0f} s", flush=True)
        if self.postgres:
            with self.db.write() as session:
                for table in COLUMNS:
                    session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT max(id) FROM {table}))"))


class BulkLoad:
    """Load first, index after: secondary indexes are dropped and built again at the end,
    and the KPI and agent_calls triggers are off meanwhile (the rollup is empty: the first
    report builds every day anyway; agent_calls is filled at the end). What is left afterwards is the schema `aiivr init` makes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"

    def __enter__(self) -> None:
        with self.db.engine.connect() as conn:
            if self.postgres:
                self.indexes = conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint)", (list(COLUMNS),)).all()
                for table in COLUMNS:
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                self.indexes = conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
                    f"({', '.join(repr(t) for t in COLUMNS)})").all()
                self.triggers = conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
                for name, _ in self.triggers:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            for name, _ in self.indexes:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.commit()

    def __exit__(self, *exc) -> None:
        started = time.monotonic()
        with self.db.engine.connect() as conn:
            for _, sql in self.indexes:
                conn.exec_driver_sql(sql)
            if self.postgres:
                for table in COLUMNS:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            else:
                for _, sql in self.triggers:
                    conn.exec_driver_sql(sql)
            # agent_calls' triggers were off too: fill it as migration 0007 does for a database
            # that already has calls (its own statement, so the two cannot differ).
            conn.exec_driver_sql("DELETE FROM agent_calls")
            conn.exec_driver_sql(_migration("0007").fill_sql(self.postgres))
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        print(f"  indexes built, agent_calls filled and statistics gathered in {time.monotonic() - started:.0f} s",
              flush=True)


def _migration(revision: str):
    path = next((ROOT / "aiivr" / "migrations" / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"aiivr_migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEFAULT_URL = "sqlite:////tmp/aiivr-bench/bench-5000000.db"


def open_bench(url: str):
    """The bench database, a supervisor's and agent07's contexts, and how many calls it holds."""
    from aiivr.models.users import Role
    from aiivr.principal import Ctx, Principal

    cfg = config_mod.parse(f'[site]\ntimezone = "{TZ.key}"\n[database]\nurl = "{url}"\n', env={})
    db = Database(url)
    with db.engine.connect() as conn:
        calls = conn.execute(sa.text("SELECT count(*) FROM calls")).scalar()
        users = dict(conn.execute(sa.text("SELECT name, id FROM users")).all())
    supervisor = Ctx(db=db, config=cfg, actor=Principal("sup", Role.supervisor, users["sup"]))
    agent = Ctx(db=db, config=cfg, actor=Principal("agent07", Role.agent, users["agent07"]))
    return db, supervisor, agent, calls


def make_database(url: str | None, calls: int) -> str:
    if url and url.startswith("postgresql"):
        return url
    path = Path(url.removeprefix("sqlite:///")) if url else Path("/tmp/aiivr-bench") / f"bench-{calls}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database", help="a database URL (default: sqlite in /tmp/aiivr-bench); a PostgreSQL "
                                           "database must exist and be empty")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    url = make_database(args.database, args.calls)
    cfg = config_mod.parse(f'[site]\ntimezone = "{TZ.key}"\n[database]\nurl = "{url}"\n', env={})
    db = Database(url)
    setup.initialise(db, cfg, admin_password="bench-password")
    print(f"generating {args.calls:,} calls over {args.days} days into {url}")
    started = time.monotonic()
    gen = Generator(db, args.calls, args.days, args.seed)
    gen.run()
    elapsed = time.monotonic() - started
    total = sum(gen.written.values())
    print(", ".join(f"{table} {n:,}" for table, n in gen.written.items()))
    print(f"{total:,} rows in {elapsed:.0f} s = {total / elapsed:,.0f} rows/s")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
