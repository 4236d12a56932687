"""register rules the database holds: serials and user names whatever their case, one intact seal number

- meter: unique (compound_id, lower(serial)) — W-1-1-101 and w-1-1-101 are one meter.
- app_user: unique lower(username), across the installation — Li.Ming and li.ming are one user.
- seal: unique (compound_id, lower(number)) among intact seals — a seal number is on one meter at a time.

Rows that already break a rule are not changed behind anyone's back (a serial is what is printed on the
meter, a user name is what someone types to log in, and which of two intact seals is the real one only
the fitter knows): the upgrade stops before it changes anything and names every clash. Rename one of each
pair (or record one seal broken) with the version you run, then upgrade again.

Revision ID: 0014
Revises: 0016
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLASHES = {
    "meter serials that differ only in case": """
        SELECT c.code || ': ' || m.serial FROM meter m JOIN compound c ON c.id = m.compound_id
        WHERE EXISTS (SELECT 1 FROM meter o WHERE o.compound_id = m.compound_id AND o.id <> m.id
                      AND lower(o.serial) = lower(m.serial))
        ORDER BY c.code, lower(m.serial), m.serial""",
    "user names that differ only in case": """
        SELECT u.username FROM app_user u
        WHERE EXISTS (SELECT 1 FROM app_user o WHERE o.id <> u.id AND lower(o.username) = lower(u.username))
        ORDER BY lower(u.username), u.username""",
    "seal numbers intact on more than one meter": """
        SELECT c.code || ': ' || s.number || ' on ' || m.serial FROM seal s
        JOIN compound c ON c.id = s.compound_id
        JOIN meter m ON m.compound_id = s.compound_id AND m.id = s.meter_id
        WHERE s.broken_date IS NULL AND EXISTS (
            SELECT 1 FROM seal o WHERE o.compound_id = s.compound_id AND o.id <> s.id
            AND o.broken_date IS NULL AND lower(o.number) = lower(s.number))
        ORDER BY c.code, lower(s.number), m.serial""",
}


class RegisterClashes(RuntimeError):
    """Rows that break the new rules: the upgrade changed nothing."""


def _refuse_clashes() -> None:
    bind = op.get_bind()
    found = []
    for what, query in CLASHES.items():
        rows = [row[0] for row in bind.execute(sa.text(query))]
        if rows:
            found.append(f"{what}: " + "; ".join(rows[:50]) + (f" … ({len(rows)} in all)" if len(rows) > 50 else ""))
    if found:
        raise RegisterClashes(
            "The upgrade stopped before changing anything. Rename one of each pair (or record one of the seals "
            "broken), then upgrade again.\n" + "\n".join(found)
        )


def upgrade() -> None:
    _refuse_clashes()
    intact = sa.text("broken_date IS NULL")
    op.create_index(
        "uq_meter_compound_id_serial_lower", "meter", ["compound_id", sa.text("lower(serial)")], unique=True
    )
    op.create_index("uq_app_user_username_lower", "app_user", [sa.text("lower(username)")], unique=True)
    op.create_index(
        "uq_seal_compound_id_number_intact",
        "seal",
        ["compound_id", sa.text("lower(number)")],
        unique=True,
        sqlite_where=intact,
        postgresql_where=intact,
    )


def downgrade() -> None:
    op.drop_index("uq_seal_compound_id_number_intact", table_name="seal")
    op.drop_index("uq_app_user_username_lower", table_name="app_user")
    op.drop_index("uq_meter_compound_id_serial_lower", table_name="meter")
