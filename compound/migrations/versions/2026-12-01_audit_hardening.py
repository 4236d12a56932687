"""administrators of every compound; the audit trail hardened

- app_user.all_compounds: an administrator who sees every compound, present and future. Existing
  administrators who hold every compound today (demo users aside) become one, so an installation keeps
  someone who can manage everyone.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("all_compounds", sa.Boolean(), server_default=sa.false(), nullable=False))
    _promote_admins_of_every_compound()


def _promote_admins_of_every_compound() -> None:
    op.execute("""
        UPDATE app_user SET all_compounds = TRUE
        WHERE role = 'admin' AND is_demo = FALSE AND EXISTS (SELECT 1 FROM compound)
          AND NOT EXISTS (
            SELECT 1 FROM compound c WHERE NOT EXISTS (
              SELECT 1 FROM user_compound uc WHERE uc.user_id = app_user.id AND uc.compound_id = c.id))""")


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("all_compounds")
