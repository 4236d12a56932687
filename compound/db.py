"""Engine, sessions and the column types every package shares."""

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel
from starlette.concurrency import run_in_threadpool

from compound.settings import get_settings

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
    return Field(default=None, sa_column=sa.Column(BigId, primary_key=True, autoincrement=True))


def compound_field() -> Any:
    """The compound a row belongs to: the shard key, present on every compound table.

    No index of its own: every compound table's unique (compound_id, id) already leads with it.
    """
    return Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("compound.id"), nullable=False))


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
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SESSION_KEY = "db_session"
_TURN_KEY = "db_writer_turn"
_BOOKKEEPING = "bookkeeping"
_REPLAY = "replay_after_rollback"

log = logging.getLogger(__name__)


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


def _writer(engine: Engine) -> Engine:
    """The same engine, its transactions taking SQLite's write lock when they begin."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


@dataclass
class _Queues:
    """What one event loop's requests (one worker process's) wait on before they take a worker thread."""

    connections: asyncio.Semaphore  # as many as the pool has connections
    writer: asyncio.Lock | None  # SQLite: one writer's turn at a time


_QUEUES: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Engine, _Queues]]" = weakref.WeakKeyDictionary()


def _queues(engine: Engine) -> _Queues:
    by_engine = _QUEUES.setdefault(asyncio.get_running_loop(), {})
    if engine not in by_engine:
        pool = engine.pool  # a QueuePool holds size() connections and _max_overflow more; another pool, any number
        size = pool.size() + max(pool._max_overflow, 0) if isinstance(pool, sa.QueuePool) else 1_000
        lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        by_engine[engine] = _Queues(asyncio.Semaphore(size), lock)
    return by_engine[engine]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session; UnitOfWorkRoute commits or rolls it back before the response is sent.

    A request waits on the event loop, where waiting costs nothing, for a free connection and, on SQLite,
    for its turn among this process's writers; only then does it take a worker thread to connect (and
    BEGIN IMMEDIATE). A thread never waits for the pool or for a writer: twenty writers waiting in threads
    on SQLite's busy handler, which polls with sleeps of up to 100 ms, wasted most of their time, and forty
    would hold every thread the writer ahead of them needs (bench/concurrent_writes.py).
    """
    engine = get_engine()
    queues = _queues(engine)
    writer = request.method not in SAFE_METHODS
    if writer and queues.writer is not None:
        # Its turn first: a writer waiting for it holds no connection that a reader could use.
        await queues.writer.acquire()
        setattr(request.state, _TURN_KEY, queues.writer)
    try:
        async with queues.connections:
            session = Session(_writer(engine) if writer else engine, expire_on_commit=False)
            try:
                await run_in_threadpool(session.connection)
                enlist(request, session)
                yield session
            finally:
                await run_in_threadpool(session.close)
    finally:
        _end_turn(request)


def _end_turn(request: Request) -> None:
    if (turn := getattr(request.state, _TURN_KEY, None)) is not None:
        setattr(request.state, _TURN_KEY, None)
        turn.release()


def enlist(request: Request, session: Session) -> None:
    """Make `session` the request's unit of work (a test's override of get_session calls this too)."""
    setattr(request.state, _SESSION_KEY, session)


class UnitOfWorkRoute(APIRoute):
    """A route whose session commits before the response is sent, and only when the answer is not a refusal.

    Whatever the handler flushed is committed if it answers below 400, and rolled back if it answers 400 or
    more — by raising or by returning an error page — with no line of its own. A commit that fails raises
    instead of the answer, so no client is told "saved" of what was not.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception:
                await _end(request, commit=False)
                raise
            await _end(request, commit=response.status_code < 400)
            return response

        return run


async def _end(request: Request, *, commit: bool) -> None:
    """End the unit of work in a worker thread, then hand the next writer its turn."""
    session = getattr(request.state, _SESSION_KEY, None)
    try:
        if session is not None:
            setattr(request.state, _SESSION_KEY, None)
            await run_in_threadpool(end_unit_of_work, session, commit=commit)
    finally:
        _end_turn(request)


def end_unit_of_work(session: Session, *, commit: bool) -> None:
    """Commit or roll back; then write what outlives a refusal, then the bookkeeping, each on its own."""
    replay = session.info.pop(_REPLAY, [])
    try:
        if commit:
            session.commit()
            replay = []
        else:
            session.rollback()
    except BaseException:
        session.info.pop(_BOOKKEEPING, None)
        session.rollback()
        raise
    if replay:
        for statement in replay:
            session.execute(statement)
        session.commit()
    _write_bookkeeping(session)


def outlives_refusal(session: Session, statement: sa.Executable) -> None:
    """Execute a write that must stay even if the request is refused (a failed login counts for throttling).

    It is written now, in the request's transaction, and written again after it if that is rolled back.
    """
    session.execute(statement)
    session.info.setdefault(_REPLAY, []).append(statement)


def bookkeeping(session: Session, statement: sa.Executable) -> None:
    """A write that notes use (a token's last use, a session's last sight), not the request's work.

    It runs after the request's transaction, in a short one of its own that gives up if the database is busy:
    a request never waits for a lock, nor fails, because of it; the next request tries again.
    """
    session.info.setdefault(_BOOKKEEPING, []).append(statement)


def _write_bookkeeping(session: Session) -> None:
    statements = session.info.pop(_BOOKKEEPING, None)
    if not statements:
        return
    try:
        conn = session.connection(execution_options={"sqlite_begin": "DEFERRED", "sqlite_busy_ms": BOOKKEEPING_WAIT_MS})
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BOOKKEEPING_WAIT_MS}")
        for statement in statements:
            session.execute(statement)
        session.commit()
    except sa.exc.SQLAlchemyError as exc:  # never turns an answer into an error: a later request tries again
        session.rollback()
        if is_busy(exc):
            log.info("bookkeeping skipped, the database is busy: %s", exc)
        else:
            log.exception("bookkeeping failed")


def is_busy(exc: BaseException) -> bool:
    """The database is too busy to serve now (a lock not granted in time, an empty pool): try again later."""
    if isinstance(exc, sa.exc.TimeoutError):  # no connection free in the pool in time
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    # SQLite: "database is locked" / "database is busy"; PostgreSQL: lock_not_available, serialization, deadlock.
    orig = exc.orig
    return getattr(orig, "sqlstate", None) in ("55P03", "40001", "40P01") or any(
        word in str(orig) for word in ("database is locked", "database is busy")
    )


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """The same contract for the CLI and jobs: commit at the end, roll back on an error.

    A writer, as a web request that is not a read: on SQLite it takes the write lock when it begins.
    """
    with Session(_writer(engine or get_engine()), expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            end_unit_of_work(session, commit=False)
            raise
        end_unit_of_work(session, commit=True)
