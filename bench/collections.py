"""Benchmarks of the money side: the arrears ageing over 100,000 accounts, and payments posted through the API by
8 clients. The collections engineer adds the collection run over the same compound: one more entry in MEASURES.

A fresh SQLite database built by the migrations holds one compound of 100,000 household accounts in 400 buildings
and 4 zones, with 12 months of issued water bills (1.2 million bills) and, for three households in four, payments
that paid part of them (allocated oldest first, as the service does). Built set-based in SQL, not timed.

- `ageing_100k_seconds`: the ageing table by account as of the last month, cold (a new engine and session):
  every open item of every payer after its credit, bucketed and summed. Target ≤ 1 s on this machine.
- `collection_run_100k_seconds`: the collection run (billing/collections/run.py) over the same compound, with
  its commit: the first, which opens every case and makes every action, then the next day's, which finds them
  all made (`collection_rerun_100k_seconds`). Target ≤ 5 s. CPU seconds beside each: SQLite runs in this process,
  so on a machine that others share they say what an idle machine's wall time would be.
- `payments_per_second`: a uvicorn server (2 workers) on its own database; 8 clients post payments with an
  Idempotency-Key each, as fast as the server answers.

    .venv/bin/python bench/collections.py [--quick] [--only ageing|collections|payments]
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ACCOUNTS, MONTHS, BUILDINGS = 100_000, 12, 400
POSTS, CLIENTS = 2_000, 8
QUICK = "--quick" in sys.argv
if QUICK:
    ACCOUNTS, POSTS = 5_000, 400
AS_OF = date(2026, 12, 31)


def fresh_database(folder: str, name: str) -> str:
    url = f"sqlite:///{folder}/{name}.db"
    os.environ["COMPOUND_DATABASE_URL"] = url
    from compound.shell.migrate import upgrade

    upgrade(url)
    return url


def seed_ledger(url: str, accounts: int) -> int:
    """One compound, its accounts, a year of issued bills, payments and their allocations: a few INSERT … SELECT."""
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO compound (code, name, timezone, spike_factor, is_demo) "
            "VALUES ('BENCH', 'Bench', 'Asia/Shanghai', 3, 0)"
        )
        cid = c.exec_driver_sql("SELECT id FROM compound WHERE code = 'BENCH'").scalar_one()
        n = {"c": cid, "a": accounts, "b": BUILDINGS}
        run = lambda sql: c.execute(sa.text(sql), n)  # noqa: E731
        run(
            "INSERT INTO zone (compound_id, name, kind) VALUES (:c,'Z1','living'),(:c,'Z2','living'),"
            "(:c,'Z3','office'),(:c,'Z4','public')"
        )
        run(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < :b) "
            "INSERT INTO building (compound_id, zone_id, name) SELECT :c, (SELECT min(id) FROM zone) + i % 4, "
            "'B' || i FROM k"
        )
        run("INSERT INTO customer_class (compound_id, code, name) VALUES (:c, 'household', 'Household')")
        run(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < :a) "
            "INSERT INTO account (compound_id, code, kind, name, building_id, payer) SELECT :c, 'H' || i, "
            "'household', 'H' || i, (SELECT min(id) FROM building) + i % :b, 'self' FROM k"
        )
        run(
            "WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < 12) "
            "INSERT INTO billing_period (compound_id, month, status) "
            "SELECT :c, printf('2026-%02d-01', i), 'open' FROM m"
        )
        run(
            "INSERT INTO bill (compound_id, period_id, account_id, payer_id, utility, status, class_id, quantity, "
            "amount, official_use, issued_at, due_on) SELECT :c, p.id, a.id, a.id, 'water', 'issued', "
            "(SELECT id FROM customer_class), 10, 20 + (a.id * 7 + p.id * 13) % 5000 / 100.0, 0, "
            "substr(p.month, 1, 8) || '28 02:00:00', date(p.month, '+1 month', '-1 day') "
            "FROM account a CROSS JOIN billing_period p WHERE a.compound_id = :c"
        )
        # Three in four households paid: the monthly payers all but the last two months, the others less.
        run(
            "INSERT INTO payment (compound_id, payer_id, method, amount, received_on, receipt_no, reference, note, "
            "source, recorded_by) SELECT :c, a.id, 'cash', s.total * (CASE a.id % 4 WHEN 1 THEN 0.9 "
            "WHEN 2 THEN 0.5 ELSE 0.2 END), '2026-11-15', 'B-' || a.id, '', '', 'demo', 'bench' FROM account a "
            "JOIN (SELECT account_id, SUM(CAST(ROUND(amount * 100) AS INTEGER)) / 100.0 AS total FROM bill "
            "GROUP BY account_id) s ON s.account_id = a.id WHERE a.id % 4 <> 0"
        )
        run("UPDATE payment SET amount = ROUND(amount, 2)")
    engine.dispose()
    from sqlmodel import Session

    from billing.payments.allocation import apply_credit
    from compound.register.models import Compound

    with Session(sa.create_engine(url)) as s:
        apply_credit(s, compound=s.get(Compound, cid), on=AS_OF)
        s.commit()
    return cid


def bench_ageing() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(folder, "ageing")
        t0 = time.perf_counter()
        cid = seed_ledger(url, ACCOUNTS)
        print(
            f"# seeded {ACCOUNTS:,} accounts, {ACCOUNTS * MONTHS:,} bills in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
        from sqlmodel import Session

        from billing.ledger import AgeBy, ageing
        from compound.register.models import Compound

        timings = {}
        for by in (AgeBy.account, AgeBy.zone):
            engine = sa.create_engine(url)
            with Session(engine) as s:
                compound = s.get(Compound, cid)
                t0, c0 = time.perf_counter(), time.process_time()
                rows = ageing(s, compound=compound, as_of=AS_OF, by=by)
                timings[by] = (time.perf_counter() - t0, time.process_time() - c0, len(rows))
            engine.dispose()
        wall, cpu, n = timings[AgeBy.account]
        print(f"# ageing by account: {n:,} rows; by zone {timings[AgeBy.zone][0]:.2f} s", file=sys.stderr)
        label = "ageing_100k_seconds" if not QUICK else "ageing_quick_seconds"
        print(f"BENCH {label} {wall:.2f} s")
        print(f"BENCH {label.replace('seconds', 'cpu_seconds')} {cpu:.2f} s")


def _server(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "COMPOUND_DATABASE_URL": url, "COMPOUND_ENVIRONMENT": "development"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "compound.shell.asgi:app",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )


def bench_payments() -> None:
    import httpx
    from sqlmodel import Session

    from compound.auth import service
    from compound.auth.models import Role, User, UserCompound
    from compound.auth.passwords import hash_password

    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(folder, "payments")
        cid = seed_ledger(url, 2_000)
        with Session(sa.create_engine(url)) as s:
            user = User(
                username="bench-finance", display_name="Bench", password_hash=hash_password("x" * 16), role=Role.finance
            )
            s.add(user)
            s.flush()
            s.add(UserCompound(user_id=user.id, compound_id=cid))
            tokens = [service.create_token(s, user=user, name=f"c{i}")[0] for i in range(CLIENTS)]
            s.commit()
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = _server(url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            errors: list[int] = []

            def client(i: int) -> None:
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60) as h:
                    for k in range(POSTS // CLIENTS):
                        body = {"payer_id": 1 + (i * 997 + k * 31) % 2_000, "method": "cash", "amount": "12.34"}
                        r = h.post(
                            f"/api/compounds/{cid}/payments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                        )
                        if r.status_code != 201:
                            errors.append(r.status_code)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=20)
        if errors:
            print(f"# {len(errors)} posts failed: {sorted(set(errors))}", file=sys.stderr)
        print(f"BENCH payments_per_second {(POSTS - len(errors)) / took:.0f} payments/s")


def bench_collection_run() -> None:
    """The collection run over the ageing's compound, timed with its commit, on a fresh engine each day."""
    from datetime import timedelta

    from sqlmodel import Session

    from billing.collections.run import run_collections
    from compound.kit.db import make_engine, writer
    from compound.register.models import Compound

    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(folder, "collections")
        cid = seed_ledger(url, ACCOUNTS)
        size = "100k" if not QUICK else "quick"
        for label, day in (("collection_run", AS_OF), ("collection_rerun", AS_OF + timedelta(days=1))):
            engine = make_engine(url)
            with Session(writer(engine)) as s:
                compound = s.get(Compound, cid)
                t0, c0 = time.perf_counter(), time.process_time()
                counts = run_collections(s, compound=compound, as_of=day)
                s.commit()
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            engine.dispose()
            print(f"# {label} {day}: {counts.as_dict()}", file=sys.stderr)
            print(f"BENCH {label}_{size}_seconds {wall:.2f} s")
            print(f"BENCH {label}_{size}_cpu_seconds {cpu:.2f} s")


# name → the function that prints its BENCH lines.
MEASURES: dict[str, Callable[[], None]] = {
    "ageing": bench_ageing,
    "collections": bench_collection_run,
    "payments": bench_payments,
}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    for name, measure in MEASURES.items():
        if only in (None, name):
            measure()


if __name__ == "__main__":
    main()
