"""Collections: policies and their levels, cases (one chase of one payer), actions (made once: the unique key)
and the contacts staff record.

Compound tables keyed as 0005 left them: (compound_id, id) on PostgreSQL, the rowid id with a UNIQUE
(compound_id, id) on SQLite.

Revision ID: 0111
Revises: 0010
Create Date: 2026-12-01 19:24:48.596139
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0111"
down_revision: str | None = "0010"
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
        "collection_policy",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=True),
        sa.Column("finance_bureau", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("late_fee_enabled", sa.Boolean(), nullable=False),
        sa.Column("late_fee_ppm_per_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "class_id"],
            ["customer_class.compound_id", "customer_class.id"],
            name=op.f("fk_collection_policy_compound_id_class_id_customer_class"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_collection_policy_compound_id_compound")
        ),
        *_key("collection_policy"),
        sa.UniqueConstraint("compound_id", "key", name=op.f("uq_collection_policy_compound_id_key")),
    )
    op.create_table(
        "collection_level",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("policy_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("min_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=False),
        sa.CheckConstraint("days_overdue >= 1", name=op.f("ck_collection_level_days_overdue_positive")),
        sa.CheckConstraint("min_balance_fen >= 1", name=op.f("ck_collection_level_min_balance_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id", "policy_id"],
            ["collection_policy.compound_id", "collection_policy.id"],
            name=op.f("fk_collection_level_compound_id_policy_id_collection_policy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_collection_level_compound_id_compound")
        ),
        *_key("collection_level"),
        sa.UniqueConstraint(
            "compound_id", "policy_id", "position", name=op.f("uq_collection_level_compound_id_policy_id_position")
        ),
    )
    op.create_table(
        "collection_case",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("policy_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=20), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("owed_fen", sa.BigInteger(), nullable=False),
        sa.Column("oldest_due_on", sa.Date(), nullable=True),
        sa.Column("late_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("promise_fen", sa.BigInteger(), nullable=True),
        sa.Column("promise_made_on", sa.Date(), nullable=True),
        sa.Column("promises_kept", sa.Integer(), nullable=False),
        sa.Column("promises_broken", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_collection_case_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "policy_id"],
            ["collection_policy.compound_id", "collection_policy.id"],
            name=op.f("fk_collection_case_compound_id_policy_id_collection_policy"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_collection_case_compound_id_compound")),
        *_key("collection_case"),
    )
    with op.batch_alter_table("collection_case", schema=None) as batch_op:
        batch_op.create_index(
            "uq_collection_case_open_payer",
            ["compound_id", "payer_id"],
            unique=True,
            sqlite_where=sa.text("closed_on IS NULL"),
            postgresql_where=sa.text("closed_on IS NULL"),
        )

    op.create_table(
        "collection_action",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("follow_up_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owed_fen", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee", sa.String(length=100), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["compound_id", "building_id"],
            ["building.compound_id", "building.id"],
            name=op.f("fk_collection_action_compound_id_building_id_building"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "case_id"],
            ["collection_case.compound_id", "collection_case.id"],
            name=op.f("fk_collection_action_compound_id_case_id_collection_case"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_collection_action_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_collection_action_compound_id_compound")
        ),
        *_key("collection_action"),
        sa.UniqueConstraint(
            "compound_id", "case_id", "position", name=op.f("uq_collection_action_compound_id_case_id_position")
        ),
    )
    with op.batch_alter_table("collection_action", schema=None) as batch_op:
        batch_op.create_index("ix_collection_action_open", ["compound_id", "status", "action"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_action_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "collection_contact",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("action_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("at", compound.kit.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("promise_fen", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "action_id"],
            ["collection_action.compound_id", "collection_action.id"],
            name=op.f("fk_collection_contact_compound_id_action_id_collection_action"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "case_id"],
            ["collection_case.compound_id", "collection_case.id"],
            name=op.f("fk_collection_contact_compound_id_case_id_collection_case"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payment_id"],
            ["payment.compound_id", "payment.id"],
            name=op.f("fk_collection_contact_compound_id_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_collection_contact_compound_id_compound")
        ),
        *_key("collection_contact"),
    )
    with op.batch_alter_table("collection_contact", schema=None) as batch_op:
        batch_op.create_index("ix_collection_contact_case", ["compound_id", "case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("collection_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_contact_case")

    op.drop_table("collection_contact")
    with op.batch_alter_table("collection_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_action_payer_id"))
        batch_op.drop_index("ix_collection_action_open")

    op.drop_table("collection_action")
    with op.batch_alter_table("collection_case", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_collection_case_open_payer",
            sqlite_where=sa.text("closed_on IS NULL"),
            postgresql_where=sa.text("closed_on IS NULL"),
        )

    op.drop_table("collection_case")
    op.drop_table("collection_level")
    op.drop_table("collection_policy")
