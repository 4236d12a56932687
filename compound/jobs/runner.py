"""Running a job: for each compound, once per day, recorded, under the job's lease.

A run is two transactions: the first records it as running (so a page shows it at once), the second does the
job's work, checks the lease (`fence`) and marks the run ok, all or nothing. A process killed in the middle
leaves the work rolled back and the record 'running'; whoever takes the lease next marks it abandoned and,
the day's run not being done, runs it again. A failure is recorded with its error and tried again, up to
COMPOUND_SCHEDULER_ATTEMPTS times a day.
"""

import logging
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compound.jobs import lease
from compound.jobs.models import JobRun, Outcome, Trigger
from compound.kit import clock
from compound.kit.contributes import Job
from compound.kit.db import writer
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.settings import get_settings
from compound.kit.unit_of_work import session_scope
from compound.register.models import Compound

log = logging.getLogger(__name__)
R = JobRun.__table__
Progress = Callable[[int, int], None]
ERROR_CHARS = 4000


class JobBusy(Conflict):
    """Another process is running the job now."""


def function(job: Job) -> Callable[..., Mapping[str, Any]]:
    module, _sep, attr = job.path.partition(":")
    return getattr(import_module(module), attr)


def daily_time(job: Job) -> time:
    text = job.daily_at or get_settings().scheduler_daily_at
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("The daily time %(value)s of %(job)s is not HH:MM.", value=text, job=job.name)) from None


def latest_slot(now: datetime, tz: Any, at: time) -> date:
    """The date of the latest daily run that is due by `now`: today once its time has passed, else yesterday.

    However long the scheduler was down, only this one is run: a day's collection run recomputes everything
    from the balances, so the missed days have nothing of their own to add (catching up once).
    """
    local = now.astimezone(tz)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


def _jsonable(counts: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in (counts or {}).items()}


def run_one(
    engine: Engine,
    job: Job,
    *,
    compound_id: int | None,
    as_of: date,
    trigger: Trigger,
    holder: str,
    progress: Progress | None = None,
) -> JobRun:
    """Run the job once for one compound and date; the caller holds the job's lease."""
    seconds = get_settings().scheduler_lease_seconds
    with writer(engine).begin() as conn:
        run_id = conn.execute(
            sa.insert(R)
            .values(job=job.name, compound_id=compound_id, as_of=as_of, trigger=trigger, outcome=Outcome.running,
                    started_at=clock.now(), holder=holder)
            .returning(R.c.id)
        ).scalar_one()
    try:
        with lease.Heartbeat(engine, job.name, holder, seconds=seconds), session_scope(engine) as session:
            counts = function(job)(session, compound_id=compound_id, as_of=as_of, progress=progress)
            lease.fence(session.connection(), job.name, holder, seconds=seconds)
            session.execute(
                sa.update(R).where(R.c.id == run_id)
                .values(outcome=Outcome.ok, ended_at=clock.now(), counts=_jsonable(counts))
            )
    except Exception as exc:
        outcome = Outcome.abandoned if isinstance(exc, lease.LeaseLost) else Outcome.failed
        log.exception("job %s for compound %s on %s: %s", job.name, compound_id, as_of, outcome)
        error = "".join(traceback.format_exception(exc))[-ERROR_CHARS:]
        with writer(engine).begin() as conn:
            conn.execute(sa.update(R).where(R.c.id == run_id, R.c.outcome == Outcome.running)
                         .values(outcome=outcome, ended_at=clock.now(), error=error))
    with engine.connect() as conn:
        return JobRun.model_validate(conn.execute(sa.select(R).where(R.c.id == run_id)).mappings().one())


def abandon_stale(engine: Engine, job: Job) -> int:
    """Under the job's lease, a run still 'running' belongs to a process that died: say so."""
    with writer(engine).begin() as conn:
        return conn.execute(
            sa.update(R).where(R.c.job == job.name, R.c.outcome == Outcome.running)
            .values(outcome=Outcome.abandoned, ended_at=clock.now(),
                    error=_("The process running it stopped before the end; nothing of this run was kept."))
        ).rowcount


def _compounds(engine: Engine, compound_ids: Iterable[int] | None) -> list[tuple[int, str]]:
    c = Compound.__table__.c
    q = sa.select(c.id, c.timezone).order_by(c.id)
    if compound_ids is not None:
        q = q.where(c.id.in_(list(compound_ids)))
    with engine.connect() as conn:
        return [(row.id, row.timezone) for row in conn.execute(q)]


def _tries(engine: Engine, job: Job, compound_id: int, as_of: date) -> tuple[bool, int]:
    """Is the day's scheduled run done, and how many scheduled tries of it failed or were abandoned."""
    q = (
        sa.select(R.c.outcome, sa.func.count())
        .where(R.c.job == job.name, R.c.compound_id == compound_id, R.c.as_of == as_of,
               R.c.trigger == Trigger.scheduled)
        .group_by(R.c.outcome)
    )
    with engine.connect() as conn:
        by = dict(conn.execute(q).all())
    return by.get(Outcome.ok, 0) > 0, by.get(Outcome.failed, 0) + by.get(Outcome.abandoned, 0)


def run_due(engine: Engine, job: Job, *, holder: str, compound_ids: Iterable[int] | None = None) -> list[JobRun]:
    """What the scheduler calls: each compound's latest daily run that is not done yet, if we get the lease."""
    settings = get_settings()
    if not lease.acquire(engine, job.name, holder, seconds=settings.scheduler_lease_seconds):
        return []
    runs = []
    try:
        abandon_stale(engine, job)
        at = daily_time(job)
        for compound_id, tz in _compounds(engine, compound_ids):
            as_of = latest_slot(clock.now(), clock.zone(tz), at)
            done, failures = _tries(engine, job, compound_id, as_of)
            if done or failures >= settings.scheduler_attempts:
                continue
            runs.append(run_one(engine, job, compound_id=compound_id, as_of=as_of, trigger=Trigger.scheduled,
                                holder=holder))
    finally:
        lease.release(engine, job.name, holder)
    return runs


def run_now(
    engine: Engine,
    job: Job,
    *,
    as_of: date | None,
    compound_ids: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> list[JobRun]:
    """By hand (`compound jobs run NAME`): the given date (default each compound's today), recorded as manual."""
    holder = lease.new_holder()
    if not lease.acquire(engine, job.name, holder, seconds=get_settings().scheduler_lease_seconds):
        raise JobBusy(_("The job %(job)s is running in another process; try again when it has finished.",
                        job=job.name))
    try:
        abandon_stale(engine, job)
        return [
            run_one(engine, job, compound_id=cid, as_of=as_of or clock.local_date(clock.now(), clock.zone(tz)),
                    trigger=Trigger.manual, holder=holder, progress=progress)
            for cid, tz in _compounds(engine, compound_ids)
        ]
    finally:
        lease.release(engine, job.name, holder)
