"""Several processes writing at once: no "database is locked", nothing lost.

Each transaction reads the audit chain head and then writes after it: the
read-then-write pattern that fails with SQLITE_BUSY_SNAPSHOT under deferred
transactions, whatever the busy timeout.
"""

import subprocess
import sys
import textwrap

from sqlmodel import select

from aiivr import audit, changes
from aiivr.models.audit import AuditEntry

WRITERS = 4
TRANSACTIONS = 500

WRITER = textwrap.dedent("""
    import sys
    from aiivr import audit, changes
    from aiivr.db import Database
    from aiivr.principal import Principal
    from aiivr.models.users import Role

    url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = Database(url)
    actor = Principal(name=f"writer-{worker}", role=Role.admin)
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()  # start together
    for i in range(count):
        with db.write() as session:
            audit.append(session, actor, "load.test", target=f"{worker}:{i}")
            changes.bump(session, "calls")
    print("done")
""")


def test_four_processes_writing_at_once_lose_nothing(db):
    with db.read() as session:
        calls_before = changes.versions(session)["calls"]
        entries_before = len(session.exec(select(AuditEntry.seq)).all())
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, db.url, str(w), str(TRANSACTIONS)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(WRITERS)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # release them all at once
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert "locked" not in err and out.strip() == "done"
    with db.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "load.test")).all()
        assert changes.versions(session)["calls"] == calls_before + WRITERS * TRANSACTIONS
        checked, broken = audit.verify(session)
    assert sorted(e.target for e in entries) == sorted(f"{w}:{i}" for w in range(WRITERS) for i in range(TRANSACTIONS))
    assert broken is None and checked == entries_before + WRITERS * TRANSACTIONS
