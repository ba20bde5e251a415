"""The recorder's working set: queue entries found by their call, and dropped with it."""

from __future__ import annotations

from aiivr.recorder.store import Store, to_dt

T0 = 1_795_673_118.0


def test_an_entry_is_found_by_its_call_and_leaves_memory_with_it(db, config):
    store = Store(db, config.tz)
    try:
        call = store.call("pbx", "1.1", T0)
        other = store.call("pbx", "2.1", T0)
        joined = store.new_entry(call=call, system="pbx", uniqueid="1.2", linkedid="1.1", queue="support",
                                 entered_at=to_dt(T0))
        # A caller the QueueStatus list showed before its channel was known: no call yet.
        listed = store.new_entry(system="pbx", uniqueid="1.3", linkedid="", queue="sales", entered_at=to_dt(T0))
        store.commit()
        assert store.entries_of_call(call) == [joined] and store.entries_of_call(other) == []

        store.link_entry(listed, call)  # CoreShowChannels names its call
        assert store.entries_of_call(call) == [joined, listed]
        assert (listed.linkedid, listed.call_id) == ("1.1", call.id)

        store.finish_call(("pbx", "1.1"))
        store.commit()
        assert store.entries == {} and store.entries_of_call(call) == []
        assert store.open_entries_of("pbx", "1.2") == [] and store.open_entries_of("pbx", "1.3") == []
        assert store.calls == {("pbx", "2.1"): other}
    finally:
        store.close()


def test_an_entry_read_again_replaces_its_copy_in_every_index(db, config):
    store = Store(db, config.tz)
    try:
        call = store.call("pbx", "1.1", T0)
        first = store.new_entry(call=call, system="pbx", uniqueid="1.2", linkedid="1.1", queue="support",
                                entered_at=to_dt(T0))
        store.commit()
        again = type(first).loaded({**first.values(), "id": first.id})
        assert store._keep_entry(again) is again
        assert store.entries_of_call(call) == [again] and store.open_entries_of("pbx", "1.2") == [again]
    finally:
        store.close()


def test_a_listed_caller_answered_later_is_an_entry_of_its_call(db, config):
    """A caller the QueueStatus list showed (no Linkedid) whom an agent then answers: the
    AgentConnect names the call, and the entry is found by it (so the call's end closes it)."""
    from aiivr import events as ev
    from aiivr.recorder import Recorder

    recorder = Recorder(db, config)
    try:
        recorder.apply([ev.QueueEntrySnapshot(ts=T0, system="pbx", queue="support", uniqueid="1.2", channel="c",
                                              caller_num="5550001", caller_name="", position=1, wait_seconds=3,
                                              action_id="a1")])
        recorder.apply([ev.AgentConnected(ts=T0 + 5, system="pbx", uniqueid="1.2", linkedid="1.1", channel="c",
                                          queue="support", interface="Local/1001@agents/n", member_name="Alice",
                                          agent_channel="Local/1001@agents-00000001;1", agent_uniqueid="1.3",
                                          hold_seconds=8, ring_seconds=1)])
        store = recorder.store
        (entry,) = store.entries_of_call(store.calls[("pbx", "1.1")])
        assert (entry.uniqueid, entry.linkedid, entry.outcome) == ("1.2", "1.1", "answered")
    finally:
        recorder.close()
