"""SQLite WAL checkpoints in a thread of their own, for a process that writes all the time.

By default SQLite checkpoints inside a commit: the commit that takes the WAL past 1,000
pages copies them into the database file and fsyncs it, in the committing thread. For
`aiivr serve`'s recorder that was a stall of tens to hundreds of milliseconds several times
a second at 40,000 AMI events/s, and every event waiting behind that commit waited for it.

Here this process's connections stop checkpointing at commit (other processes sharing the
file keep SQLite's default) and this thread checkpoints from its own connection instead:
- PASSIVE every `interval`: copies what it can while the writer goes on committing (SQLite
  allows that in WAL mode) and never waits for a reader or a writer; with nothing to copy it
  does nothing, no fsync.
- The WAL file only starts over when a writer begins after a checkpoint that copied every
  frame, and a writer that commits during each PASSIVE would keep it growing. So once it
  holds more than `restart_frames` frames, commits in this process checkpoint again as
  SQLite does by default: the next one copies the few frames the PASSIVE ones left (it is
  the only writer, so it catches up) and the WAL starts over at the commit after. Never a
  wait for a reader (a RESTART checkpoint would hold every writer off while a reader lasts).
- stop(): a last PASSIVE, SQLite's default back, the connection returned.
Readers in other connections see every commit as before: a checkpoint never changes what is
committed, only which file holds the pages.
"""

from __future__ import annotations

import logging
import threading

from aiivr.db import SQLITE_AUTOCHECKPOINT_PAGES, Database

log = logging.getLogger("aiivr.wal")
CHECKPOINT_INTERVAL = 0.25  # seconds between PASSIVE checkpoints
RESTART_FRAMES = 8 * SQLITE_AUTOCHECKPOINT_PAGES  # 32 MB of 4 KiB pages


class WalCheckpointer:
    def __init__(self, db: Database, *, interval: float = CHECKPOINT_INTERVAL,
                 restart_frames: int = RESTART_FRAMES) -> None:
        if db.sqlite_path is None:
            raise ValueError("WAL checkpoints need an SQLite database file")
        self.db = db
        self.interval = interval
        self.restart_frames = restart_frames
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aiivr-wal-checkpoint", daemon=True)
        self._connection = None
        self._lock = threading.Lock()  # one checkpoint at a time on our connection
        self.runs = 0
        self.handed_back = 0  # times the commits were asked to finish a checkpoint (WAL too long)
        self.last: tuple[int, int, int] | None = None  # (busy, frames in the WAL, frames copied)

    def start(self) -> None:
        self._connection = self.db.engine.raw_connection()
        self.db.set_wal_autocheckpoint(0)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Checkpoint what is left and hand SQLite's own checkpoints back to the commits."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.db.set_wal_autocheckpoint(SQLITE_AUTOCHECKPOINT_PAGES)
        if self._connection is not None:
            try:
                self.checkpoint()
            except Exception:  # noqa: BLE001 - the next commit in any process checkpoints anyway
                log.exception("final WAL checkpoint failed")
            self._connection.close()
            self._connection = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint; SQLite's answer: (busy, frames in the WAL, frames copied)."""
        with self._lock:
            cursor = self._connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            try:
                busy, frames, copied = cursor.fetchone()
            finally:
                cursor.close()
        self.last = (busy, frames, copied)
        self.runs += 1
        return busy, frames, copied

    def run_once(self) -> None:
        """What the thread does each interval (tests call it directly)."""
        _busy, frames, _copied = self.checkpoint()
        if frames > self.restart_frames:
            if self.db.wal_autocheckpoint == 0:
                self.handed_back += 1
            self.db.set_wal_autocheckpoint(SQLITE_AUTOCHECKPOINT_PAGES)
        else:
            self.db.set_wal_autocheckpoint(0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a failed checkpoint is retried next interval
                log.exception("WAL checkpoint failed")
