"""Billing: customer classes, billing settings and accounts, household sizes, tariffs (versions, components,
blocks, fixed charges), billing periods, bills and their lines, a draft's exceptions, adjustments.

Compound tables keyed as 0005 left them: (compound_id, id) on PostgreSQL, the rowid id with a UNIQUE
(compound_id, id) on SQLite. Classes, billing accounts and the finance bureau's payer account are made at a
compound's first bill run or tariff load (billing/setup.py), so this migration adds no rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:06:34.993233
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(table: str) -> list[sa.Constraint]:
    """The compound table's key: (compound_id, id); SQLite's rowid key needs the unique pair beside it."""
    key: list[sa.Constraint] = [sa.PrimaryKeyConstraint("compound_id", "id", name=f"pk_{table}")]
    if op.get_bind().dialect.name == "sqlite":
        key.append(sa.UniqueConstraint("compound_id", "id", name=f"uq_{table}_compound_id_id"))
    return key


def upgrade() -> None:
    op.create_table(
        "billing_period",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cutoff_day", sa.Integer(), nullable=True),
        sa.Column("run_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("issued_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_billing_period_compound_id_compound")),
        *_key("billing_period"),
        sa.UniqueConstraint("compound_id", "month", name=op.f("uq_billing_period_compound_id_month")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "customer_class",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_customer_class_compound_id_compound")),
        *_key("customer_class"),
        sa.UniqueConstraint("compound_id", "code", name=op.f("uq_customer_class_compound_id_code")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "tariff",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("utility", sa.String(length=16), nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("block_basis", sa.String(length=16), nullable=False),
        sa.Column("year_start_month", sa.Integer(), nullable=False),
        sa.Column("year_start_day", sa.Integer(), nullable=False),
        sa.Column("minimum_quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("base_persons", sa.Integer(), nullable=True),
        sa.Column("threshold_step_per_person", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "class_id"],
            ["customer_class.compound_id", "customer_class.id"],
            name=op.f("fk_tariff_compound_id_class_id_customer_class"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_tariff_compound_id_compound")),
        *_key("tariff"),
        sa.UniqueConstraint(
            "compound_id",
            "utility",
            "class_id",
            "valid_from",
            name=op.f("uq_tariff_compound_id_utility_class_id_valid_from"),
        ),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_class_id"), ["class_id"], unique=False)

    op.create_table(
        "tariff_charge",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("tariff_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "tariff_id"],
            ["tariff.compound_id", "tariff.id"],
            name=op.f("fk_tariff_charge_compound_id_tariff_id_tariff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_tariff_charge_compound_id_compound")),
        *_key("tariff_charge"),
        sa.UniqueConstraint(
            "compound_id", "tariff_id", "code", name=op.f("uq_tariff_charge_compound_id_tariff_id_code")
        ),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("tariff_charge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_charge_tariff_id"), ["tariff_id"], unique=False)

    op.create_table(
        "tariff_component",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("tariff_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "tariff_id"],
            ["tariff.compound_id", "tariff.id"],
            name=op.f("fk_tariff_component_compound_id_tariff_id_tariff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_tariff_component_compound_id_compound")
        ),
        *_key("tariff_component"),
        sa.UniqueConstraint(
            "compound_id", "tariff_id", "code", name=op.f("uq_tariff_component_compound_id_tariff_id_code")
        ),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("tariff_component", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_component_tariff_id"), ["tariff_id"], unique=False)

    op.create_table(
        "bill",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("period_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("utility", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("official_use", sa.Boolean(), nullable=False),
        sa.Column("from_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("to_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("issued_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_bill_compound_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "class_id"],
            ["customer_class.compound_id", "customer_class.id"],
            name=op.f("fk_bill_compound_id_class_id_customer_class"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_bill_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "period_id"],
            ["billing_period.compound_id", "billing_period.id"],
            name=op.f("fk_bill_compound_id_period_id_billing_period"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_bill_compound_id_compound")),
        *_key("bill"),
        sa.UniqueConstraint(
            "compound_id",
            "period_id",
            "account_id",
            "utility",
            name=op.f("uq_bill_compound_id_period_id_account_id_utility"),
        ),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_bill_compound_id_payer_id", ["compound_id", "payer_id"], unique=False)

    op.create_table(
        "billing_account",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=False),
        sa.Column("official_use", sa.Boolean(), nullable=False),
        sa.Column("exempt", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_billing_account_compound_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "class_id"],
            ["customer_class.compound_id", "customer_class.id"],
            name=op.f("fk_billing_account_compound_id_class_id_customer_class"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_billing_account_compound_id_compound")),
        *_key("billing_account"),
        sa.UniqueConstraint("compound_id", "account_id", name=op.f("uq_billing_account_compound_id_account_id")),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("billing_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_account_class_id"), ["class_id"], unique=False)

    op.create_table(
        "billing_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("finance_bureau_account_id", sa.BigInteger(), nullable=True),
        sa.Column("cutoff_day", sa.Integer(), nullable=True),
        sa.Column("common_share_policy", sa.String(length=16), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "finance_bureau_account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_billing_settings_compound_id_finance_bureau_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_billing_settings_compound_id_compound")
        ),
        *_key("billing_settings"),
        sa.UniqueConstraint("compound_id", name=op.f("uq_billing_settings_compound_id")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "household_size",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.CheckConstraint("persons >= 1", name=op.f("ck_household_size_persons_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id", "account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_household_size_compound_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_household_size_compound_id_compound")),
        *_key("household_size"),
        sa.UniqueConstraint(
            "compound_id", "account_id", "from_date", name=op.f("uq_household_size_compound_id_account_id_from_date")
        ),
        info={"citus": "distributed"},
    )
    op.create_table(
        "tariff_block",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("component_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("up_to", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "component_id"],
            ["tariff_component.compound_id", "tariff_component.id"],
            name=op.f("fk_tariff_block_compound_id_component_id_tariff_component"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_tariff_block_compound_id_compound")),
        *_key("tariff_block"),
        sa.UniqueConstraint(
            "compound_id", "component_id", "number", name=op.f("uq_tariff_block_compound_id_component_id_number")
        ),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("tariff_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_block_component_id"), ["component_id"], unique=False)

    op.create_table(
        "bill_adjustment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("period_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "bill_id"],
            ["bill.compound_id", "bill.id"],
            name=op.f("fk_bill_adjustment_compound_id_bill_id_bill"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_bill_adjustment_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "period_id"],
            ["billing_period.compound_id", "billing_period.id"],
            name=op.f("fk_bill_adjustment_compound_id_period_id_billing_period"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_bill_adjustment_compound_id_compound")),
        *_key("bill_adjustment"),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("bill_adjustment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_adjustment_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index("ix_bill_adjustment_compound_id_payer_id", ["compound_id", "payer_id"], unique=False)

    op.create_table(
        "bill_exception",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("period_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("meter_id", sa.BigInteger(), nullable=True),
        sa.Column("utility", sa.String(length=16), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_bill_exception_compound_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "meter_id"],
            ["meter.compound_id", "meter.id"],
            name=op.f("fk_bill_exception_compound_id_meter_id_meter"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "period_id"],
            ["billing_period.compound_id", "billing_period.id"],
            name=op.f("fk_bill_exception_compound_id_period_id_billing_period"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_bill_exception_compound_id_compound")),
        *_key("bill_exception"),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("bill_exception", schema=None) as batch_op:
        batch_op.create_index("ix_bill_exception_period", ["compound_id", "period_id"], unique=False)

    op.create_table(
        "bill_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("block", sa.Integer(), nullable=True),
        sa.Column("meter_id", sa.BigInteger(), nullable=True),
        sa.Column("previous_reading_id", sa.BigInteger(), nullable=True),
        sa.Column("current_reading_id", sa.BigInteger(), nullable=True),
        sa.Column("previous_value", sa.Numeric(precision=18, scale=3), nullable=True),
        sa.Column("current_value", sa.Numeric(precision=18, scale=3), nullable=True),
        sa.Column("previous_estimated", sa.Boolean(), nullable=False),
        sa.Column("current_estimated", sa.Boolean(), nullable=False),
        sa.Column("multiplier", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tariff_id", sa.BigInteger(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["compound_id", "bill_id"],
            ["bill.compound_id", "bill.id"],
            name=op.f("fk_bill_line_compound_id_bill_id_bill"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "current_reading_id"],
            ["reading.compound_id", "reading.id"],
            name=op.f("fk_bill_line_compound_id_current_reading_id_reading"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "meter_id"],
            ["meter.compound_id", "meter.id"],
            name=op.f("fk_bill_line_compound_id_meter_id_meter"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "previous_reading_id"],
            ["reading.compound_id", "reading.id"],
            name=op.f("fk_bill_line_compound_id_previous_reading_id_reading"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "tariff_id"],
            ["tariff.compound_id", "tariff.id"],
            name=op.f("fk_bill_line_compound_id_tariff_id_tariff"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_bill_line_compound_id_compound")),
        *_key("bill_line"),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("bill_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_line_bill_id"), ["bill_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bill_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_line_bill_id"))

    op.drop_table("bill_line")
    with op.batch_alter_table("bill_exception", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_exception_period")

    op.drop_table("bill_exception")
    with op.batch_alter_table("bill_adjustment", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_adjustment_compound_id_payer_id")
        batch_op.drop_index(batch_op.f("ix_bill_adjustment_bill_id"))

    op.drop_table("bill_adjustment")
    with op.batch_alter_table("tariff_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_block_component_id"))

    op.drop_table("tariff_block")
    op.drop_table("household_size")
    op.drop_table("billing_settings")
    with op.batch_alter_table("billing_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_account_class_id"))

    op.drop_table("billing_account")
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_compound_id_payer_id")
        batch_op.drop_index(batch_op.f("ix_bill_account_id"))

    op.drop_table("bill")
    with op.batch_alter_table("tariff_component", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_component_tariff_id"))

    op.drop_table("tariff_component")
    with op.batch_alter_table("tariff_charge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_charge_tariff_id"))

    op.drop_table("tariff_charge")
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_class_id"))

    op.drop_table("tariff")
    op.drop_table("customer_class")
    op.drop_table("billing_period")
