"""Twenty clerks at once, through a real server on the test database (SQLite or PostgreSQL).

Each write is saved (201) or refused with its code (422 `duplicate`, `before_last`), never a 500; every
201 can be read back at once on another connection; a reader neither fails nor waits while another
connection holds the write lock, although its token's last use is due to be noted.
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from meters.models import Reading
from tests.conftest import NOW
from tests.live.conftest import WRITERS, Live


def _readings_path(live: Live, meter_id: int) -> str:
    return f"/api/compounds/{live.compound_id}/meters/{meter_id}/readings"


def _at_once(live: Live, body_of: Callable[[int], tuple[int, dict]]) -> list[httpx.Response]:
    """WRITERS clients, each with its own connection and token, post at the same instant (a barrier)."""
    barrier = threading.Barrier(WRITERS)
    answers: list[httpx.Response | None] = [None] * WRITERS

    def client(i: int) -> None:
        meter_id, body = body_of(i)
        with httpx.Client(base_url=live.base, headers=live.headers(i), timeout=60) as c:
            barrier.wait()
            answers[i] = c.post(_readings_path(live, meter_id), json=body)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [a for a in answers if a is not None]


def _stored(engine: sa.Engine, meter_id: int) -> list[sa.Row]:
    r = Reading.__table__.c
    with engine.connect() as conn:
        q = sa.select(r.id, r.value_milli, r.consumption_milli).where(r.meter_id == meter_id).order_by(r.read_at)
        return list(conn.execute(q))


def test_twenty_writers_to_twenty_meters_are_all_saved_while_a_reader_reads(live, engine):
    reads: list[int] = []
    done = threading.Event()

    def reader() -> None:
        with httpx.Client(base_url=live.base, headers=live.headers(WRITERS), timeout=60) as c:
            while not done.is_set():
                reads.append(c.get(_readings_path(live, live.meter_ids[0])).status_code)

    t = threading.Thread(target=reader)
    t.start()
    try:
        at = (NOW - timedelta(days=10)).isoformat()
        answers = _at_once(live, lambda i: (live.meter_ids[i], {"value": str(100 + i), "read_at": at}))
    finally:
        done.set()
        t.join()
    assert [a.status_code for a in answers] == [201] * WRITERS, [a.text[:200] for a in answers if a.status_code != 201]
    for i, a in enumerate(answers):  # every 201 is there, on another connection
        assert [row.id for row in _stored(engine, live.meter_ids[i])] == [a.json()["id"]]
    assert reads and set(reads) == {200}


def test_twenty_identical_readings_of_one_meter_save_one_and_refuse_the_rest_as_duplicates(live, engine):
    meter_id = live.meter_ids[WRITERS]
    body = {"value": "500", "read_at": (NOW - timedelta(days=9)).isoformat()}
    answers = _at_once(live, lambda i: (meter_id, body))
    saved = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 422]
    assert len(saved) == 1 and len(refused) == WRITERS - 1, [a.status_code for a in answers]
    assert all([p["code"] for p in a.json()["problems"]] == ["duplicate"] for a in refused)
    assert [row.id for row in _stored(engine, meter_id)] == [saved[0].json()["id"]]


def test_twenty_different_readings_of_one_meter_form_one_consistent_history(live, engine):
    # Client i reads 1000 + 10·i at T + i minutes. Whichever lands first is saved; a later one is saved if
    # it comes after the last saved one, else refused as before_last: never lost, never a 500.
    meter_id = live.meter_ids[WRITERS + 1]
    t0 = NOW - timedelta(days=8)

    def body_of(i: int) -> tuple[int, dict]:
        return meter_id, {"value": str(1000 + 10 * i), "read_at": (t0 + timedelta(minutes=i)).isoformat()}

    answers = _at_once(live, body_of)
    assert {a.status_code for a in answers} <= {201, 422}, [a.text[:200] for a in answers if a.status_code >= 500]
    saved = sorted(a.json()["id"] for a in answers if a.status_code == 201)
    refused = [p["code"] for a in answers if a.status_code == 422 for p in a.json()["problems"]]
    assert saved and set(refused) <= {"before_last"}
    rows = _stored(engine, meter_id)
    assert sorted(row.id for row in rows) == saved
    # In time order each consumption is the step from the reading before: no reading was computed from a
    # "last reading" another writer had already replaced.
    assert rows[0].consumption_milli is None
    assert all(b.consumption_milli == b.value_milli - a.value_milli > 0 for a, b in zip(rows, rows[1:], strict=False))


@pytest.fixture
def slow_commits():
    """Every commit of a session that wrote takes 0.3 s (a slow disk, a busy PostgreSQL): an answer sent before
    the commit is then found out every time, not one time in twenty."""

    def wrote(session: OrmSession, _flush_context: object) -> None:
        session.info["wrote"] = True

    def slow(session: OrmSession) -> None:
        if session.info.pop("wrote", False):
            time.sleep(0.3)

    event.listen(OrmSession, "after_flush", wrote)
    event.listen(OrmSession, "before_commit", slow)
    yield
    event.remove(OrmSession, "before_commit", slow)
    event.remove(OrmSession, "after_flush", wrote)


def test_a_saved_reading_can_be_read_back_at_once_on_another_connection(live, slow_commits):
    # The answer is sent only once the commit is done: each time, the GET finds what the 201 said.
    meter_id = live.meter_ids[WRITERS + 2]
    t0 = NOW - timedelta(days=5)
    with (
        httpx.Client(base_url=live.base, headers=live.headers(0), timeout=30) as writer,
        httpx.Client(base_url=live.base, headers=live.headers(1), timeout=30) as reader,
    ):
        missing = []
        for k in range(10):
            body = {"value": str(10 * (k + 1)), "read_at": (t0 + timedelta(hours=k)).isoformat()}
            r = writer.post(_readings_path(live, meter_id), json=body)
            assert r.status_code == 201, r.text
            newest = reader.get(_readings_path(live, meter_id), params={"limit": 1}).json()["items"]
            if not newest or newest[0]["id"] != r.json()["id"]:
                missing.append(k)
    assert not missing, f"told saved, not found on another connection: posts {missing}"


def test_a_read_neither_fails_nor_waits_while_another_connection_holds_the_write_lock(live, engine):
    token_id, headers = live.token_ids[WRITERS], live.headers(WRITERS)
    t = sa.table("api_token", sa.column("id"), sa.column("name"), sa.column("last_used_at"))
    with engine.begin() as conn:  # its last use is due to be noted: never noted yet
        conn.execute(sa.update(t).where(t.c.id == token_id).values(last_used_at=None))
    holder = engine.connect()
    try:
        tx = holder.begin()
        # A write in an open transaction: SQLite's write lock; on PostgreSQL the token's row lock too.
        holder.execute(sa.update(t).where(t.c.id == token_id).values(name=t.c.name))
        started = time.monotonic()
        r = httpx.get(f"{live.base}/api/compounds/{live.compound_id}/meters", headers=headers, timeout=8)
        took = time.monotonic() - started
        tx.rollback()
    finally:
        holder.close()
    assert r.status_code == 200 and took < 2, (r.status_code, took)
    with engine.connect() as conn:  # skipped, not waited for ...
        assert conn.execute(sa.select(t.c.last_used_at).where(t.c.id == token_id)).scalar_one() is None
    assert httpx.get(f"{live.base}/api/me", headers=headers, timeout=8).status_code == 200
    with engine.connect() as conn:  # ... and noted by the next request, the database free again
        assert conn.execute(sa.select(t.c.last_used_at).where(t.c.id == token_id)).scalar_one() is not None
