"""administrators of every compound; the audit trail hardened

- app_user.all_compounds: an administrator who sees every compound, present and future. Existing
  administrators who hold every compound today (demo users aside) become one, so an installation keeps
  someone who can manage everyone.
- audit_entry.subject_user_id: the user an entry without a compound is about; such an entry belongs to that
  user's compounds. Entries written before this have none, and only administrators of every compound see them.
- the trail refuses TRUNCATE (PostgreSQL) and a replace of an existing entry (SQLite's INSERT OR REPLACE).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("all_compounds", sa.Boolean(), server_default=sa.false(), nullable=False))
    _promote_admins_of_every_compound()
    # Plain ADD COLUMN, never a batch copy of audit_entry: SQLite would drop its triggers with the old table.
    op.add_column("audit_entry", sa.Column("subject_user_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_audit_entry_subject_user_id"), "audit_entry", ["subject_user_id"], unique=False)
    _no_truncate_no_replace()


def _no_truncate_no_replace() -> None:
    """PostgreSQL: TRUNCATE fires no row trigger, so a statement trigger refuses it (0002 refuses UPDATE and
    DELETE). SQLite: INSERT OR REPLACE deletes the old row without firing its DELETE trigger, so an insert of
    an id already there is refused before it happens."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
            FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""")
    else:
        op.execute("""
            CREATE TRIGGER audit_entry_no_replace BEFORE INSERT ON audit_entry
            WHEN EXISTS (SELECT 1 FROM audit_entry WHERE id = NEW.id)
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""")


def _promote_admins_of_every_compound() -> None:
    op.execute("""
        UPDATE app_user SET all_compounds = TRUE
        WHERE role = 'admin' AND is_demo = FALSE AND EXISTS (SELECT 1 FROM compound)
          AND NOT EXISTS (
            SELECT 1 FROM compound c WHERE NOT EXISTS (
              SELECT 1 FROM user_compound uc WHERE uc.user_id = app_user.id AND uc.compound_id = c.id))""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_replace")
    op.drop_index(op.f("ix_audit_entry_subject_user_id"), table_name="audit_entry")
    # SQLite cannot drop the column without copying the table (and losing its triggers): it stays there.
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("audit_entry", "subject_user_id")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("all_compounds")
