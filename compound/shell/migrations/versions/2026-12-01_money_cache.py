"""The money view's cache: a page's figures per compound, kind and period, with the fingerprint of its inputs.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(table: str) -> list[sa.Constraint]:
    key: list[sa.Constraint] = [sa.PrimaryKeyConstraint("compound_id", "id", name=f"pk_{table}")]
    if op.get_bind().dialect.name == "sqlite":
        key.append(sa.UniqueConstraint("compound_id", "id", name=f"uq_{table}_compound_id_id"))
    return key


def upgrade() -> None:
    op.create_table(
        "money_cache",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", compound.kit.db.AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_money_cache_compound_id_compound")),
        *_key("money_cache"),
        sa.UniqueConstraint("compound_id", "kind", "period", name=op.f("uq_money_cache_compound_id_kind_period")),
    )


def downgrade() -> None:
    op.drop_table("money_cache")
