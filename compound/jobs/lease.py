"""A database lease per job: at most one process runs a job at a time, on SQLite and PostgreSQL alike.

Taking it is a compare-and-swap (an UPDATE that acts only if the lease is free, expired or already ours), so
two schedulers started by mistake cannot both win; it expires, so a killed holder blocks no one for long; the
holder renews it while it works, and checks it once more inside the run's own transaction before committing
(`fence`), so a holder that lost it (stalled past the expiry) commits nothing.
"""

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from compound.jobs.models import JobLease
from compound.kit import clock
from compound.kit.db import writer
from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import is_busy

log = logging.getLogger(__name__)
T = JobLease.__table__


class LeaseLost(Conflict):
    """Another process took the job's lease: this run must keep nothing."""


def new_holder() -> str:
    """Who we are, for the lease and the run's record: host, process and a nonce (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_row(conn: Connection, name: str) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(T).values(name=name, holder=None, expires_at=None).on_conflict_do_nothing())


def acquire(engine: Engine, name: str, holder: str, *, seconds: int) -> bool:
    """Take the lease of `name` for `seconds` if it is free, expired or ours; False if another holds it."""
    now = clock.now()
    try:
        with writer(engine).begin() as conn:
            _ensure_row(conn, name)
            taken = conn.execute(
                sa.update(T)
                .where(T.c.name == name)
                .where(sa.or_(T.c.holder.is_(None), T.c.holder == holder, T.c.expires_at < now))
                .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
            )
            return taken.rowcount == 1
    except sa.exc.OperationalError as exc:
        # SQLite: another process holds the write lock for a run of its own; it is busy, not ours to take.
        if is_busy(exc):
            return False
        raise


def fence(conn: Connection, name: str, holder: str, *, seconds: int) -> None:
    """Inside the run's transaction: still ours? Renew it, or raise LeaseLost (the run then keeps nothing)."""
    now = clock.now()
    kept = conn.execute(
        sa.update(T)
        .where(T.c.name == name, T.c.holder == holder, T.c.expires_at >= now)
        .values(expires_at=now + timedelta(seconds=seconds))
    )
    if kept.rowcount != 1:
        raise LeaseLost(_("Another process took over the job %(job)s; this run kept nothing.", job=name))


def release(engine: Engine, name: str, holder: str) -> None:
    with writer(engine).begin() as conn:
        conn.execute(sa.update(T).where(T.c.name == name, T.c.holder == holder).values(holder=None, expires_at=None))


def held_by(conn: Connection, name: str) -> str | None:
    """The live holder of the lease, or None when it is free or expired."""
    row = conn.execute(sa.select(T.c.holder, T.c.expires_at).where(T.c.name == name)).first()
    if row is None or row.holder is None or row.expires_at is None or row.expires_at < clock.now():
        return None
    return row.holder


class Heartbeat:
    """Renews a lease every third of its length while a run works (`with Heartbeat(...):`).

    On SQLite the run's own transaction holds the write lock, so a renewal waits and may fail: harmless, since
    no other process can write, and so take the lease, until that transaction ends, and it fences first.
    """

    def __init__(self, engine: Engine, name: str, holder: str, *, seconds: int):
        self.engine, self.name, self.holder, self.seconds = engine, name, holder, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease {name}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(max(self.seconds / 3, 0.2)):
            try:
                with writer(self.engine).execution_options(sqlite_busy_ms=1000).begin() as conn:
                    fence(conn, self.name, self.holder, seconds=self.seconds)
            except LeaseLost:
                log.warning("lease of %s lost while running", self.name)
                return
            except sa.exc.SQLAlchemyError as exc:
                log.info("lease of %s not renewed this time: %s", self.name, exc)
