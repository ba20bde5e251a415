"""The garbage collector's settings while `aiivr serve` runs, and back afterwards.

Two costs measured at 40,000 AMI events/s (docs/development.md, ingest figures), both paid
with the GIL held, so the read loop and the writer thread both stop for them:
- Full collections scanned everything alive since start-up (modules, SQLAlchemy's metadata,
  the recorder's working set): 100-300 ms each. What exists at start is frozen out of the
  collector's way.
- Young collections: every 700 net allocations (the default), i.e. a few hundred a second,
  and one in ten a generation-1 pass of ~6 ms: about 0.4 s of a 5 s run. Almost everything
  the pipeline allocates (parsed frames, domain events, rows) is freed by reference counting
  within a batch, so the collector finds next to nothing; a threshold of 50,000 makes it run
  about seventy times less often (in the bench's 5 s stream, not once).
"""

from __future__ import annotations

import gc

# Young-generation threshold while serve runs; the older generations keep their ratios.
SERVE_THRESHOLD = (50_000, 10, 10)


class ServeGc:
    def __init__(self) -> None:
        self._saved: tuple[int, ...] | None = None

    def enter(self) -> None:
        gc.collect()
        gc.freeze()
        if self._saved is None:
            self._saved = gc.get_threshold()
        gc.set_threshold(*SERVE_THRESHOLD)

    def exit(self) -> None:
        """A process that goes on (tests, the demo) gets its collector back as it was."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        gc.unfreeze()
