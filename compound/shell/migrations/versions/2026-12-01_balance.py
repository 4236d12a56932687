"""The volume balance: utility bills and their printed lines, night-flow tests and their readings, each
compound's balance settings, unbilled (own-use) accounts and loss cables.

Compound tables keyed as 0005 left them: (compound_id, id) on PostgreSQL, the rowid id with a UNIQUE
(compound_id, id) on SQLite.

Revision ID: 0008
Revises: 0006 (re-chained on main's head after the merge; the lead re-chains at merge)
Create Date: 2026-12-01 16:08:27.963325
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0008"
down_revision: str | None = "0006"
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
        "balance_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("meter_error_fraction", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("meter_error_basis", sa.String(length=16), nullable=False),
        sa.Column("data_handling_fraction", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("unauthorised_fraction", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("estimated_read_error_fraction", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("utility_tolerance_fraction", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("line_loss_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("power_factor", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("load_factor", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("loss_load_k", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("mains_km", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("connections", sa.Integer(), nullable=True),
        sa.Column("service_km", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("pressure_m", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("supply_hours_per_day", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("night_start", sa.Time(), nullable=False),
        sa.Column("night_end", sa.Time(), nullable=False),
        sa.Column("night_people", sa.Integer(), nullable=False),
        sa.Column("night_active_fraction", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("litres_per_person_hour", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.Column("small_users", sa.Integer(), nullable=False),
        sa.Column("litres_per_small_user_hour", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.Column("exceptional_litres_per_hour", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("night_day_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("pressure_profile", sa.String(length=400), nullable=True),
        sa.Column("favad_n1", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_balance_settings_compound_id_compound")
        ),
        *_key("balance_settings"),
        sa.UniqueConstraint("compound_id", name=op.f("uq_balance_settings_compound_id")),
    )
    op.create_table(
        "unbilled_account",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_unbilled_account_compound_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_unbilled_account_compound_id_compound")
        ),
        *_key("unbilled_account"),
        sa.UniqueConstraint("compound_id", "account_id", name=op.f("uq_unbilled_account_compound_id_account_id")),
    )
    op.create_table(
        "loss_cable",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("ohm_per_km", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("km", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("voltage_v", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "meter_id"],
            ["meter.compound_id", "meter.id"],
            name=op.f("fk_loss_cable_compound_id_meter_id_meter"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_loss_cable_compound_id_compound")),
        *_key("loss_cable"),
        sa.UniqueConstraint("compound_id", "name", name=op.f("uq_loss_cable_compound_id_name")),
    )
    with op.batch_alter_table("loss_cable", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loss_cable_meter_id"), ["meter_id"], unique=False)

    op.create_table(
        "night_flow_test",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("test_date", sa.Date(), nullable=False),
        sa.Column("read_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "meter_id"],
            ["meter.compound_id", "meter.id"],
            name=op.f("fk_night_flow_test_compound_id_meter_id_meter"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_night_flow_test_compound_id_compound")),
        *_key("night_flow_test"),
    )
    with op.batch_alter_table("night_flow_test", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_night_flow_test_meter_id"), ["meter_id"], unique=False)

    op.create_table(
        "utility_bill",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("period_start_date", sa.Date(), nullable=False),
        sa.Column("period_end_date", sa.Date(), nullable=False),
        sa.Column("quantity_milli", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("bill_number", sa.String(length=64), nullable=False),
        sa.Column("issued_date", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("period_end_date >= period_start_date", name=op.f("ck_utility_bill_period_order")),
        sa.ForeignKeyConstraint(
            ["compound_id", "meter_id"],
            ["meter.compound_id", "meter.id"],
            name=op.f("fk_utility_bill_compound_id_meter_id_meter"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_utility_bill_compound_id_compound")),
        *_key("utility_bill"),
        sa.UniqueConstraint(
            "compound_id",
            "meter_id",
            "period_start_date",
            name=op.f("uq_utility_bill_compound_id_meter_id_period_start_date"),
        ),
    )
    op.create_table(
        "night_flow_reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("test_id", sa.BigInteger(), nullable=False),
        sa.Column("read_at", compound.kit.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("value_milli", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "test_id"],
            ["night_flow_test.compound_id", "night_flow_test.id"],
            name=op.f("fk_night_flow_reading_compound_id_test_id_night_flow_test"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_night_flow_reading_compound_id_compound")
        ),
        *_key("night_flow_reading"),
    )
    with op.batch_alter_table("night_flow_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_night_flow_reading_test_id"), ["test_id"], unique=False)

    op.create_table(
        "utility_bill_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("quantity_milli", sa.BigInteger(), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "bill_id"],
            ["utility_bill.compound_id", "utility_bill.id"],
            name=op.f("fk_utility_bill_line_compound_id_bill_id_utility_bill"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_utility_bill_line_compound_id_compound")
        ),
        *_key("utility_bill_line"),
    )
    with op.batch_alter_table("utility_bill_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_utility_bill_line_bill_id"), ["bill_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("utility_bill_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_utility_bill_line_bill_id"))

    op.drop_table("utility_bill_line")
    with op.batch_alter_table("night_flow_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_night_flow_reading_test_id"))

    op.drop_table("night_flow_reading")
    op.drop_table("utility_bill")
    with op.batch_alter_table("night_flow_test", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_night_flow_test_meter_id"))

    op.drop_table("night_flow_test")
    with op.batch_alter_table("loss_cable", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loss_cable_meter_id"))

    op.drop_table("loss_cable")
    op.drop_table("unbilled_account")
    op.drop_table("balance_settings")
