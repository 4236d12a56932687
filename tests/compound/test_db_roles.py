"""PostgreSQL: the app runs under a role that does not own the tables (issue 7, item 6).

`compound db upgrade --grant-to ROLE`, run as the owner, lets ROLE read and write every table but only add
to the audit trail. Logged in as ROLE, nobody can then switch the trail's triggers off, empty it, or edit it.
"""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from compound.shell.cli import app
from compound.shell.migrate import upgrade
from tests.conftest import TEST_URL

pytestmark = pytest.mark.skipif(not TEST_URL.startswith("postgresql"), reason="roles and grants are PostgreSQL's")


@pytest.fixture
def app_role(engine):
    """A login role of its own for this test database (roles are the whole server's), dropped afterwards."""
    owner = make_url(TEST_URL)
    role = f"{owner.database}_app_role"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'DROP OWNED BY "{role}"')) if _exists(conn, role) else None
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
    yield role, owner.set(username=role, password=None)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
        conn.execute(sa.text(f'DROP ROLE "{role}"'))


def _exists(conn, role: str) -> bool:
    return conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def _refused(conn, statement: str) -> str:
    with pytest.raises(DBAPIError) as refused, conn.begin_nested():
        conn.execute(sa.text(statement))
    return str(refused.value.orig)


def test_the_app_role_cannot_disable_the_triggers_truncate_or_edit_the_trail(app_role):
    role, url = app_role
    result = CliRunner().invoke(app, ["db", "upgrade", "--grant-to", role])
    assert result.exit_code == 0, result.output
    assert role in result.output

    as_app = sa.create_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(url.render_as_string(hide_password=False))  # `compound serve` upgrades first: at head, a no-op
        with as_app.connect() as conn:
            work = conn.begin()
            # What the app does: read and write the register, add to the trail.
            conn.execute(
                sa.text(
                    "INSERT INTO compound (code, name, timezone, spike_factor, is_demo) "
                    "VALUES ('ROLE-T', 'x', 'Asia/Shanghai', 3, false)"
                )
            )
            conn.execute(sa.text("UPDATE compound SET name = 'y' WHERE code = 'ROLE-T'"))
            conn.execute(
                sa.text(
                    "INSERT INTO audit_entry (at, username, ip, action, object_type, object_id, summary)"
                    " VALUES (now(), 'x', '', 'create', 'compound', '', '')"
                )
            )
            assert conn.execute(sa.text("SELECT count(*) FROM audit_entry")).scalar_one() >= 1
            # What it cannot do, whatever its code says.
            assert "owner" in _refused(conn, "ALTER TABLE audit_entry DISABLE TRIGGER ALL")
            assert "owner" in _refused(conn, "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
            assert "owner" in _refused(conn, "DROP TRIGGER audit_entry_append_only ON audit_entry")
            assert "permission denied" in _refused(conn, "TRUNCATE audit_entry")
            assert "permission denied" in _refused(conn, "UPDATE audit_entry SET username = 'someone else'")
            assert "permission denied" in _refused(conn, "DELETE FROM audit_entry")
            assert "permission denied" in _refused(conn, "UPDATE alembic_version SET version_num = '0001'")
            work.rollback()
    finally:
        as_app.dispose()


def test_grant_to_an_unknown_role_is_refused_by_name(engine):
    result = CliRunner().invoke(app, ["db", "upgrade", "--grant-to", "no_such_role_anywhere"])
    assert result.exit_code != 0 and "no_such_role_anywhere" in result.output
