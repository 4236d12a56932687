"""Benchmark: the monthly bill run over 100,000 accounts with a water and an electricity meter each (SQLite),
beside ../shared/bench/floor_billrun.py (a hand-written set-based SQL bill run of the same shape) in the same
process: a two-block tariff per utility and class and a fixed charge, two readings per meter.

The timed part is `run_draft` and its commit on a fresh session, once the compound's billing accounts exist (the
first use makes them once; bench/… setup time is printed apart). With --postgres URL it bills 1,000,000
accounts on PostgreSQL (the database's public schema is rebuilt) and prints the run's time and this process's
peak memory, which stays flat: every row stays in the database.

    .venv/bin/python bench/bill_run.py [--quick] [--postgres postgresql+psycopg://...]
"""

import io
import random
import re
import resource
import runpy
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = ZoneInfo("Asia/Shanghai")
# ../shared beside the checkout (/work/main), or further up from a worktree (/work/wt/NAME).
FLOOR = next(
    p / "shared" / "bench" / "floor_billrun.py"
    for p in Path(__file__).resolve().parents
    if (p / "shared" / "bench" / "floor_billrun.py").exists()
)
BATCH = 50_000
START, END = datetime(2026, 9, 30, 10, tzinfo=TZ), datetime(2026, 10, 31, 10, tzinfo=TZ)
PLAIN = {"rollover": False, "source": "manual", "kind": "regular", "read_by": "", "note": "", "confirmed": ""}
TARIFFS = [  # the floor's: (utility, class, block-1 ceiling or None, price 1, price 2, fixed yuan)
    ("water", "household", "15", "3.45", "4.83", "5.00"),
    ("water", "office", None, "5.40", None, None),
    ("electricity", "household", "200", "0.56", "0.61", None),
    ("electricity", "office", None, "0.82", None, None),
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tariff_body(utility, cls, ceiling, p1, p2, fixed) -> dict:
    blocks = [{"up_to": ceiling, "price": p1}, {"price": p2}] if ceiling else [{"price": p1}]
    body = {
        "utility": utility,
        "class": cls,
        "valid_from": "2020-01-01",
        "name": f"{utility} {cls}",
        "components": [{"code": "fee", "name": "费", "blocks": blocks}],
    }
    if fixed:
        body["fixed_charges"] = [{"code": "rent", "name": "表租", "amount": fixed}]
    return body


def _rows(cid: int, lo: int, hi: int, rnd: random.Random):
    accounts, meters, readings = [], [], []
    for i in range(lo, hi):
        accounts.append(
            {
                "id": i + 1,
                "compound_id": cid,
                "code": f"A{i:07d}",
                "kind": "household" if i % 10 else "office",
                "name": f"Account {i}",
                "payer": "self",
            }
        )
        for k, utility in enumerate(("water", "electricity")):
            mid = 2 * i + k + 1
            meters.append(
                {
                    "id": mid,
                    "compound_id": cid,
                    "utility": utility,
                    "serial": f"M{mid:08d}",
                    "location": "",
                    "role": "billing",
                    "account_id": i + 1,
                    "multiplier": 1,
                    "dials": 8,
                    "walk_order": 0,
                    "status": "active",
                    "hv_side": False,
                }
            )
            start = rnd.randrange(0, 90_000_000)
            use = rnd.randrange(0, 400_000)
            readings.append(
                {
                    "compound_id": cid,
                    "meter_id": mid,
                    "read_at": START,
                    "value_milli": start,
                    "consumption_milli": None,
                    "period_seconds": None,
                    **PLAIN,
                }
            )
            readings.append(
                {
                    "compound_id": cid,
                    "meter_id": mid,
                    "read_at": END,
                    "value_milli": start + use,
                    "consumption_milli": use,
                    "period_seconds": 31 * 86400,
                    **PLAIN,
                }
            )
    return accounts, meters, readings


def build(url: str, n: int) -> int:
    from sqlmodel import Session

    from billing.setup import ensure_setup
    from billing.tariff_schemas import TariffIn
    from billing.tariffs import save_tariff
    from compound.kit.db import make_engine
    from compound.register.models import Account, Compound
    from compound.shell.migrate import upgrade
    from meters.models import Meter, Reading

    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(1)
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__).values(
                code="BENCH", name="Bench", timezone="Asia/Shanghai", spike_factor=3, is_demo=False
            )
        ).inserted_primary_key[0]
        for lo in range(0, n, BATCH):
            accounts, meters, readings = _rows(cid, lo, min(n, lo + BATCH), rnd)
            conn.execute(sa.insert(Account.__table__), accounts)
            conn.execute(sa.insert(Meter.__table__), meters)
            conn.execute(sa.insert(Reading.__table__), readings)
    with Session(engine) as s:
        for t in TARIFFS:
            save_tariff(s, compound_id=cid, data=TariffIn.model_validate(_tariff_body(*t)))
        ensure_setup(s, compound_id=cid)
        s.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return cid


def timed(url: str, cid: int) -> tuple[float, int, str]:
    from sqlmodel import Session

    from billing.periods import parse_month
    from billing.run import run_draft
    from compound.kit.db import make_engine, writer
    from compound.register.models import Compound

    engine = writer(make_engine(url))
    t0 = time.perf_counter()
    with Session(engine) as session:
        result = run_draft(session, compound=session.get(Compound, cid), month=parse_month("2026-10"))
        session.commit()
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds, result.bills, str(result.amount)


def floor(n: int) -> float:
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [str(FLOOR), str(n)]
    try:
        with redirect_stdout(out):
            runpy.run_path(str(FLOOR), run_name="__main__")
    finally:
        sys.argv = argv
    print(out.getvalue().strip())
    return float(re.search(r"lines, ([\d.]+) s", out.getvalue()).group(1))


def main() -> None:
    from compound.shell.packages import contributions

    contributions()
    if "--postgres" in sys.argv:
        postgres(sys.argv[sys.argv.index("--postgres") + 1], 50_000 if "--quick" in sys.argv else 1_000_000)
        return
    n = 10_000 if "--quick" in sys.argv else 100_000
    label = "100k" if n == 100_000 else f"{n // 1000}k"
    with tempfile.TemporaryDirectory(prefix="bench-billrun-") as d:
        url = f"sqlite:///{d}/bench.db"
        t0 = time.perf_counter()
        cid = build(url, n)
        print(f"built {n} accounts, {2 * n} meters, {4 * n} readings in {time.perf_counter() - t0:.1f} s")
        seconds, bills, amount = timed(url, cid)
    print(f"bill run: {bills} bills, {amount} yuan, {seconds:.3f} s")
    floor_seconds = floor(n)
    print(f"BENCH bill_run_{label}_seconds {seconds:.3f} s")
    print(f"BENCH bill_run_floor_seconds {floor_seconds:.3f} s")
    print(f"BENCH bill_run_floor_ratio {seconds / floor_seconds:.2f} x")
    print(f"BENCH bill_run_peak_mb {peak_mb():.0f} MB")


def postgres(url: str, n: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    t0 = time.perf_counter()
    cid = build(url, n)
    before = peak_mb()
    print(f"built {n} accounts on PostgreSQL in {time.perf_counter() - t0:.1f} s (peak so far {before:.0f} MB)")
    seconds, bills, amount = timed(url, cid)
    label = "1m" if n == 1_000_000 else f"{n // 1000}k"
    print(f"bill run: {bills} bills, {amount} yuan, {seconds:.3f} s")
    print(f"BENCH bill_run_{label}_pg_seconds {seconds:.3f} s")
    print(f"BENCH bill_run_{label}_pg_peak_mb {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
