"""Benchmark: saving a 400-meter round sheet in one post, through a running server.

Builds a SQLite database (migrations) with buildings of 400 meters, each meter with three months of readings,
serves the app with uvicorn in this process (so the SQL statements of each post can be counted) and posts
every building's whole sheet once, as a reader's phone would with every box filled: 400 readings in one form.
Each post must answer 303 (all saved); then the readings are counted in the database.

    python bench/round_sheet_save.py [--quick] [--postgres URL]

Prints `BENCH round_sheet_save_ms` (the median post; target ≤ 400 ms), `BENCH round_sheet_save_max_ms` and
`BENCH round_sheet_save_statements` (SQL statements of one post, authentication included; target ≤ 20).
"""

import argparse
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
METERS = 400


def seed(url: str, buildings: int) -> tuple[list[tuple[str, list[int]]], str]:
    """Buildings of 400 meters with a reading a month for three months; the sheets' paths and meter ids, and a token."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from compound.auth import service
    from compound.auth.models import Role
    from compound.kit import clock
    from compound.kit.db import make_engine
    from compound.register.models import Building, Compound, Zone
    from compound.shell.migrate import upgrade
    from meters.models import Meter, Reading

    upgrade(url)
    engine = make_engine(url)
    now = clock.now()
    sheets = []
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__)
            .values(
                code=f"SAVE{secrets.token_hex(3)}",
                name="Bench",
                timezone="Asia/Shanghai",
                spike_factor=3,
                is_demo=False,
            )
            .returning(Compound.__table__.c.id)
        ).scalar_one()
        zid = conn.execute(
            sa.insert(Zone.__table__)
            .values(compound_id=cid, name="Living", kind="living")
            .returning(Zone.__table__.c.id)
        ).scalar_one()
        for b in range(buildings):
            bid = conn.execute(
                sa.insert(Building.__table__)
                .values(compound_id=cid, zone_id=zid, name=f"Block {b + 1}")
                .returning(Building.__table__.c.id)
            ).scalar_one()
            rows = [
                dict(
                    compound_id=cid,
                    utility="water",
                    serial=f"S{b}-{i:04d}",
                    location=f"Block {b + 1} entrance {i // 60 + 1} floor {i % 60 // 10 + 1} flat {i % 10 + 1}",
                    role="billing",
                    building_id=bid,
                    zone_id=zid,
                    multiplier=1,
                    dials=6,
                    walk_order=i,
                    status="active",
                    hv_side=False,
                )
                for i in range(METERS)
            ]
            ids = list(conn.execute(sa.insert(Meter.__table__).returning(Meter.__table__.c.id), rows).scalars())
            readings = [
                dict(
                    compound_id=cid,
                    meter_id=mid,
                    read_at=now - timedelta(days=90 - 30 * k),
                    value_milli=(100 + 30 * k) * 1000,
                    consumption_milli=30_000 if k else None,
                    period_seconds=30 * 86400 if k else None,
                    rollover=False,
                    source="manual",
                    kind="regular",
                    read_by="",
                    note="",
                    confirmed="",
                )
                for mid in ids
                for k in range(3)
            ]
            conn.execute(sa.insert(Reading.__table__), readings)
            sheets.append((f"/c/{cid}/rounds/building/{bid}", ids))
    with Session(engine) as session:
        user = service.create_user(
            session, username=f"bench-{secrets.token_hex(3)}", password=secrets.token_urlsafe(24),
            role=Role.maintenance, compound_ids=[cid],
        )  # fmt: skip
        token, _row = service.create_token(session, user=user, name="bench")
        session.commit()
    engine.dispose()
    return sheets, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two sheets instead of six")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to use (its public schema is rebuilt)")
    opts = parser.parse_args()
    buildings = 2 if opts.quick else 6
    tmp = Path(tempfile.mkdtemp(prefix="bench-sheet-save-"))
    url = opts.postgres or f"sqlite:///{tmp / 'compound.kit.db'}"
    os.environ.update(
        COMPOUND_DATABASE_URL=url, COMPOUND_ENVIRONMENT="bench", COMPOUND_SECRET_KEY=secrets.token_hex(32)
    )
    try:
        if opts.postgres:
            import sqlalchemy as sa

            reset = sa.create_engine(url)
            with reset.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            reset.dispose()
        sheets, token = seed(url, buildings)
        run(url, sheets, token)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, sheets: list[tuple[str, list[int]]], token: str) -> None:
    import sqlalchemy as sa
    import uvicorn

    from compound.kit.db import get_engine
    from compound.shell.app import create_app
    from meters.models import Reading

    counted = {"on": False, "n": 0}

    def count(*_args: object) -> None:
        if counted["on"]:
            counted["n"] += 1

    sa.event.listen(get_engine(), "before_cursor_execute", count)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    times, statements = [], []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            client.get(sheets[0][0])  # warm: templates compiled, the statement caches filled
            for path, ids in sheets:
                body = urllib.parse.urlencode({"read_by": "王海峰", **{f"value_{mid}": "185" for mid in ids}})
                counted.update(on=True, n=0)
                t = time.perf_counter()
                r = client.post(path, content=body, follow_redirects=False)
                times.append((time.perf_counter() - t) * 1000)
                counted["on"] = False
                statements.append(counted["n"])
                if r.status_code != 303:
                    raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:300]}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    with get_engine().connect() as conn:
        saved = conn.execute(sa.select(sa.func.count()).where(Reading.__table__.c.value_milli == 185_000)).scalar()
    if saved != METERS * len(sheets):
        raise SystemExit(f"{saved} readings saved, {METERS * len(sheets)} posted")
    dialect = get_engine().dialect.name
    print(f"# {len(sheets)} sheets of {METERS} meters, one post each, {dialect}; every reading saved")
    print(f"BENCH round_sheet_save_ms {statistics.median(times):.1f} ms")
    print(f"BENCH round_sheet_save_max_ms {max(times):.1f} ms")
    print(f"BENCH round_sheet_save_statements {max(statements)} statements")


if __name__ == "__main__":
    main()
