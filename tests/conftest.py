"""Test database and fixtures.

COMPOUND_TEST_DATABASE_URL picks the database (default: a SQLite file in a temporary folder); .ci/run
sets it to PostgreSQL for the second run. The schema is built by the migrations, once per run, and
each test runs inside a transaction that is rolled back.
"""

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

_tmp = tempfile.mkdtemp(prefix="compound-test-")
TEST_URL = os.environ.get("COMPOUND_TEST_DATABASE_URL") or f"sqlite:///{_tmp}/test.db"
os.environ["COMPOUND_DATABASE_URL"] = TEST_URL  # before any settings are read
os.environ.setdefault("COMPOUND_ENVIRONMENT", "test")
# Tests read English unless they ask for Chinese (Accept-Language, /lang, or i18n.set_locale).
os.environ.setdefault("COMPOUND_DEFAULT_LOCALE", "en")
os.environ.setdefault("COMPOUND_LOCALE", "en")

from fastapi import Request  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from compound.kit import clock, i18n  # noqa: E402
from compound.kit.db import get_engine  # noqa: E402
from compound.kit.unit_of_work import enlist, get_session  # noqa: E402
from compound.shell.migrate import upgrade  # noqa: E402
from compound.shell.packages import contributions  # noqa: E402

contributions()  # every package installed: tables, audit, templates, catalogs

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _reset(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            for (name,) in conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type='table'")).all():
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def engine() -> Iterator[sa.Engine]:
    _reset(TEST_URL)
    upgrade(TEST_URL)
    yield get_engine()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back at the end."""
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    i18n.set_locale("en")
    yield
    i18n.set_locale("en")


@pytest.fixture(autouse=True)
def frozen_now() -> Iterator[datetime]:
    """Tests run at NOW unless they move the clock."""
    clock.set_clock(lambda: NOW)
    yield NOW
    clock.set_clock(None)


@pytest.fixture
def app(session: Session):
    from compound.shell.app import create_app

    application = create_app()

    def _session(request: Request) -> Iterator[Session]:
        _grant_every_compound(session)
        # What the test set up before the request counts as committed, as it would be in real life:
        # a request that fails rolls back only its own work. The route commits or rolls back the rest
        # (savepoints of the test's transaction), as it does with the real get_session.
        session.commit()
        enlist(request, session)
        yield session

    application.dependency_overrides[get_session] = _session
    return application


def _grant_every_compound(session: Session) -> None:
    """Test personas made with sees_all=True may see every compound the test has made so far."""
    for user_id in session.info.get("sees_all", ()):
        session.execute(
            sa.text(
                "INSERT INTO user_compound (user_id, compound_id) SELECT :uid, c.id FROM compound c "
                "WHERE NOT EXISTS (SELECT 1 FROM user_compound uc WHERE uc.user_id = :uid AND uc.compound_id = c.id)"
            ),
            {"uid": user_id},
        )


@pytest.fixture
def anon(app) -> Iterator[TestClient]:
    """A client that has not logged in."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client_as(app, session: Session):
    """client_as(role[, compound, ...]): a client using an API token of a new user with that role, who sees
    the compounds given (default: every compound the test makes; an admin given none is an administrator of
    every compound, as `compound users add NAME --role admin` makes one)."""
    from tests.personas import bearer, make_user

    opened = []

    def make(role, *compounds) -> TestClient:
        user = make_user(session, role=role, compounds=compounds, all_compounds=role == "admin" and not compounds)
        if not compounds:
            session.info.setdefault("sees_all", set()).add(user.id)
        c = TestClient(app, raise_server_exceptions=False, headers=bearer(session, user))
        opened.append(c.__enter__())
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def client(request, client_as) -> TestClient:
    """A client of the role the test is marked with (@pytest.mark.role("admin")); maintenance by default."""
    marker = request.node.get_closest_marker("role")
    return client_as(marker.args[0] if marker else "maintenance")
