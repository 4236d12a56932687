"""Benchmark: the round sheet of a 200-meter building under 8 concurrent clients, beside the floor.

Builds a SQLite database (migrations) with one compound and a building of 200 meters with 24 monthly
readings each, serves `compound.shell.asgi:app` with uvicorn (2 workers) and loads GET round sheet with a
simple keep-alive load generator; then does the same to ../shared/bench/floor_web.py's GET /round/0.

    python bench/round_sheet.py [--quick]

Prints `BENCH round_sheet_p99_ms`, `BENCH round_sheet_p50_ms`, `BENCH round_sheet_floor_p99_ms` and
`BENCH round_sheet_floor_ratio`.
"""

import argparse
import http.client
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(os.environ.get("FLOOR_WEB", ROOT.parent / "shared" / "bench" / "floor_web.py"))
CLIENTS = 8
METERS = 200
MONTHS = 24


def seed(url: str) -> tuple[str, dict[str, str]]:
    """One compound, one building of 200 meters with 24 monthly readings each, and a reader with an API token.

    Returns the sheet's path and the headers that sign the reader in.
    """
    import sqlalchemy as sa

    from compound.kit.db import make_engine
    from compound.register.models import Building, Compound, Zone
    from compound.shell.migrate import upgrade
    from meters.models import Meter, Reading

    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(1)
    t0 = datetime(2024, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__)
            .values(
                code="BENCH",
                name="Bench compound",
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
        bid = conn.execute(
            sa.insert(Building.__table__)
            .values(compound_id=cid, zone_id=zid, name="Block 1")
            .returning(Building.__table__.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(Meter.__table__),
            [
                dict(
                    compound_id=cid,
                    utility="water",
                    serial=f"W{i:05d}",
                    location=f"Block 1, flat {i // 4 + 1}-{i % 4}",
                    role="billing",
                    building_id=bid,
                    zone_id=zid,
                    multiplier=1,
                    dials=7,
                    walk_order=i,
                    status="active",
                    hv_side=False,
                )
                for i in range(METERS)
            ],
        )
        ids = conn.execute(sa.select(Meter.__table__.c.id).where(Meter.__table__.c.building_id == bid)).scalars()
        rows = []
        for mid in ids:
            v = rnd.randrange(0, 10**6) * 1000
            for k in range(MONTHS):
                used = rnd.randrange(0, 20000) if k else None
                v += used or 0
                rows.append(
                    dict(
                        compound_id=cid,
                        meter_id=mid,
                        read_at=t0 + timedelta(days=30 * k),
                        value_milli=v,
                        consumption_milli=used,
                        period_seconds=30 * 86400 if k else None,
                        rollover=False,
                        source="manual",
                        kind="regular",
                        read_by="",
                        note="",
                        confirmed="",
                    )
                )
        conn.execute(sa.insert(Reading.__table__), rows)
    headers = {"Authorization": f"Bearer {_reader_token(engine, cid)}"}
    engine.dispose()
    return f"/c/{cid}/rounds/building/{bid}", headers


def _reader_token(engine: object, compound_id: int) -> str:
    from sqlmodel import Session

    from compound.auth import service
    from compound.auth.models import Role

    with Session(engine) as session:
        user = service.create_user(
            session,
            username="bench-reader",
            password=secrets.token_urlsafe(24),
            role=Role.maintenance,
            compound_ids=[compound_id],
        )
        token, _row = service.create_token(session, user=user, name="bench")
        session.commit()
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    port: int,
    path: str,
    headers: dict[str, str],
    workers: int = 2,
) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = get_once(port, path, headers)
            if status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server {args[0]} exited with {proc.returncode}")
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"server {args[0]} did not answer 200 on {path}")


def get_once(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def load(port: int, path: str, *, headers: dict[str, str], requests: int, clients: int = CLIENTS) -> list[float]:
    """`requests` GETs spread over `clients` threads, each on one keep-alive connection; latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    errors: list[str] = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(n):
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            mine.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                errors.append(f"{path}: HTTP {r.status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in per_client]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(errors[0])
    return latencies


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def measure(port: int, path: str, *, headers: dict[str, str], requests: int, warmup: int) -> list[float]:
    load(port, path, headers=headers, requests=warmup)
    return load(port, path, headers=headers, requests=requests)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--requests", type=int, default=None)
    opts = parser.parse_args()
    requests = opts.requests or (160 if opts.quick else 800)
    warmup = 40 if opts.quick else 160

    tmp = Path(tempfile.mkdtemp(prefix="bench-round-sheet-"))
    try:
        url = f"sqlite:///{tmp / 'compound.kit.db'}"
        path, headers = seed(url)
        port = free_port()
        proc = start_server(
            ["compound.shell.asgi:app"],
            cwd=ROOT,
            port=port,
            path=path,
            headers=headers,
            env={
                "COMPOUND_DATABASE_URL": url,
                "COMPOUND_ENVIRONMENT": "bench",
                "COMPOUND_SECRET_KEY": secrets.token_hex(32),
            },
        )
        try:
            ours = measure(port, path, headers=headers, requests=requests, warmup=warmup)
        finally:
            stop(proc)

        floor_dir = tmp / "floor"
        floor_dir.mkdir()
        shutil.copy(FLOOR, floor_dir / "floor_web.py")
        floor_env = {"FLOOR_DB": str(tmp / "floor_web.db")}
        subprocess.run(
            [sys.executable, "floor_web.py", "seed"], cwd=floor_dir, env={**os.environ, **floor_env}, check=True
        )
        port = free_port()
        # The same generator and the same headers (the floor ignores them).
        proc = start_server(
            ["floor_web:app"], cwd=floor_dir, env=floor_env, port=port, path="/round/0", headers=headers
        )
        try:
            floor = measure(port, "/round/0", headers=headers, requests=requests, warmup=warmup)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    p99, p50, floor_p99 = pct(ours, 99), pct(ours, 50), pct(floor, 99)
    print(f"# {requests} requests, {CLIENTS} clients, {METERS} meters; floor p50 {pct(floor, 50):.1f} ms")
    print(f"BENCH round_sheet_p99_ms {p99:.1f} ms")
    print(f"BENCH round_sheet_p50_ms {p50:.1f} ms")
    print(f"BENCH round_sheet_floor_p99_ms {floor_p99:.1f} ms")
    print(f"BENCH round_sheet_floor_ratio {p99 / floor_p99:.2f} x")


if __name__ == "__main__":
    main()
