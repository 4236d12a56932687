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

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from compound import clock  # noqa: E402
from compound.db import get_engine, get_session  # noqa: E402
from compound.migrate import upgrade  # noqa: E402

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
def frozen_now() -> Iterator[datetime]:
    """Tests run at NOW unless they move the clock."""
    clock.set_clock(lambda: NOW)
    yield NOW
    clock.set_clock(None)


@pytest.fixture
def app(session: Session):
    from compound.app import create_app

    application = create_app()

    def _session() -> Iterator[Session]:
        # What the test set up before the request counts as committed, as it would be in real life:
        # a request that fails rolls back only its own work.
        session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
