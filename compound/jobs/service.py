"""Reading the job runs for administrators: newest first, failures easy to find, dead runs called abandoned."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.jobs.models import JobLease, JobRun, Outcome
from compound.kit import clock
from compound.register.models import Compound

R = JobRun.__table__
L = JobLease.__table__


@dataclass(frozen=True)
class RunView:
    id: int
    job: str
    compound_id: int | None
    compound_code: str | None
    as_of: date
    trigger: str
    outcome: str  # 'abandoned' for a run still marked running whose process no longer holds the lease
    started_at: datetime
    ended_at: datetime | None
    counts: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class RunFilter:
    compound_ids: frozenset[int]
    everything: bool  # an administrator of every compound: also the runs for the whole installation
    job: str | None = None
    outcome: str | None = None


def _where(f: RunFilter) -> list[sa.ColumnElement[bool]]:
    where = []
    if not f.everything:
        where.append(R.c.compound_id.in_(sorted(f.compound_ids)))
    if f.job:
        where.append(R.c.job == f.job)
    if f.outcome == Outcome.abandoned:
        # Marked abandoned, or still marked running by a process that no longer holds the lease.
        where.append(sa.or_(R.c.outcome == Outcome.abandoned, sa.and_(R.c.outcome == Outcome.running, ~_alive())))
    elif f.outcome == Outcome.running:
        where.append(sa.and_(R.c.outcome == Outcome.running, _alive()))
    elif f.outcome:
        where.append(R.c.outcome == f.outcome)
    return where


def _alive() -> sa.ColumnElement[bool]:
    return (
        sa.select(L.c.name)
        .where(L.c.name == R.c.job, L.c.holder == R.c.holder, L.c.expires_at >= clock.now())
        .exists()
    )


def _select(where: list[sa.ColumnElement[bool]]) -> sa.Select:
    c = Compound.__table__.c
    return (
        sa.select(R, c.code.label("compound_code"), _alive().label("alive"))
        .select_from(R.outerjoin(Compound.__table__, c.id == R.c.compound_id))
        .where(*where)
        .order_by(R.c.started_at.desc(), R.c.id.desc())
    )


def list_runs(session: Session, *, filter: RunFilter, limit: int = 100, offset: int = 0) -> tuple[list[RunView], int]:
    where = _where(filter)
    total = session.execute(sa.select(sa.func.count()).select_from(R).where(*where)).scalar_one()
    rows = session.execute(_select(where).limit(limit).offset(offset)).all()
    return [_view(row) for row in rows], total


def _view(row: sa.Row) -> RunView:
    outcome = row.outcome
    if outcome == Outcome.running and not row.alive:
        outcome = Outcome.abandoned
    return RunView(
        id=row.id, job=row.job, compound_id=row.compound_id, compound_code=row.compound_code, as_of=row.as_of,
        trigger=row.trigger, outcome=outcome, started_at=row.started_at, ended_at=row.ended_at,
        counts=row.counts or {}, error=row.error,
    )


def last_runs(session: Session, *, filter: RunFilter) -> dict[str, RunView]:
    """Each job's newest run the reader may see (for the page's summary and `compound jobs list`)."""
    where = _where(filter)
    newest = sa.select(sa.func.max(R.c.id)).where(*where).group_by(R.c.job)
    rows = session.execute(_select([R.c.id.in_(newest)])).all()
    return {row.job: _view(row) for row in rows}

