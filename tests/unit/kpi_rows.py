"""Rows for KPI and call-log tests, inserted the way the recorder stores them.

Times are given in the site zone (Europe/Berlin, the test config's) so a data set reads
like the day it describes; local_date/local_hour are derived as the recorder does.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from aiivr.models import AgentStatus, Call, CallEvent, QueueEntry
from aiivr.numbers import normalise_number

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
_ids = itertools.count(1)


def at(text: str) -> dt.datetime:
    """'2026-03-10 09:00:05' in Berlin time, as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def _local(moment: dt.datetime) -> dict:
    local = moment.astimezone(BERLIN)
    return {"local_date": local.date(), "local_hour": local.hour}


class Rows:
    def __init__(self, db) -> None:
        self.db = db

    def _add(self, row):
        with self.db.write() as session:
            session.add(row)
            session.flush()
            return row.id

    def call(self, start: str, *, caller: str = "5550100", name: str = "", queue: str | None = None,
             agent=None, direction: str = "inbound", disposition: str = "answered", answered_after: float | None = 0,
             duration: float = 120, talk: float = 0, hold: float = 0, csat: int | None = None,
             resolved: bool = False, recording: str | None = None, interface: str | None = None,
             wait: float | None = None) -> int:
        """A call as the recorder leaves it. agent: a Principal (or None)."""
        started = at(start)
        answered = started + seconds(answered_after) if answered_after is not None and disposition == "answered" else None
        return self._add(Call(
            linkedid=f"lab-{next(_ids)}.0", direction=direction, started_at=started, answered_at=answered,
            ended_at=started + seconds(duration), caller_num=caller, caller_name=name,
            caller_num_norm=normalise_number(caller), queue=queue, agent_user_id=agent.user_id if agent else None,
            agent_name=agent.name if agent else None, agent_interface=interface, disposition=disposition,
            wait_seconds=wait if wait is not None else (answered_after or 0), talk_seconds=talk, hold_seconds=hold, csat_score=csat, resolved=resolved,
            resolved_at=started + seconds(duration) if resolved else None, recording_path=recording,
            **_local(started)))

    def entry(self, call_id: int | None, start: str, *, queue: str, outcome: str, wait: float | None,
              talk: float | None = None, agent=None, interface: str | None = None, member: str | None = None,
              caller: str = "5550100") -> int:
        entered = at(start)
        connected = entered + seconds(wait) if outcome == "answered" else None
        ended = (connected + seconds(talk or 0)) if connected else (entered + seconds(wait or 0))
        return self._add(QueueEntry(
            uniqueid=f"lab-{next(_ids)}.1", queue=queue, call_id=call_id, caller_num=caller, entered_at=entered,
            connected_at=connected, ended_at=None if outcome == "open" else ended, outcome=outcome, wait_seconds=wait,
            talk_seconds=talk, agent_user_id=agent.user_id if agent else None,
            agent_interface=interface, member_name=member or (agent.name if agent else None), **_local(entered)))

    def status(self, interface: str, status: str, start: str, end: str | None, *, user=None,
               reason: str | None = None, call_id: int | None = None, member: str = "") -> int:
        started = at(start)
        return self._add(AgentStatus(
            interface=interface, member_name=member or (user.name if user else ""),
            user_id=user.user_id if user else None, status=status, reason=reason, started_at=started,
            ended_at=at(end) if end else None, call_id=call_id, **_local(started)))

    def event(self, call_id: int, when: str, kind: str, *, queue: str | None = None, user=None,
              interface: str | None = None, detail: str = "{}") -> int:
        return self._add(CallEvent(call_id=call_id, at=at(when), kind=kind, queue=queue, interface=interface,
                                   user_id=user.user_id if user else None, detail=detail,
                                   dedupe_key=f"test-{next(_ids)}"))
