"""Real scheduler processes on the test database: two started together run the day once; one killed (SIGKILL)
in the middle of a run leaves nothing of it behind, and the next scheduler runs the day again.

Each process is `Scheduler([probe job]).start()` — the code `compound scheduler` runs — limited to a compound
of the test's own, checking every second, with a 3-second lease.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from compound.jobs import service
from compound.jobs.models import JobLease, JobRun
from compound.kit import clock
from compound.register.models import Compound, Zone
from tests.compound import jobs_probe
from tests.conftest import TEST_URL

R = JobRun.__table__
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import logging, sys
from compound.kit.contributes import Job
from compound.shell import packages
from compound.shell.scheduler import Scheduler
logging.basicConfig(level=logging.INFO)
packages.contributions()
Scheduler([Job(name=sys.argv[1], path="tests.compound.jobs_probe:add_zone", daily_at="00:00")],
          compound_ids=[int(sys.argv[2])]).start()
"""


@pytest.fixture
def cid(engine: sa.Engine) -> Iterator[int]:
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__).values(code=f"S{uuid.uuid4().hex[:10]}", name="Scheduler",
                                                 timezone="Asia/Shanghai", spike_factor=3, is_demo=False)
            .returning(Compound.__table__.c.id)
        ).scalar_one()
    yield cid
    with engine.begin() as conn:
        conn.execute(sa.delete(R).where(R.c.compound_id == cid))
        conn.execute(sa.delete(Zone.__table__).where(Zone.__table__.c.compound_id == cid))
        conn.execute(sa.delete(Compound.__table__).where(Compound.__table__.c.id == cid))


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    procs: list[subprocess.Popen] = []

    def spawn(job: str, cid: int, **env: str) -> subprocess.Popen:
        full = {**os.environ, "COMPOUND_DATABASE_URL": TEST_URL, "PYTHONPATH": str(ROOT),
                "COMPOUND_SCHEDULER_CHECK_SECONDS": "1", "COMPOUND_SCHEDULER_LEASE_SECONDS": "3", **env}
        log = open(tmp_path / f"scheduler-{len(procs)}.log", "w")  # noqa: SIM115  (closed with the process)
        p = subprocess.Popen([sys.executable, "-c", SCRIPT, job, str(cid)], env=full, cwd=ROOT, stdout=log,
                             stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    yield spawn
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=30)


def _runs(engine: sa.Engine, job: str) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(R).where(R.c.job == job).order_by(R.c.id)))


def _wait(what: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("waited in vain")
        time.sleep(0.2)


def _zones(engine: sa.Engine, cid: int) -> int:
    with engine.connect() as conn:
        return jobs_probe.zones(conn, cid)


@pytest.fixture
def job(engine: sa.Engine) -> Iterator[str]:
    name = f"probe.{uuid.uuid4().hex[:8]}"
    yield name
    with engine.begin() as conn:
        conn.execute(sa.delete(JobLease.__table__).where(JobLease.__table__.c.name == name))


def test_two_schedulers_started_together_run_the_day_once(engine, cid, job, start):
    a = start(job, cid, COMPOUND_PROBE_SLEEP="2")
    b = start(job, cid, COMPOUND_PROBE_SLEEP="2")
    _wait(lambda: any(r.outcome == "ok" for r in _runs(engine, job)))
    time.sleep(4)  # both go on checking every second, past the lease's length
    assert a.poll() is None and b.poll() is None, "a scheduler died"
    runs = _runs(engine, job)
    assert [(r.outcome, r.trigger) for r in runs] == [("ok", "scheduled")]
    assert _zones(engine, cid) == 1
    a.send_signal(signal.SIGTERM)
    b.send_signal(signal.SIGTERM)
    assert a.wait(timeout=30) == 0 and b.wait(timeout=30) == 0


def test_a_scheduler_killed_mid_run_leaves_nothing_and_the_next_one_runs_the_day(engine, cid, job, start, tmp_path):
    clock.set_clock(None)  # the processes' real clock decides when the lease expires
    mid_run = tmp_path / "mid-run"
    killed = start(job, cid, COMPOUND_PROBE_HANG=str(mid_run))
    _wait(mid_run.exists)  # its zone is added, in its open transaction
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert _zones(engine, cid) == 0  # nothing of the run was kept
    assert [r.outcome for r in _runs(engine, job)] == ["running"]  # as the killed process left it
    time.sleep(3.5)  # its lease expires: the page calls it what it is
    with sa.orm.Session(engine) as s:
        views, _n = service.list_runs(s, filter=service.RunFilter(frozenset({cid}), everything=False, job=job))
    assert [v.outcome for v in views] == ["abandoned"]

    start(job, cid)
    _wait(lambda: any(r.outcome == "ok" for r in _runs(engine, job)))
    assert [r.outcome for r in _runs(engine, job)] == ["abandoned", "ok"]
    assert _zones(engine, cid) == 1
