"""Who asked for a change Asterisk is about to report, so its status row names them.

serve's outbox executor registers an expectation (interface, kind, who) just before it
sends the AMI action; when the recorder applies the member event that confirms it
(QueueMemberAdded, QueueMemberRemoved, QueueMemberPause with that reason), the status
row it opens carries set_by = who. Expectations live a few seconds in memory: no
database query on the recorder's hot path, and a change nobody asked for (made on the
PBX itself) stays set_by "pbx". Thread-safe: the executor writes from the event loop,
the recorder reads from its writer thread.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from aiivr import events as ev

PBX = "pbx"
TTL_SECONDS = 10.0


def kind_of(event: ev.MemberState) -> str | None:
    """The kind of change a member event confirms, in the words expect() takes."""
    if isinstance(event, ev.MemberAdded):
        return "added"
    if isinstance(event, ev.MemberRemoved):
        return "removed"
    if isinstance(event, ev.MemberPaused):
        return f"paused:{event.paused_reason}" if event.paused else "unpaused"
    return None


class Expectations:
    def __init__(self, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._by_interface: dict[str, dict[str, tuple[str, float]]] = {}

    def expect(self, interface: str, kind: str, who: str) -> None:
        now = self._clock()
        with self._lock:
            # Forget what was never confirmed, so the fast path in who() comes back.
            for iface, kinds in list(self._by_interface.items()):
                for k in [k for k, (_, until) in kinds.items() if until < now]:
                    del kinds[k]
                if not kinds:
                    del self._by_interface[iface]
            self._by_interface.setdefault(interface, {})[kind] = (who, now + self._ttl)

    def who(self, event: ev.MemberState) -> str:
        """Who asked for this change, or "pbx" when nobody did (or too long ago)."""
        if not self._by_interface:  # the common case: nothing asked for right now
            return PBX
        kind = kind_of(event)
        with self._lock:
            kinds = self._by_interface.get(event.interface)
            if not kinds or kind is None:
                return PBX
            found = kinds.get(kind)
            now = self._clock()
            for k in [k for k, (_, until) in kinds.items() if until < now]:
                del kinds[k]
            if not kinds:
                del self._by_interface[event.interface]
            return found[0] if found and found[1] >= now else PBX
