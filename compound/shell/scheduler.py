"""The scheduler process (`compound scheduler`): APScheduler in a process of its own, never in a web worker.

Each job gets a daily cron trigger at its time, in each compound's timezone, and one more trigger looks every
COMPOUND_SCHEDULER_CHECK_SECONDS (and once at start) for any daily run that is due and not done: the one missed
while the process was down (caught up once, coalesced), one abandoned by a killed process, one that failed.
Both call the same `run_due`, which takes the job's database lease and skips what is done, so a second
scheduler started by mistake, or the two triggers meeting, never runs a day twice.
"""

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from compound.jobs import lease, runner
from compound.kit.contributes import Job
from compound.kit.db import get_engine
from compound.kit.settings import get_settings
from compound.register.models import Compound

log = logging.getLogger("compound.scheduler")


class Scheduler:
    def __init__(self, jobs: Sequence[Job], *, engine: Engine | None = None, compound_ids: Sequence[int] | None = None):
        self.jobs = list(jobs)
        self.engine = engine or get_engine()
        self.compound_ids = compound_ids
        self.name = lease.new_holder()
        # One run of a job at a time in this process (the cron and the check may meet); other processes: the lease.
        self._locks = {job.name: threading.Lock() for job in self.jobs}
        self.aps = BlockingScheduler(
            # A trigger missed while the process was busy or asleep fires once, however late (coalesced).
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    def run_due(self, job: Job) -> None:
        lock = self._locks[job.name]
        if not lock.acquire(blocking=False):
            return
        try:
            for run in runner.run_due(self.engine, job, holder=lease.new_holder(), compound_ids=self.compound_ids):
                log.info("%s compound %s for %s: %s %s", job.name, run.compound_id, run.as_of, run.outcome,
                         run.counts or "")
        except Exception:  # the database away: say so, and the next check tries again
            log.exception("%s: could not run", job.name)
        finally:
            lock.release()

    def check(self) -> None:
        for job in self.jobs:
            self.run_due(job)

    def _zones(self) -> list[str]:
        c = Compound.__table__.c
        with self.engine.connect() as conn:
            return sorted(set(conn.execute(sa.select(c.timezone)).scalars())) or ["Asia/Shanghai"]

    def configure(self) -> None:
        settings = get_settings()
        for job in self.jobs:
            at = runner.daily_time(job)
            for tz in self._zones():
                self.aps.add_job(self.run_due, CronTrigger(hour=at.hour, minute=at.minute, timezone=tz),
                                 args=[job], id=f"{job.name}@{tz}", name=f"{job.name} daily at {at} {tz}")
        self.aps.add_job(self.check, IntervalTrigger(seconds=settings.scheduler_check_seconds), id="check",
                         name="due or missed runs", next_run_time=datetime.now(UTC))

    def start(self) -> None:
        """Run until SIGTERM or SIGINT; a run in progress is let finish."""
        self.configure()

        def stop(signum: int, _frame: object) -> None:
            log.info("signal %s: stopping after the runs in progress", signum)
            threading.Thread(target=self.aps.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("scheduler %s: %s", self.name, ", ".join(f"{j.name} at {runner.daily_time(j)}" for j in self.jobs))
        self.aps.start()
