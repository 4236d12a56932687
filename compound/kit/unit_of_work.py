"""The request's unit of work: one session, committed before the response is sent unless the answer is a
refusal, and the bookkeeping that must never make a request wait or fail.

Every router is built with `route_class=UnitOfWorkRoute` (tests/compound/test_unit_of_work.py walks every route
to hold it); the CLI and jobs use session_scope(), with the same contract.
"""

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from compound.kit import db
from compound.kit.db import BOOKKEEPING_WAIT_MS

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SESSION_KEY = "db_session"
_TURN_KEY = "db_writer_turn"
_BOOKKEEPING = "bookkeeping"
_REPLAY = "replay_after_rollback"

log = logging.getLogger(__name__)


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
    engine = db.get_engine()
    queues = _queues(engine)
    writer = request.method not in SAFE_METHODS
    if writer and queues.writer is not None:
        # Its turn first: a writer waiting for it holds no connection that a reader could use.
        await queues.writer.acquire()
        setattr(request.state, _TURN_KEY, queues.writer)
    try:
        async with queues.connections:
            session = Session(db.writer(engine) if writer else engine, expire_on_commit=False)
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
    with Session(db.writer(engine or db.get_engine()), expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            end_unit_of_work(session, commit=False)
            raise
        end_unit_of_work(session, commit=True)


SessionDep = Annotated[Session, Depends(get_session)]
