"""The job runner: once a day per compound, caught up once after downtime, failures and dead runs visible.

These tests commit for real (the runner has transactions of its own), on a compound made for the test and
removed after it; the real processes are in tests/live/test_scheduler.py.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from compound.jobs import lease, registry, runner
from compound.jobs.models import JobLease, JobRun, Outcome, Trigger
from compound.kit import clock
from compound.kit.contributes import Job
from compound.register.models import Compound, Zone
from tests.compound import jobs_probe

R = JobRun.__table__
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _job(path: str = "tests.compound.jobs_probe:add_zone", at: str = "02:00") -> Job:
    return Job(name=f"probe.{uuid.uuid4().hex[:8]}", path=path, daily_at=at)


@pytest.fixture
def cid(engine: sa.Engine) -> Iterator[int]:
    """A committed compound of the test's own, removed with its runs, zones and the probes' leases after."""
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__)
            .values(code=f"J{uuid.uuid4().hex[:10]}", name="Jobs", timezone="Asia/Shanghai", spike_factor=3,
                    is_demo=False)
            .returning(Compound.__table__.c.id)
        ).scalar_one()
    yield cid
    with engine.begin() as conn:
        conn.execute(sa.delete(R).where(R.c.compound_id == cid))
        conn.execute(sa.delete(JobLease.__table__).where(JobLease.__table__.c.name.startswith("probe.")))
        conn.execute(sa.delete(Zone.__table__).where(Zone.__table__.c.compound_id == cid))
        conn.execute(sa.delete(Compound.__table__).where(Compound.__table__.c.id == cid))


def _at(local: str) -> datetime:
    """A Shanghai wall-clock time as the injectable clock's UTC instant."""
    return datetime.fromisoformat(local).replace(tzinfo=SHANGHAI).astimezone(UTC)


def _runs(engine: sa.Engine, job: Job) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(R).where(R.c.job == job.name).order_by(R.c.id)))


def _zones(engine: sa.Engine, cid: int) -> int:
    with engine.connect() as conn:
        return jobs_probe.zones(conn, cid)


def test_the_latest_slot_is_today_once_its_time_has_passed():
    at = time(2, 0)
    assert runner.latest_slot(_at("2026-11-10T01:59"), SHANGHAI, at) == date(2026, 11, 9)
    assert runner.latest_slot(_at("2026-11-10T02:00"), SHANGHAI, at) == date(2026, 11, 10)
    # 02:00 in Shanghai is 18:00 UTC the day before: the compound's calendar decides, not UTC's.
    assert runner.latest_slot(datetime(2026, 11, 9, 18, 30, tzinfo=UTC), SHANGHAI, at) == date(2026, 11, 10)


def test_a_due_run_runs_once_however_often_the_scheduler_looks(engine, cid):
    job = _job()
    clock.set_clock(lambda: _at("2026-11-10T02:05"))
    first = runner.run_due(engine, job, holder="a", compound_ids=[cid])
    assert [(r.outcome, r.as_of, r.trigger, r.counts) for r in first] == [("ok", date(2026, 11, 10), "scheduled",
                                                                           {"zones": 1})]
    assert runner.run_due(engine, job, holder="b", compound_ids=[cid]) == []
    assert runner.run_due(engine, job, holder="a", compound_ids=[cid]) == []
    assert _zones(engine, cid) == 1


def test_after_three_days_down_the_scheduler_catches_up_once(engine, cid):
    job = _job()
    clock.set_clock(lambda: _at("2026-11-07T03:00"))
    assert len(runner.run_due(engine, job, holder="a", compound_ids=[cid])) == 1
    # Down from the 7th to the 10th, 09:00: the 8th, 9th and 10th were missed; only the 10th is run.
    clock.set_clock(lambda: _at("2026-11-10T09:00"))
    caught = runner.run_due(engine, job, holder="a", compound_ids=[cid])
    assert [r.as_of for r in caught] == [date(2026, 11, 10)]
    assert runner.run_due(engine, job, holder="a", compound_ids=[cid]) == []
    assert [r.as_of for r in _runs(engine, job)] == [date(2026, 11, 7), date(2026, 11, 10)]
    assert _zones(engine, cid) == 2


def test_before_the_time_the_day_before_is_due(engine, cid):
    job = _job(at="23:30")
    clock.set_clock(lambda: _at("2026-11-10T09:00"))
    assert [r.as_of for r in runner.run_due(engine, job, holder="a", compound_ids=[cid])] == [date(2026, 11, 9)]


def test_a_failed_run_is_recorded_with_its_error_keeps_nothing_and_is_retried_a_few_times(engine, cid, monkeypatch):
    monkeypatch.setenv("COMPOUND_SCHEDULER_ATTEMPTS", "2")
    from compound.kit.settings import get_settings

    get_settings.cache_clear()
    try:
        job = _job(path="tests.compound.jobs_probe:fail")
        clock.set_clock(lambda: _at("2026-11-10T02:05"))
        for _ in range(4):
            runner.run_due(engine, job, holder="a", compound_ids=[cid])
        runs = _runs(engine, job)
        assert [r.outcome for r in runs] == ["failed", "failed"]
        assert "the probe failed on purpose" in runs[0].error
        assert runs[0].ended_at is not None
        assert _zones(engine, cid) == 0  # the zone it added went with the failure
    finally:
        get_settings.cache_clear()


def test_the_lease_is_taken_by_one_holder_until_released_or_expired(engine):
    name = f"probe.{uuid.uuid4().hex[:8]}"
    clock.set_clock(lambda: _at("2026-11-10T02:00"))
    assert lease.acquire(engine, name, "a", seconds=60)
    assert not lease.acquire(engine, name, "b", seconds=60)
    assert lease.acquire(engine, name, "a", seconds=60)  # renewing one's own
    clock.set_clock(lambda: _at("2026-11-10T02:01:01"))
    assert lease.acquire(engine, name, "b", seconds=60)  # a's expired: b takes over
    assert not lease.acquire(engine, name, "a", seconds=60)
    lease.release(engine, name, "b")
    assert lease.acquire(engine, name, "a", seconds=60)


def test_a_run_whose_lease_was_taken_meanwhile_keeps_nothing(engine, cid, monkeypatch):
    """A holder stalled past its lease must not commit beside the one that took over (the fence)."""
    job = _job()
    clock.set_clock(lambda: _at("2026-11-10T02:05"))
    assert lease.acquire(engine, job.name, "stalled", seconds=60)
    real = jobs_probe.add_zone

    def stall_then_lose_the_lease(session, **kw):
        counts = real(session, **kw)
        clock.set_clock(lambda: _at("2026-11-10T02:07"))  # past the lease: another process takes it
        return counts

    monkeypatch.setattr(jobs_probe, "add_zone", stall_then_lose_the_lease)
    with engine.begin() as conn:
        conn.execute(sa.update(JobLease.__table__).where(JobLease.__table__.c.name == job.name)
                     .values(holder="other", expires_at=_at("2026-11-10T03:00")))
    run = runner.run_one(engine, job, compound_id=cid, as_of=date(2026, 11, 10), trigger=Trigger.scheduled,
                         holder="stalled")
    assert run.outcome == Outcome.abandoned
    assert "took over" in run.error
    assert _zones(engine, cid) == 0


def test_a_run_left_running_by_a_dead_process_is_abandoned_and_run_again(engine, cid):
    job = _job()
    clock.set_clock(lambda: _at("2026-11-10T02:05"))
    with engine.begin() as conn:  # what a process killed mid-run leaves: its record, and its lease till it expires
        conn.execute(sa.insert(R).values(job=job.name, compound_id=cid, as_of=date(2026, 11, 10),
                                         trigger="scheduled", outcome="running", started_at=_at("2026-11-10T02:00"),
                                         holder="dead"))
    assert lease.acquire(engine, job.name, "dead", seconds=120)
    assert runner.run_due(engine, job, holder="a", compound_ids=[cid]) == []  # the lease still holds
    clock.set_clock(lambda: _at("2026-11-10T02:08"))
    again = runner.run_due(engine, job, holder="a", compound_ids=[cid])
    assert [r.outcome for r in again] == ["ok"]
    assert [(r.outcome, r.holder) for r in _runs(engine, job)] == [("abandoned", "dead"), ("ok", "a")]


def test_by_hand_a_job_refuses_while_another_process_runs_it(engine, cid):
    job = _job()
    assert lease.acquire(engine, job.name, "scheduler", seconds=60)
    with pytest.raises(runner.JobBusy):
        runner.run_now(engine, job, as_of=date(2026, 11, 3), compound_ids=[cid])
    lease.release(engine, job.name, "scheduler")
    done = runner.run_now(engine, job, as_of=date(2026, 11, 3), compound_ids=[cid])
    assert [(r.outcome, r.trigger, r.as_of) for r in done] == [("ok", "manual", date(2026, 11, 3))]


def test_the_database_refuses_a_second_ok_scheduled_run_of_a_day(engine, cid):
    row = dict(job="probe.unique", compound_id=cid, as_of=date(2026, 11, 10), trigger="scheduled", outcome="ok",
               started_at=_at("2026-11-10T02:00"), holder="a")
    with engine.begin() as conn:
        conn.execute(sa.insert(R).values(**row))
        conn.execute(sa.insert(R).values(**{**row, "trigger": "manual"}))  # by hand: as often as wanted
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(R).values(**row))


# The page


def _insert_runs(session, compound_id: int) -> None:
    base = dict(compound_id=compound_id, as_of=date(2026, 10, 31), trigger="scheduled",
                started_at=datetime(2026, 10, 31, 18, 0, tzinfo=UTC), ended_at=None, counts=None, error=None)
    session.execute(sa.insert(R), [
        {**base, "job": "collections.run", "outcome": "ok", "holder": "h1", "counts": {"actions": 7},
         "ended_at": datetime(2026, 10, 31, 18, 1, tzinfo=UTC)},
        {**base, "job": "collections.run", "outcome": "failed", "holder": "h2", "error": "Traceback: boom at 312"},
        {**base, "job": "collections.run", "outcome": "running", "holder": "gone-without-a-lease"},
    ])


@pytest.mark.role("admin")
def test_administrators_see_every_run_failures_and_dead_runs_included(client, session):
    from tests.factories import make_compound

    c = make_compound(session)
    _insert_runs(session, c.id)
    registry.add(Job(name="collections.run", path="billing.collections.jobs:collection_run"))
    page = client.get("/jobs")
    assert page.status_code == 200
    assert "boom at 312" in page.text and 'class="outcome failed"' in page.text
    api = client.get("/api/job-runs", params={"outcome": "abandoned"}).json()
    assert [r["outcome"] for r in api["items"]] == ["abandoned"]  # running, but its process holds no lease
    failed = client.get("/api/job-runs", params={"outcome": "failed"}).json()
    assert [r["error"] for r in failed["items"]] == ["Traceback: boom at 312"]
    assert client.get("/api/job-runs", params={"outcome": "running"}).json()["items"] == []


def test_an_administrator_of_one_compound_sees_only_its_runs(client_as, session):
    from tests.factories import make_compound

    mine, theirs = make_compound(session), make_compound(session)
    _insert_runs(session, theirs.id)
    admin = client_as("admin", mine)
    assert client_as("admin", mine).get("/api/job-runs").json()["total"] == 0
    assert "boom" not in admin.get("/jobs").text
    assert client_as("finance", mine).get("/jobs").status_code == 403
