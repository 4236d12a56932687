"""Citus-ready keys: on PostgreSQL every compound table's primary key becomes (compound_id, id).

Citus distributes a table on a column only if every primary key and unique constraint includes it. The
compound tables had PRIMARY KEY (id) beside UNIQUE (compound_id, id), which the same-compound foreign keys
pointed at. On PostgreSQL: drop those foreign keys, the unique constraint and the old key, add the
(compound_id, id) key, and point the foreign keys at it again — in place, no row is copied. SQLite keeps
its rowid key (id) and its UNIQUE (compound_id, id): nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("zone", "building", "account", "transformer", "meter", "unmetered_use", "seal", "reading")
KEY = ["compound_id", "id"]


def _foreign_keys_to_key(inspector: sa.Inspector) -> list[tuple[str, dict]]:
    """Every foreign key that points at a compound table's (compound_id, id)."""
    found = []
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] in TABLES and fk["referred_columns"] == KEY:
                found.append((table, fk))
    return found


def _rekey(old_key: list[str], new_key: list[str], unique: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    fks = _foreign_keys_to_key(sa.inspect(bind))
    for table, fk in fks:
        op.drop_constraint(fk["name"], table, type_="foreignkey")
    for table in TABLES:
        if not unique:
            op.drop_constraint(f"uq_{table}_compound_id_id", table, type_="unique")
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, new_key)
        if unique:
            op.create_unique_constraint(f"uq_{table}_compound_id_id", table, KEY)
    for table, fk in fks:
        op.create_foreign_key(
            fk["name"], table, fk["referred_table"], fk["constrained_columns"], fk["referred_columns"]
        )


def upgrade() -> None:
    _rekey(["id"], KEY, unique=False)


def downgrade() -> None:
    _rekey(KEY, ["id"], unique=True)
