"""Status history after a resync: QueueStatus's QueueMember items carry no Timestamp, so the
recorder dates them on arrival; Asterisk's own events are stamped when raised, a few ms before
we read them. An event that arrives after the list is newer than it whatever its stamp says,
while an event older than the last stamped change is still a replay (docs/call-model.md)."""

from __future__ import annotations

from sqlmodel import select

from aiivr.models import AgentStatus
from aiivr.recorder import Recorder
from pbx_bridge.translator import Translator

ALICE = "Local/1001@agents/n"
SYSTEM = "aiivr-lab"
T = 1_795_670_143.0  # when the QueueStatus list arrived
translate = Translator(default_system=SYSTEM, strict=True).translate


def member_fields(paused: bool, reason: str = "") -> dict:
    return {"Queue": "support", "MemberName": "alice", "Interface": ALICE, "StateInterface": ALICE,
            "Membership": "dynamic", "Penalty": "0", "CallsTaken": "0", "LastCall": "0", "LastPause": "0",
            "LoginTime": str(int(T) - 60), "InCall": "0", "Status": "1", "Paused": "1" if paused else "0",
            "PausedReason": reason, "Wrapuptime": "0"}


def listed(paused: bool = False, reason: str = "") -> list:
    """The QueueStatus list's QueueMember item and its completion, received at T."""
    fields = member_fields(paused, reason)
    item = {"Event": "QueueMember", "Name": fields.pop("MemberName"), "Location": fields.pop("Interface"),
            **fields, "ActionID": "resync-1"}
    done = {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": "1", "ActionID": "resync-1"}
    return [*translate(item, now=T), *translate(done, now=T)]


def pause(ts: float, paused: bool, reason: str = "") -> list:
    return list(translate({"Event": "QueueMemberPause", "Timestamp": f"{ts:.6f}", "SystemName": SYSTEM,
                           **member_fields(paused, reason)}))


def history(db) -> list[tuple]:
    with db.read() as session:
        rows = session.exec(select(AgentStatus).where(AgentStatus.interface == ALICE)
                            .order_by(AgentStatus.started_at, AgentStatus.id)).all()
        return [(r.status, r.reason, r.started_at.timestamp(), r.ended_at.timestamp() if r.ended_at else None)
                for r in rows]


def test_an_event_arriving_after_the_list_applies_though_stamped_a_little_before_it(db, config):
    recorder = Recorder(db, config)
    recorder.apply(listed())
    recorder.apply(pause(T - 0.004, True, "lunch"))  # raised just before we read the list
    assert history(db)[-1][:2] == ("paused", "lunch")
    recorder.apply(pause(T - 0.002, False))  # and the next one too: still in arrival order
    recorder.apply(pause(T + 5, True, "training"))
    recorder.close()
    # The listed status lasted no time; the stamped changes take over from the list's time.
    assert history(db) == [("online", None, T, T + 5), ("paused", "training", T + 5, None)]


def test_a_list_in_one_batch_with_the_events_after_it_is_read_in_arrival_order(db, config):
    recorder = Recorder(db, config)
    recorder.apply([*listed(), *pause(T - 0.003, True, "lunch")])
    recorder.close()
    assert history(db) == [("paused", "lunch", T, None)]


def test_an_event_older_than_the_last_stamped_change_is_still_stale(db, config):
    recorder = Recorder(db, config)
    recorder.apply(listed())
    recorder.apply(pause(T + 10, True, "lunch"))
    recorder.apply(pause(T + 9, False))  # a replay of something older: history only moves forward
    recorder.close()
    assert history(db) == [("online", None, T, T + 10), ("paused", "lunch", T + 10, None)]


def test_a_stamped_change_before_the_list_keeps_its_floor(db, config):
    recorder = Recorder(db, config)
    recorder.apply(pause(T - 30, True, "lunch"))  # alice paused, as Asterisk said at the time
    recorder.apply(listed(paused=False))  # the resync says she is ready now
    recorder.apply(pause(T - 40, True, "break"))  # older than the stamped change: stale
    assert history(db)[-1][:2] == ("online", None)
    recorder.apply(pause(T - 0.005, True, "coffee"))  # newer than it, read after the list: applies
    recorder.close()
    assert history(db) == [("paused", "lunch", T - 30, T), ("paused", "coffee", T, None)]


def test_a_list_read_after_a_stamped_change_applies_though_our_clock_trails_asterisks(db, config):
    recorder = Recorder(db, config)
    recorder.apply(pause(T + 0.004, True, "lunch"))  # Asterisk's clock a little ahead of ours
    recorder.apply(listed(paused=False))  # then the resync (dated T by our clock) says ready
    recorder.apply(pause(T + 0.002, True, "break"))  # stamped before the lunch change: stale
    recorder.close()
    assert history(db) == [("online", None, T + 0.004, None)]
