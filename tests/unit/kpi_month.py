"""A varied month of calls, queue entries, status and ring-no-answers for two agents: the
data set the rollup and agent_calls tests hold to the raw computation."""

import datetime as dt
import random

from tests.unit.kpi_rows import Rows

ALICE_IF, BOB_IF = "Local/1001@agents/n", "Local/1002@agents/n"
FIRST = dt.date(2026, 2, 25)  # forty days: all of March (its DST change included) and the edges
DAYS = 40
RANGE = ("2026-02-25 00:00", "2026-04-06 00:00")


def make_month(people, seed=7):
    rnd = random.Random(seed)
    rows = Rows(people.db)
    agents = [(people.agent, ALICE_IF), (people.agent2, BOB_IF)]
    callers = [f"0301234{n:03d}" for n in range(30)] + ["anonymous"]
    for day in range(DAYS):
        date = FIRST + dt.timedelta(days=day)
        for agent, iface in agents:  # a shift with a lunch break, sometimes across midnight
            start = f"{date} 0{rnd.randint(6, 8)}:{rnd.randint(0, 59):02d}"
            rows.status(iface, "online", start, f"{date} 12:00", user=agent)
            rows.status(iface, "paused", f"{date} 12:00", f"{date} 12:{rnd.randint(20, 59):02d}", user=agent,
                        reason=rnd.choice(["lunch", "smoke", None]))
            end = f"{date + dt.timedelta(days=1)} 00:{rnd.randint(10, 50):02d}" if rnd.random() < 0.3 else f"{date} 17:00"
            rows.status(iface, "online", f"{date} 13:00", end, user=agent)
        for _ in range(rnd.randint(3, 8)):
            queue = rnd.choice(["support", "sales"])
            start = f"{date} {rnd.randint(9, 16):02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}"
            wait = rnd.choice([0, 2, 4, 7, 15, 25, 40])
            outcome = rnd.choice(["answered"] * 4 + ["abandoned", "timed_out"])
            agent, iface = rnd.choice(agents)
            answered = outcome == "answered"
            call = rows.call(start, caller=rnd.choice(callers), queue=queue, agent=agent if answered else None,
                             disposition=outcome, answered_after=wait if answered else None,
                             hold=rnd.choice([0, 0, 12]) if answered else 0,
                             csat=rnd.choice([None, 1, 3, 4, 5]) if answered else None,
                             resolved=answered and rnd.random() < 0.5)
            rows.entry(call, start, queue=queue, outcome=outcome, wait=wait,
                       talk=rnd.randint(20, 300) if answered else None, agent=agent if answered else None,
                       interface=iface if answered else None)
            if rnd.random() < 0.3:
                rows.event(call, start, "ring_no_answer", queue=queue, user=agent, interface=iface)
    return rows
