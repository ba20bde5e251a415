"""serve's collector settings: raised and frozen while it runs, given back as they were."""

from __future__ import annotations

import gc

from pbx_bridge.serve_gc import SERVE_THRESHOLD, ServeGc


def test_serve_raises_the_young_threshold_freezes_and_gives_both_back():
    before = gc.get_threshold()
    policy = ServeGc()
    try:
        policy.enter()
        assert gc.get_threshold() == SERVE_THRESHOLD
        assert gc.get_freeze_count() > 0
        policy.enter()  # a second start must not save serve's own settings as "before"
    finally:
        policy.exit()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert SERVE_THRESHOLD[0] > before[0]


def test_service_start_and_stop_apply_the_policy(db, config):
    from pbx_bridge.service import BridgeService

    class Transport:
        async def start(self):
            pass

        async def stop(self):
            pass

    import asyncio

    before = gc.get_threshold()
    service = BridgeService(config, db, components=[])
    service.transport = Transport()

    async def run():
        await service.start()
        during = gc.get_threshold()
        await service.stop()
        return during

    assert asyncio.run(run()) == SERVE_THRESHOLD
    assert gc.get_threshold() == before
