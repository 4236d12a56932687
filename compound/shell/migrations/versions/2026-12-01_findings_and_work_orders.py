"""Findings, work orders, meter accuracy tests, and each compound's thresholds for raising findings.

Compound tables keyed as 0005 left them: (compound_id, id) on PostgreSQL, the rowid id with a UNIQUE
(compound_id, id) on SQLite.

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0016"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = compound.kit.db.AwareDateTime(timezone=True)


def _key(table: str) -> list[sa.Constraint]:
    """The compound table's key: (compound_id, id); SQLite's rowid key needs the unique pair beside it."""
    key: list[sa.Constraint] = [sa.PrimaryKeyConstraint("compound_id", "id", name=f"pk_{table}")]
    if op.get_bind().dialect.name == "sqlite":
        key.append(sa.UniqueConstraint("compound_id", "id", name=f"uq_{table}_compound_id_id"))
    return key


def _head(table: str) -> list[Any]:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=f"fk_{table}_compound_id_compound"),
        *_key(table),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["compound_id", column],
        [f"{target}.compound_id", f"{target}.id"],
        name=f"fk_{table}_compound_id_{column}_{target}",
    )


def _created() -> sa.Column:
    return sa.Column("created_at", AT, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False)


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False)


def _fraction(name: str, digits: int = 8, places: int = 6) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=digits, scale=places), nullable=False)


def _place(table: str) -> list[Any]:
    return [
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("meter_id", sa.BigInteger(), nullable=True),
        _fk(table, "meter_id", "meter"),
        _fk(table, "zone_id", "zone"),
        _fk(table, "building_id", "building"),
    ]


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "finding",
        *_head("finding"),
        _text("kind", 32),
        _text("utility", 16),
        _text("subject", 64),
        _text("period_label", 40),
        sa.Column("period_start_date", sa.Date(), nullable=True),
        sa.Column("period_end_date", sa.Date(), nullable=True),
        *_place("finding"),
        sa.Column("basis", sa.Text(), nullable=False),
        _text("note", 1000),
        sa.Column("volume_milli_per_month", sa.BigInteger(), nullable=True),
        sa.Column("value_fen_per_month", sa.BigInteger(), nullable=True),
        sa.Column("cost_per_unit", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        _text("status", 16),
        _text("raised_by", 100),
        _text("dismissed_reason", 500),
        _text("dismissed_by", 100),
        sa.Column("dismissed_at", AT, nullable=True),
        _created(),
        sa.UniqueConstraint(
            "compound_id", "kind", "subject", "period_label", name="uq_finding_compound_id_kind_subject_period_label"
        ),
    )
    _index("finding", "meter_id")
    op.create_table(
        "work_order",
        *_head("work_order"),
        sa.Column("finding_id", sa.BigInteger(), nullable=True),
        _fk("work_order", "finding_id", "finding"),
        _text("kind", 32),
        _text("title", 200),
        _text("utility", 16),
        *_place("work_order"),
        _text("assignee", 100),
        sa.Column("due_date", sa.Date(), nullable=True),
        _text("status", 16),
        _text("notes", 2000),
        _text("done_note", 2000),
        sa.Column("done_date", sa.Date(), nullable=True),
        _text("created_by", 100),
        _created(),
        sa.Column("started_at", AT, nullable=True),
        sa.Column("closed_at", AT, nullable=True),
        sa.Column("saving", sa.Text(), nullable=False),
        sa.Column("saving_milli_per_month", sa.BigInteger(), nullable=True),
        sa.Column("saving_fen_per_month", sa.BigInteger(), nullable=True),
    )
    _index("work_order", "finding_id")
    _index("work_order", "meter_id")
    op.create_table(
        "meter_test",
        *_head("meter_test"),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("work_order_id", sa.BigInteger(), nullable=True),
        _fk("meter_test", "meter_id", "meter"),
        _fk("meter_test", "work_order_id", "work_order"),
        sa.Column("test_date", sa.Date(), nullable=False),
        sa.Column("error_pct", sa.Numeric(precision=7, scale=3), nullable=False),
        _text("tested_by", 100),
        _text("note", 500),
        _created(),
    )
    _index("meter_test", "meter_id")
    op.create_table(
        "finding_settings",
        *_head("finding_settings"),
        _fraction("zone_loss_high_fraction"),
        _fraction("zone_loss_rising_fraction"),
        _fraction("min_water_per_month", 12, 3),
        _fraction("min_power_per_month", 12, 3),
        _fraction("night_leak_per_day", 10, 3),
        _fraction("stopped_fraction"),
        sa.Column("stopped_history_days", sa.Integer(), nullable=False),
        _fraction("check_excess_fraction"),
        _fraction("seal_risk_fraction"),
        sa.Column("saving_min_months", sa.Integer(), nullable=False),
        sa.UniqueConstraint("compound_id", name="uq_finding_settings_compound_id"),
    )


def downgrade() -> None:
    op.drop_table("finding_settings")
    op.drop_table("meter_test")
    op.drop_table("work_order")
    op.drop_table("finding")
