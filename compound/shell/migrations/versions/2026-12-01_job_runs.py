"""Scheduled jobs: a lease per job (who may run it now) and the record of every run.

Installation tables (Citus: local), not keyed by compound; a run names its compound, or none.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULED_OK = "trigger = 'scheduled' AND outcome = 'ok'"


def upgrade() -> None:
    op.create_table(
        "job_lease",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("expires_at", compound.kit.db.AwareDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_lease")),
    )
    op.create_table(
        "job_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=80), nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("started_at", compound.kit.db.AwareDateTime(), nullable=False),
        sa.Column("ended_at", compound.kit.db.AwareDateTime(), nullable=True),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_job_run_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
    )
    op.create_index("ix_job_run_started_at", "job_run", ["started_at"])
    op.create_index(
        "uq_job_run_scheduled_ok",
        "job_run",
        ["job", "as_of", "compound_id"],
        unique=True,
        sqlite_where=sa.text(SCHEDULED_OK),
        postgresql_where=sa.text(SCHEDULED_OK),
    )


def downgrade() -> None:
    op.drop_index("uq_job_run_scheduled_ok", table_name="job_run")
    op.drop_index("ix_job_run_started_at", table_name="job_run")
    op.drop_table("job_run")
    op.drop_table("job_lease")
