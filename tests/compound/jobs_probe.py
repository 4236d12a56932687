"""Jobs for the scheduler's tests: each adds a zone to its compound, so a run that was kept can be counted.

COMPOUND_PROBE_SLEEP makes a run last (two schedulers overlap); COMPOUND_PROBE_HANG names a file the run
writes once its zone is added, before it sleeps for good (to be killed mid-run).
"""

import os
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Zone

ZONE_PREFIX = "probe "


def add_zone(session: Session, *, compound_id: int, as_of: date, progress=None) -> dict[str, int]:
    session.execute(
        sa.insert(Zone.__table__).values(compound_id=compound_id, name=f"{ZONE_PREFIX}{as_of} {uuid.uuid4().hex[:8]}",
                                         kind="living")
    )
    session.flush()
    if progress:
        progress(1, 1)
    time.sleep(float(os.environ.get("COMPOUND_PROBE_SLEEP", "0")))
    if hang := os.environ.get("COMPOUND_PROBE_HANG"):
        Path(hang).write_text("mid-run")
        time.sleep(3600)
    return {"zones": 1}


def fail(session: Session, *, compound_id: int, as_of: date, progress=None) -> dict[str, int]:
    add_zone(session, compound_id=compound_id, as_of=as_of)
    raise RuntimeError("the probe failed on purpose")


def zones(conn: sa.Connection, compound_id: int) -> int:
    z = Zone.__table__.c
    q = sa.select(sa.func.count()).where(z.compound_id == compound_id, z.name.startswith(ZONE_PREFIX))
    return conn.execute(q).scalar_one()
