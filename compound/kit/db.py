"""The engine and the column types every package shares (the request's session: compound/kit/unit_of_work.py)."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from compound.kit.settings import get_settings

# Constraint names Alembic can find again on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the fast rowid alias.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AwareDateTime(sa.TypeDecorator):
    """A timezone-aware UTC datetime on both databases (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def id_field() -> Any:
    """The key of a table that belongs to no compound (users, sessions, the compounds themselves)."""
    return Field(default=None, sa_column=sa.Column(BigId, primary_key=True, autoincrement=True))


# How each table would be placed if the database were distributed with Citus on compound_id
# (docs/scale-out.md): every table says which, and tests/compound/test_schema_rules.py holds
# the distributed ones to Citus' rules.
DISTRIBUTED, REFERENCE, LOCAL = "distributed", "reference", "local"


def placement(kind: str) -> dict[str, Any]:
    """The table-args entry naming a table's Citus placement: `__table_args__ = (..., placement(REFERENCE))`."""
    return {"info": {"citus": kind}}


# Compound tables: the primary key is (compound_id, id), as Citus requires of a distributed table. The ORM
# keeps `id` alone as the identity (ids come from one sequence, so they are unique across compounds), and
# SQLite keeps `id` as its fast rowid key, with a unique (compound_id, id) for the foreign keys to point at.
SCOPED_MAPPER: dict[str, Any] = {"primary_key": ["id"]}
_SCOPED_KEY = ["compound_id", "id"]


def scoped(*extra: object) -> tuple:
    """Table args of every compound table: its Citus-ready keys, then its own constraints."""
    return (
        sa.PrimaryKeyConstraint(*_SCOPED_KEY),
        sa.UniqueConstraint(*_SCOPED_KEY).ddl_if(dialect="sqlite"),
        *extra,
        placement(DISTRIBUTED),
    )


def same_compound_fk(column: str, target: str, **kw: Any) -> sa.ForeignKeyConstraint:
    """A foreign key that also pins the compound: a row can never point into another compound."""
    return sa.ForeignKeyConstraint(["compound_id", column], [f"{target}.compound_id", f"{target}.id"], **kw)


def scoped_id_field() -> Any:
    """The id of a compound table's row (its primary key is scoped())."""
    return Field(default=None, sa_column=sa.Column("id", BigId, nullable=False, autoincrement=True))


def compound_field() -> Any:
    """The compound a row belongs to: the shard key, present on every compound table.

    No index of its own: every compound table's primary key (compound_id, id) already leads with it.
    """
    return Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("compound.id"), nullable=False))


def _scoped_key(table: sa.Table) -> bool:
    return [c.name for c in table.primary_key.columns] == _SCOPED_KEY


@compiles(PrimaryKeyConstraint, "sqlite")
def _sqlite_primary_key(constraint: PrimaryKeyConstraint, compiler: Any, **kw: Any) -> str:
    if constraint.table is not None and _scoped_key(constraint.table):
        return "PRIMARY KEY (id)"  # INTEGER and alone: the rowid itself
    return compiler.visit_primary_key_constraint(constraint, **kw)


@compiles(CreateColumn, "sqlite")
def _sqlite_column(create: CreateColumn, compiler: Any, **kw: Any) -> str:
    column = create.element
    if column.name == "id" and column.table is not None and _scoped_key(column.table):
        # SQLAlchemy refuses autoincrement inside a composite key on SQLite; the rowid alias does it.
        return f"{compiler.preparer.format_column(column)} INTEGER NOT NULL"
    return compiler.visit_create_column(create, **kw)


def at_field(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(AwareDateTime(), nullable=nullable, index=index))


def created_at_field() -> Any:
    """When the row was written, by the database's clock."""
    return Field(default=None, sa_column=sa.Column(AwareDateTime(), nullable=False, server_default=sa.func.now()))


# How long a SQLite writer waits for the write lock before "database is locked" (a writer of another
# process, the scheduler or the CLI, holding it); this process's writers queue before that, on the event loop.
BUSY_TIMEOUT_MS = 10_000
# Bookkeeping waits this long and then gives up: no request waits for, or fails on, its bookkeeping.
BOOKKEEPING_WAIT_MS = 50
def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks savepoints; let SQLAlchemy emit BEGIN (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock up front (BEGIN IMMEDIATE), waiting its turn. A deferred transaction that
    # has read and then writes cannot wait for the lock: if another writer committed since it read, SQLite
    # refuses it at once ("database is locked", whatever the busy timeout). Reads stay deferred: in WAL
    # they never wait.
    options = conn.get_execution_options()
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(options.get('sqlite_busy_ms', BUSY_TIMEOUT_MS))}")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_begin") == "IMMEDIATE" else "BEGIN")


def make_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    echo = get_settings().sql_echo
    if url.startswith("sqlite"):
        # SQLAlchemy's pool (5 connections and 10 more): a larger one let more readers run at once, which only
        # slowed writers and readers alike (bench/concurrent_writes.py, one worker, 20 and 40 writers).
        engine = sa.create_engine(url, connect_args={"check_same_thread": False}, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, echo=echo)


@lru_cache
def get_engine() -> Engine:
    return make_engine()


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions taking SQLite's write lock when they begin."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")
