"""The migrated schema keeps to Citus' rules (docs/scale-out.md), and the models agree with the migrations.

Every table says how a Citus deployment would place it (`placement()` in compound/kit/db.py). A distributed
table carries compound_id, and every primary key, unique constraint and foreign key between distributed tables
includes it; reference tables point only at reference tables. The checks read the database the migrations
built, not the models, so a new package's migration is held to the same rules.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from compound.kit.db import DISTRIBUTED, LOCAL, REFERENCE
from compound.shell.migrate import differences, upgrade
from tests.conftest import TEST_URL

PLACEMENTS = (DISTRIBUTED, REFERENCE, LOCAL)
NOT_OURS = {"alembic_version"}
SEEDED_BY_MIGRATION = {"payment_method"}  # 0010 adds the usual ways to pay


def _placement(name: str) -> str | None:
    table = SQLModel.metadata.tables.get(name)
    return table.info.get("citus") if table is not None else None


@pytest.fixture(scope="module")
def inspector(engine: sa.Engine) -> sa.Inspector:
    return sa.inspect(engine)


def _tables(inspector: sa.Inspector) -> list[str]:
    return [t for t in inspector.get_table_names() if t not in NOT_OURS]


def _breaches(inspector: sa.Inspector) -> list[str]:
    found = []
    sqlite = inspector.bind.dialect.name == "sqlite"
    for table in _tables(inspector):
        kind = _placement(table)
        if kind not in PLACEMENTS:
            found.append(f"{table}: no Citus placement (give its __table_args__ a placement())")
            continue
        for fk in inspector.get_foreign_keys(table):
            target = _placement(fk["referred_table"])
            if kind != DISTRIBUTED and target == DISTRIBUTED:
                found.append(f"{table} ({kind}) points at the distributed table {fk['referred_table']}")
            if kind == REFERENCE and target == LOCAL:
                found.append(f"{table} (reference) points at the local table {fk['referred_table']}")
        if kind == DISTRIBUTED:
            found += _distributed_breaches(inspector, table, sqlite=sqlite)
    return found


def _distributed_breaches(inspector: sa.Inspector, table: str, *, sqlite: bool) -> list[str]:
    found = []
    columns = {c["name"]: c for c in inspector.get_columns(table)}
    if "compound_id" not in columns or columns["compound_id"]["nullable"]:
        return [f"{table}: a distributed table needs a NOT NULL compound_id"]
    key = inspector.get_pk_constraint(table)["constrained_columns"]
    uniques = [u["column_names"] for u in inspector.get_unique_constraints(table)]
    uniques += [i["column_names"] for i in inspector.get_indexes(table) if i["unique"]]
    if "compound_id" not in key and not (sqlite and key == ["id"] and ["compound_id", "id"] in uniques):
        found.append(f"{table}: primary key {key} leaves out compound_id")
    found += [f"{table}: unique {cols} leaves out compound_id" for cols in uniques if "compound_id" not in cols]
    for fk in inspector.get_foreign_keys(table):
        if _placement(fk["referred_table"]) == DISTRIBUTED:
            pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
            if pairs.get("compound_id") != "compound_id":
                found.append(f"{table}: foreign key {fk['constrained_columns']} → {fk['referred_table']} "
                             "does not pin compound_id to compound_id")
    return found


def test_every_table_keeps_to_citus_rules(inspector):
    assert _tables(inspector), "the migrations built no tables"
    assert _breaches(inspector) == []


def test_compound_tables_are_keyed_by_compound_on_postgresql(inspector):
    if inspector.bind.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its rowid key")
    for table in _tables(inspector):
        if _placement(table) == DISTRIBUTED:
            assert inspector.get_pk_constraint(table)["constrained_columns"] == ["compound_id", "id"], table


def test_the_rule_check_finds_a_table_that_breaks_them(engine: sa.Engine):
    """The check is not vacuous: a distributed table with a global unique serial fails it."""
    metadata = sa.MetaData()
    bad = sa.Table(
        "bad_rule_probe",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("compound_id", sa.BigInteger, nullable=False),
        sa.Column("number", sa.String(20), unique=True),
        info={"citus": DISTRIBUTED},
    )
    SQLModel.metadata._add_table(bad.name, None, bad)  # what a careless model would do
    with engine.begin() as conn:
        bad.create(conn)
    try:
        found = _breaches(sa.inspect(engine))
        assert any("bad_rule_probe: primary key" in f for f in found), found
        assert any("bad_rule_probe: unique ['number']" in f for f in found), found
    finally:
        with engine.begin() as conn:
            bad.drop(conn)
        SQLModel.metadata.remove(bad)


def test_the_models_and_the_migrations_agree(engine: sa.Engine):
    assert differences(TEST_URL) == []


# Migrating a real database from the previous head


@pytest.fixture
def scratch_url(engine: sa.Engine) -> Iterator[str]:
    """An empty database of the same kind as the suite's."""
    url = make_url(TEST_URL)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{os.path.dirname(url.database)}/migrate-{uuid.uuid4().hex}.db"
        return
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _counts(conn: sa.Connection) -> dict[str, int]:
    names = [t for t in sa.inspect(conn).get_table_names() if t not in NOT_OURS]
    return {t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in names}


def test_a_demo_database_migrates_to_citus_keys_without_losing_a_row(scratch_url: str):
    from compound.shell.demo import build_demo
    from meters.models import Reading

    upgrade(scratch_url, revision="0004")
    scratch = sa.create_engine(scratch_url)
    try:
        with Session(scratch) as session:
            demo = build_demo(session, households=40)
            session.commit()
        with scratch.connect() as conn:
            before = _counts(conn)
        assert before["reading"] > 1000

        upgrade(scratch_url)
        with scratch.connect() as conn:
            after = _counts(conn)
        # Tables of later migrations start empty (but the reference data their migration adds); every row that
        # was there is still there.
        assert {t: n for t, n in after.items() if t in before} == before
        assert all(n == 0 for t, n in after.items() if t not in before and t not in SEEDED_BY_MIGRATION)
        assert _breaches(sa.inspect(scratch)) == []

        # The sequences go on where they were: a new reading gets a fresh id.
        with Session(scratch) as session:
            last = session.execute(sa.select(sa.func.max(Reading.id))).scalar_one()
            meter_id = session.execute(
                sa.select(Reading.meter_id).where(Reading.compound_id == demo.compound_id).limit(1)
            ).scalar_one()
            row = session.execute(sa.select(Reading).where(Reading.meter_id == meter_id).limit(1)).scalar_one()
            session.expunge(row)
            sa.orm.make_transient(row)
            row.id = None
            session.add(row)
            session.flush()
            assert row.id > last
            session.rollback()
    finally:
        scratch.dispose()
