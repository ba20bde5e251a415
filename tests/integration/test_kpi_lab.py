"""KPIs on a run of the real Asterisk 22 lab: what `aiivr serve` recorded gives the same
offered, answered, abandoned, ASA, talk time and misses as Asterisk's own queue_log of the
run, counted here straight from its lines; and importing that queue_log into an empty
database gives the same KPIs as the live-recorded one."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections import Counter

import pytest

from aiivr import config as config_mod
from aiivr.db import Database, utcnow
from aiivr.services.kpi import kpi_report
from aiivr.services.queue_log_io import import_queue_log
from tests.conftest import drop_database_url, make_database_url
from tests.integration.serve_helpers import BOTH_QUEUES, add_agent_users, blind_transfer_when_connected, serving

pytestmark = pytest.mark.lab

SHORT = {"support": 1, "sales": 5}  # support's is set below: a 3-second hang-up is a real abandon
# What queue_log shares with the recorder: the figures both must agree on.
SHARED = ("offered", "answered", "abandoned", "short_abandoned", "timed_out", "abandon_rate", "asa_seconds",
          "service_level", "handled", "missed", "talk_seconds")


def config_for(lab, url: str, tmp_path) -> config_mod.Config:
    path = tmp_path / f"kpi-{abs(hash(url))}.toml"
    path.write_text(
        f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{url}"\n'
        f'[ami]\nhost = "{lab.host}"\nport = {lab.port}\nusername = "{lab.username}"\nsecret = "{lab.secret}"\n'
        f'queue_log_path = "{lab.queue_log_path}"\n[queues.support]\nshort_abandon_seconds = {SHORT["support"]}\n')
    return config_mod.load(path, env={})


def from_queue_log(lines: list[str]) -> dict:
    """The same figures, from Asterisk's own lines (callid|queue|agent|EVENT|data...)."""
    counts, waits, talk = Counter(), [], 0
    for line in lines:
        parts = line.split("|")
        if len(parts) < 5:
            continue
        queue, event, data = parts[2], parts[4], parts[5:]
        counts[event] += 1
        if event == "CONNECT":
            waits.append(int(data[0]))
        elif event in ("COMPLETEAGENT", "COMPLETECALLER"):
            talk += int(data[1])
        elif event in ("BLINDTRANSFER", "ATTENDEDTRANSFER"):
            talk += int(data[3])
        elif event == "ABANDON":
            counts["short" if int(data[2]) < SHORT[queue] else "long"] += 1
    return {"offered": counts["ENTERQUEUE"], "answered": counts["CONNECT"], "abandoned": counts["long"],
            "short_abandoned": counts["short"], "timed_out": counts["EXITWITHTIMEOUT"],
            "asa_seconds": round(sum(waits) / len(waits), 3), "talk_seconds": float(talk),
            "missed": counts["RINGNOANSWER"]}


async def run_calls(lab, cfg, db) -> None:
    async with serving(lab, cfg, db, *BOTH_QUEUES) as service:
        call = lambda queue, **knobs: asyncio.to_thread(lab.originate_customer, queue, **knobs)  # noqa: E731
        await call("support", talk=2, ring=1, csat=5, wait=30, callerid="5550201")           # answered
        await asyncio.to_thread(lab.wait_idle)
        await call("support", noanswer="1", wait=3, callerid="5550202")                      # abandoned
        await asyncio.to_thread(lab.wait_idle)
        await call("sales", noanswer="1", timeout=3, wait=30, callerid="5550203")            # timed out
        await asyncio.to_thread(lab.wait_idle)
        await call("support", noanswer="1001", talk=3, ring=1, wait=30, callerid="5550204")  # missed, then bob
        await asyncio.to_thread(lab.wait_idle)
        await call("sales", talk=1, ring=2, wait=30, callerid="5550205")                     # answered after 2 s
        await asyncio.to_thread(lab.wait_idle)
        transfer = await call("support", talk=30, ring=1, wait=60, callerid="5550206",
                              talk_per_agent={"1002": 2, "1001": 30})                         # two queues
        await asyncio.to_thread(blind_transfer_when_connected, lab, transfer, "support", "sales")
        await asyncio.to_thread(lab.wait_idle, 60)
        await asyncio.sleep(0.5)
        assert service.writer.flush(10)


async def test_kpis_of_a_lab_run_agree_with_its_queue_log(clean_lab, database_url, tmp_path):
    cfg = config_for(clean_lab, database_url, tmp_path)
    db = Database(database_url)
    ctx = add_agent_users(db, cfg)
    started = utcnow() - dt.timedelta(minutes=1)
    await run_calls(clean_lab, cfg, db)
    span = dict(start=started, end=utcnow() + dt.timedelta(minutes=1), now=utcnow() + dt.timedelta(minutes=1))
    live = kpi_report(ctx, **span).total
    lines = clean_lab.queue_log()
    theirs = from_queue_log(lines)
    assert theirs["offered"] == 7 and theirs["missed"] >= 1 and theirs["abandoned"] == 1  # the run did what it should
    assert {k: live[k] for k in theirs if k not in ("asa_seconds", "talk_seconds")} == {
        k: v for k, v in theirs.items() if k not in ("asa_seconds", "talk_seconds")}
    assert live["asa_seconds"] == pytest.approx(theirs["asa_seconds"], abs=0.01)
    assert live["talk_seconds"] == pytest.approx(theirs["talk_seconds"], abs=1.0)

    # The same queue_log imported into an empty database gives the same figures.
    backend = "postgres" if database_url.startswith("postgresql") else "sqlite"
    url = make_database_url(backend, tmp_path)
    other = Database(url)
    try:
        other_ctx = add_agent_users(other, config_for(clean_lab, url, tmp_path))
        text = "\n".join(lines) + "\n"
        result = import_queue_log(other_ctx, io.StringIO(text))
        assert result.skipped == [] and result.imported == theirs["offered"]
        imported = kpi_report(other_ctx, **span).total
        assert {k: imported[k] for k in SHARED} == {k: live[k] for k in SHARED}
        for by in ("agent", "queue"):
            ours = {r["group"]: r for r in kpi_report(ctx, by=by, **span).rows}
            again = {r["group"]: r for r in kpi_report(other_ctx, by=by, **span).rows}
            assert {g: {k: r[k] for k in SHARED} for g, r in again.items()} == {
                g: {k: r[k] for k in SHARED} for g, r in ours.items()}, by
    finally:
        other.dispose()
        drop_database_url(url)
        db.dispose()
