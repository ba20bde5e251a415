"""Calls for the query tests, inserted directly: the recorder that writes them in
production is not needed to open a query from a call or reopen one on a callback."""

import datetime as dt
import itertools

from aiivr.models.calls import Call

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
_linkedids = itertools.count(1)


def insert_call(db, *, agent, caller_num="+49 30 1234567", caller_name="Max Muster", started_at=NOW) -> int:
    """A finished inbound call as the recorder would store it; agent None = nobody answered."""
    with db.write() as session:
        call = Call(linkedid=f"1764147600.{next(_linkedids)}", direction="inbound", started_at=started_at,
                    answered_at=started_at, ended_at=started_at + dt.timedelta(minutes=4),
                    local_date=started_at.date(), local_hour=started_at.hour + 1, caller_num=caller_num,
                    caller_name=caller_name, caller_num_norm="".join(c for c in caller_num if c.isdigit()),
                    agent_user_id=agent.user_id if agent else None, disposition="answered")
        session.add(call)
        session.flush()
        return call.id
