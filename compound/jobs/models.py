"""A job's lease (who may run it now) and the record of every run.

Both belong to the installation, not to one compound (Citus: local tables); a run names the compound it ran
for, or none when it ran for the whole installation.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import LOCAL, AwareDateTime, at_field, id_field, placement


class Outcome(StrEnum):
    running = "running"
    ok = "ok"
    failed = "failed"
    abandoned = "abandoned"  # its process died (or lost the lease) before the end: nothing of it was kept


class Trigger(StrEnum):
    scheduled = "scheduled"
    manual = "manual"


class JobLease(SQLModel, table=True):
    """One row per job: the process holding it may run the job until `expires_at`, renewing it meanwhile."""

    __tablename__ = "job_lease"
    __table_args__ = (placement(LOCAL),)
    name: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))
    holder: str | None = Field(default=None, sa_column=sa.Column(sa.String(120), nullable=True))
    expires_at: datetime | None = at_field(nullable=True)


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    __table_args__ = (
        # A scheduled daily run succeeds once per job, date and compound, whatever the schedulers do.
        sa.Index(
            "uq_job_run_scheduled_ok",
            "job",
            "as_of",
            "compound_id",
            unique=True,
            sqlite_where=sa.text("trigger = 'scheduled' AND outcome = 'ok'"),
            postgresql_where=sa.text("trigger = 'scheduled' AND outcome = 'ok'"),
        ),
        sa.Index("ix_job_run_started_at", "started_at"),
        placement(LOCAL),
    )
    id: int | None = id_field()
    job: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    compound_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("compound.id"), nullable=True)
    )
    as_of: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    trigger: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    started_at: datetime = Field(sa_column=sa.Column(AwareDateTime(), nullable=False))
    ended_at: datetime | None = at_field(nullable=True)
    holder: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    counts: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
