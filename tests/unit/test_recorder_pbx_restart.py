"""How the recorder tells that Asterisk restarted: a boot time that moved (FullyBooted at each
login), or Asterisk's own Shutdown event, which also covers a restart too soon after the last
boot for the boot times to differ (docs/call-model.md, "Asterisk restarts")."""

from __future__ import annotations

import pytest
from sqlmodel import select

from aiivr import events as ev
from aiivr.models.calls import Call
from aiivr.models.pbx import PbxState
from aiivr.recorder import Recorder

T0 = 1_795_673_118.0
LINKEDID = "ccops-lab-1795673118.0"


def booted(ts: float, uptime: int) -> ev.PbxBooted:
    return ev.PbxBooted(ts=ts, system="", uptime_seconds=uptime, last_reload_seconds=uptime)


def call_created(ts: float) -> ev.ChannelCreated:
    return ev.ChannelCreated(ts=ts, system="ccops-lab", uniqueid=LINKEDID, linkedid=LINKEDID,
                             channel="PJSIP/trunk-00000001", context="from-pstn", exten="100",
                             caller_num="5550101", caller_name="José Müller", direction=ev.Direction.INBOUND)


@pytest.fixture
def recorder(db, config):
    made = Recorder(db, config)
    yield made
    made.close()


def the_call(db) -> tuple:
    with db.read() as session:
        call = session.exec(select(Call).where(Call.linkedid == LINKEDID)).one()
        return call.disposition, call.end_cause, call.ended_at.timestamp() if call.ended_at else None


def boot_time(db) -> float | None:
    with db.read() as session:
        state = session.get(PbxState, "")
        return state.booted_at.timestamp() if state and state.booted_at else None


def test_a_boot_time_that_moved_is_a_restart_and_one_that_did_not_is_a_reconnect(db, recorder):
    recorder.apply([booted(T0, 100), call_created(T0 + 1)])
    recorder.apply([booted(T0 + 30, 130)])  # the same boot, seen again after a reconnect
    assert recorder.pbx_restarts == 0 and the_call(db) == ("open", "", None)
    recorder.apply([booted(T0 + 40, 2)])
    assert recorder.pbx_restarts == 1
    assert the_call(db) == ("pbx_restart", "pbx_restart", T0 + 40)
    assert boot_time(db) == T0 + 38


def test_a_shutdown_ends_what_asterisk_had_then_and_the_next_boot_is_not_counted_twice(db, recorder):
    # Booted at T0, restarted 1.5 s later: the boot times differ by less than their jitter,
    # so only the Shutdown event tells.
    recorder.apply([booted(T0, 0), call_created(T0 + 0.5)])
    recorder.apply([ev.PbxShuttingDown(ts=T0 + 1.0, system="ccops-lab")])
    assert recorder.pbx_restarts == 1
    assert the_call(db) == ("pbx_restart", "pbx_restart", T0 + 1.0)
    assert boot_time(db) is None
    recorder.apply([booted(T0 + 1.5, 0)])
    assert recorder.pbx_restarts == 1 and boot_time(db) == T0 + 1.5


def test_without_the_shutdown_a_restart_that_soon_goes_unseen(db, recorder):
    # What the Shutdown event is for: the same restart as above, its announcement lost.
    recorder.apply([booted(T0, 0), call_created(T0 + 0.5)])
    recorder.apply([booted(T0 + 1.5, 0)])
    assert recorder.pbx_restarts == 0 and the_call(db) == ("open", "", None)
