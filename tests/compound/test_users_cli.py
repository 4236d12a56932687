"""`compound users ...` against a database file of its own (the CLI commits)."""

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from compound.auth import passwords
from compound.auth.models import Role, User, UserCompound
from compound.kit import db, settings
from compound.register.models import Compound
from compound.shell.cli import app
from compound.shell.migrate import upgrade


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.db"
    upgrade(url)
    monkeypatch.setenv("COMPOUND_DATABASE_URL", url)
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.insert(Compound.__table__).values(code="A", name="甲大院", timezone="Asia/Shanghai",
                                                         spike_factor=3, is_demo=False))
    yield engine
    engine.dispose()
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_first_administrator_is_added_with_the_password_from_the_prompt(cli_db):
    result = CliRunner().invoke(app, ["users", "add", "li.ming", "--role", "admin"],
                                input="brass-lantern-river-42\nbrass-lantern-river-42\n")
    assert result.exit_code == 0, result.output
    with cli_db.connect() as conn:
        user = conn.execute(sa.select(User.__table__).where(User.__table__.c.username == "li.ming")).one()
        sees = conn.execute(sa.select(UserCompound.__table__.c.compound_id)).scalars().all()
    assert user.role == Role.admin and passwords.verify(user.password_hash, "brass-lantern-river-42")
    # An admin given no --compound is an administrator of every compound, present and future: not one given
    # each compound there is today.
    assert user.all_compounds and sees == []
    assert "brass-lantern" not in result.output


def test_an_administrator_given_compounds_is_limited_to_them(cli_db):
    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "admin.a", "--role", "admin", "--compound", "A"],
                           input="brass-lantern-river-42\nbrass-lantern-river-42\n")
    assert result.exit_code == 0, result.output
    with cli_db.connect() as conn:
        user = conn.execute(sa.select(User.__table__).where(User.__table__.c.username == "admin.a")).one()
    assert not user.all_compounds
    runner.invoke(app, ["users", "add", "root", "--role", "admin"], input="brass-lantern-river-42\n" * 2)
    listed = {line.split()[0]: line.split()[3] for line in runner.invoke(app, ["users", "list"]).output.splitlines()}
    assert listed == {"admin.a": "A", "root": "*"}


def test_a_common_password_is_refused_with_the_reason(cli_db):
    result = CliRunner().invoke(app, ["users", "add", "wang", "--role", "finance"],
                                input="password123\npassword123\n")
    assert result.exit_code == 1 and "password" in result.output
    with cli_db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(User.__table__)).scalar_one() == 0


def test_disable_and_list(cli_db):
    runner = CliRunner()
    runner.invoke(app, ["users", "add", "zhao", "--role", "maintenance", "--compound", "A"],
                  input="brass-lantern-river-42\nbrass-lantern-river-42\n")
    assert runner.invoke(app, ["users", "disable", "zhao"]).exit_code == 0
    listed = runner.invoke(app, ["users", "list"]).output
    assert "zhao" in listed and "disabled" in listed


def test_control_characters_never_reach_the_terminal(cli_db):
    runner = CliRunner()
    refused = runner.invoke(app, ["users", "add", "qin", "--role", "finance", "--display-name", "Qin\x1b[2J"],
                            input="brass-lantern-river-42\nbrass-lantern-river-42\n")
    assert refused.exit_code == 1 and "display_name" in refused.output
    # A name stored before the rule (or by hand) is shown with its control characters spelled out.
    with cli_db.begin() as conn:
        conn.execute(sa.insert(User.__table__).values(
            username="old", display_name="Old\x1b]0;pwned\x07\x1b[2J\u202eName", password_hash="x", role="finance",
            is_active=True, is_demo=False, all_compounds=False))
    listed = runner.invoke(app, ["users", "list"]).output
    assert "old" in listed and "\x1b" not in listed and "\x07" not in listed and "\u202e" not in listed
    assert "\\x1b]0;pwned" in listed
