"""The bill run against real processes and connections, each on a database of its own (a SQLite file, or a
PostgreSQL schema made for the test and dropped after it): two runs at once, and a run killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from billing.models import Bill, BillingPeriod
from billing.periods import parse_month
from billing.run import run_draft
from compound.kit.db import make_engine, writer
from compound.register.models import Compound
from compound.shell.migrate import upgrade
from meters.models import Reading
from tests.billing.helpers import BEIJING_WATER, load
from tests.conftest import TEST_URL
from tests.factories import make_account, make_compound, make_meter

HOUSEHOLDS = 60


def _postgres() -> bool:
    return TEST_URL.startswith("postgresql")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, migrated database: a SQLite file, or (when the suite runs on PostgreSQL) a schema of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/run.db"
        upgrade(url)
        yield url
        return
    if not _postgres():
        pytest.skip("PostgreSQL: run the suite with COMPOUND_TEST_DATABASE_URL set to it")
    schema = f"billrun_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(TEST_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{TEST_URL}{'&' if '?' in TEST_URL else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _seed(url: str) -> int:
    """A committed compound: households with a water meter read on 28 September and 28 October 2026."""
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        c = make_compound(s)
        load(s, c, BEIJING_WATER)
        rows = []
        plain = {"rollover": False, "source": "manual", "kind": "regular", "read_by": "", "note": "", "confirmed": ""}
        for i in range(HOUSEHOLDS):
            meter = make_meter(s, compound=c, account=make_account(s, compound=c))
            rows += [
                {
                    "compound_id": c.id,
                    "meter_id": meter.id,
                    "read_at": datetime(2026, 9, 28, 2, tzinfo=UTC),
                    "value_milli": 0,
                    "consumption_milli": None,
                    "period_seconds": None,
                    **plain,
                },
                {
                    "compound_id": c.id,
                    "meter_id": meter.id,
                    "read_at": datetime(2026, 10, 28, 2, tzinfo=UTC),
                    "value_milli": 1000 * (i + 1),
                    "consumption_milli": 1000 * (i + 1),
                    "period_seconds": 30 * 86400,
                    **plain,
                },
            ]
        s.execute(sa.insert(Reading), rows)
        s.commit()
        cid = c.id
    engine.dispose()
    return cid


def _bills(url: str, cid: int) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        bills = conn.execute(sa.select(sa.func.count()).select_from(Bill).where(Bill.compound_id == cid)).scalar()
        periods = conn.execute(
            sa.select(sa.func.count()).select_from(BillingPeriod).where(BillingPeriod.compound_id == cid)
        ).scalar()
    engine.dispose()
    return bills, periods


def _run(url: str, cid: int) -> None:
    engine = writer(make_engine(url))
    with Session(engine, expire_on_commit=False) as s:
        run_draft(s, compound=s.get(Compound, cid), month=parse_month("2026-10"))
        s.commit()
    engine.dispose()


def test_two_runs_at_once_make_each_bill_once(db_url):
    cid = _seed(db_url)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def go() -> None:
        try:
            start.wait()
            _run(db_url, cid)
        except BaseException as e:  # noqa: BLE001 — reported below
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _bills(db_url, cid) == (HOUSEHOLDS, 1)
    # And the database itself refuses a second bill for the same account, utility and period.
    engine = make_engine(db_url)
    with Session(engine) as s:
        bill = s.execute(sa.select(Bill).where(Bill.compound_id == cid).limit(1)).scalar_one()
        s.add(
            Bill(
                compound_id=cid,
                period_id=bill.period_id,
                account_id=bill.account_id,
                payer_id=bill.payer_id,
                utility=bill.utility,
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()
    engine.dispose()


KILLED_RUN = """
import sys, time
from pathlib import Path
from sqlmodel import Session
from compound.shell.packages import contributions
contributions()
from billing.periods import parse_month
from billing.run import run_draft
from compound.kit.db import make_engine, writer
from compound.register.models import Compound

url, cid, marker = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
saving = 0

def progress(stage, done, total):
    global saving
    if stage == "saving":
        saving += 1
        if saving == 4:  # the bills are written, their lines not yet: wait here to be killed
            marker.write_text("bills written")
            time.sleep(120)

with Session(writer(make_engine(url))) as s:
    run_draft(s, compound=s.get(Compound, cid), month=parse_month("2026-10"), progress=progress)
    s.commit()
"""


def test_a_run_killed_midway_leaves_no_partial_draft_and_the_next_run_completes_it(db_url, tmp_path):
    cid = _seed(db_url)
    marker = tmp_path / "marker"
    env = {**os.environ, "COMPOUND_DATABASE_URL": db_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, db_url, str(cid), str(marker)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "the run ended before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    time.sleep(0.5)  # the server notices the dropped connection and rolls its transaction back
    assert _bills(db_url, cid) == (0, 0)
    _run(db_url, cid)
    assert _bills(db_url, cid) == (HOUSEHOLDS, 1)
