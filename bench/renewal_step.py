"""The yearly cycle's steps, run one at a time against a database the caller restores between them.

Run by `bench.scale` as a long-lived worker: `python bench/renewal_step.py URL`, then one line per step on
stdin (`open`, `remind` or `settle`); each answer is the step's wall-clock seconds and the worker's CPU seconds
(SQLite's work included, PostgreSQL's server not). The caller copies the
database back to the state the step starts from before each line, and may run the worker with another
checkout's code first on PYTHONPATH (the "before" of a comparison): it calls only the services' public
functions, whose signatures have not changed.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time

OPEN_AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # a Tuesday
CLOSES_ON = dt.date(2026, 12, 31)
YEAR = 2027
# Past the midpoint (16 December, 16:30 UTC), a Thursday afternoon in Europe, morning in America.
REMIND_AT = dt.datetime(2026, 12, 17, 14, 0, tzinfo=dt.UTC)
SETTLE_AT = dt.datetime(2027, 1, 1, 10, 0, tzinfo=dt.UTC)


def run(url: str) -> None:
    """Answer each step named on stdin with its seconds, one line each."""
    from bot.assembly import open_database
    from bot.services.renewals import open_renewal, queue_reminders, settle_due
    from bot.types.policy import Channels, Policy

    policy = Policy()
    channels = Channels(coordination="C0COORD01", management="C0MGMT001", admins=("U0BOOT001",))
    opened = open_database(url)
    steps = {
        "open": lambda s: open_renewal(
            s, year=YEAR, who="all", closes_on=CLOSES_ON, now=OPEN_AT, actor="bench", policy=policy
        ),
        "remind": lambda s: queue_reminders(s, now=REMIND_AT, policy=policy),
        "settle": lambda s: settle_due(s, now=SETTLE_AT, channels=channels),
    }
    import bot

    print(f"ready {bot.__file__}", flush=True)
    for line in sys.stdin:
        name = line.strip()
        if name == "quit":
            break
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        with opened.session_factory() as session:
            steps[name](session)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        # The caller replaces the database next: no connection may stay open on it.
        opened.engine.dispose()
        print(f"{elapsed:.6f} {cpu:.6f}", flush=True)


if __name__ == "__main__":
    run(sys.argv[1])
