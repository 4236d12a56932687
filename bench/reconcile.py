"""Benchmark: the water balance of one month over a compound of 100,000 meters, as `compound reconcile` gives it.

A fresh database built by the migrations holds one compound: a master meter, 250 check meters (one a building)
and 99,749 billing meters under them, with a year of monthly rounds (each meter read on the 26th, at its own
minute of the round) — 1.2 million readings — and a few unmetered uses. The timed part is the period balance of
one month in the middle of the year (every boundary interpolated) and its JSON, cold: a new engine, a new session.

    .venv/bin/python bench/reconcile.py [--quick] [--url postgresql+psycopg://...]
"""

import json
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = ZoneInfo("Asia/Shanghai")
CHECKS = 250
MONTHS = 12
PERIOD = "2025-06"
BATCH = 20_000


def _rounds() -> list[datetime]:
    return [datetime(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 26, 8, 30, tzinfo=TZ) for m in range(1, MONTHS + 2)]


def _meter_rows(cid: int, n: int) -> list[dict]:
    base = {"compound_id": cid, "utility": "water", "location": "", "multiplier": 1, "dials": 9, "status": "active",
            "hv_side": False}  # fmt: skip
    rows = [
        {**base, "id": 1, "serial": "MAIN", "role": "utility", "walk_order": 0, "parent_id": None, "account_id": None}
    ]
    for c in range(CHECKS):
        rows.append(
            {
                **base,
                "id": 2 + c,
                "serial": f"C{c:04d}",
                "role": "check",
                "walk_order": 0,
                "parent_id": 1,
                "account_id": None,
            }
        )
    for i in range(n - CHECKS - 1):
        mid = 2 + CHECKS + i
        rows.append({**base, "id": mid, "serial": f"M{i:07d}", "role": "billing", "walk_order": i,
                     "parent_id": 2 + i % CHECKS, "account_id": i + 1})  # fmt: skip
    return rows


def _readings(cid: int, meter_id: int, rate: int, minute: int, rounds: list[datetime]) -> list[dict]:
    rows, prev = [], None
    for k, r in enumerate(rounds):
        at = r + timedelta(seconds=minute)
        value = rate * k * 30
        rows.append({"compound_id": cid, "meter_id": meter_id, "read_at": at, "value_milli": value,
                     "consumption_milli": None if prev is None else value - prev[1],
                     "period_seconds": None if prev is None else int((at - prev[0]).total_seconds()),
                     "rollover": False, "source": "manual", "kind": "regular", "read_by": "", "note": "",
                     "confirmed": ""})  # fmt: skip
        prev = (at, value)
    return rows


def build(url: str, n: int) -> int:
    from compound.kit.db import make_engine
    from compound.register.models import Account, Compound
    from compound.shell.migrate import upgrade
    from meters.models import Meter, Reading, UnmeteredUse

    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(10)
    rounds = _rounds()
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__).values(
                code="BENCH", name="Bench compound", timezone="Asia/Shanghai", spike_factor=3, is_demo=False
            )
        ).inserted_primary_key[0]
        meters = _meter_rows(cid, n)
        conn.execute(
            sa.insert(Account.__table__),
            [
                {
                    "id": i + 1,
                    "compound_id": cid,
                    "code": f"A{i:07d}",
                    "kind": "household",
                    "name": f"Household {i}",
                    "payer": "self",
                }
                for i in range(n - CHECKS - 1)
            ],  # fmt: skip
        )
        conn.execute(sa.insert(Meter.__table__), meters)
        rates = {m["id"]: rnd.randrange(100, 900) for m in meters if m["role"] == "billing"}
        checks: dict[int, int] = {}
        for m in meters:
            if m["role"] == "billing":
                checks[m["parent_id"]] = checks.get(m["parent_id"], 0) + rates[m["id"]]
        rates.update({cid_: total + 50 for cid_, total in checks.items()})
        rates[1] = sum(checks.values()) + 50 * CHECKS + 30 * n  # a leak of 3 % or so
        batch: list[dict] = []
        for m in meters:
            batch += _readings(cid, m["id"], rates[m["id"]], (m["id"] * 7) % 7200, rounds)
            if len(batch) >= BATCH:
                conn.execute(sa.insert(Reading.__table__), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(Reading.__table__), batch)
        conn.execute(
            sa.insert(UnmeteredUse.__table__),
            [
                {
                    "compound_id": cid,
                    "utility": "water",
                    "name": f"Lawn {i}",
                    "category": "landscaping",
                    "parent_meter_id": 1,
                    "rule": "fixed",
                    "fixed_per_month": 100,
                }
                for i in range(5)
            ],  # fmt: skip
        )
    engine.dispose()
    return cid


def timed(url: str, cid: int) -> tuple[float, dict]:
    from sqlmodel import Session

    from compound.kit.db import make_engine
    from compound.register.models import Compound
    from meters.models import Utility
    from reports.balance.output import reconcile_json
    from reports.balance.service import period_balance
    from reports.periods import parse_period

    engine = make_engine(url)
    t0, c0 = time.perf_counter(), time.process_time()
    with Session(engine) as session:
        compound = session.get(Compound, cid)
        balance = period_balance(session, compound=compound, utility=Utility.water, period=parse_period(PERIOD))
        out = reconcile_json(balance)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    engine.dispose()
    return seconds, cpu, out


def main() -> None:
    from compound.shell.packages import contributions

    contributions()
    n = 10_000 if "--quick" in sys.argv else 100_000
    url = sys.argv[sys.argv.index("--url") + 1] if "--url" in sys.argv else None
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as d:
        url = url or f"sqlite:///{d}/bench.db"
        t0 = time.perf_counter()
        cid = build(url, n)
        print(f"built {n} meters, {n * (MONTHS + 1)} readings in {time.perf_counter() - t0:.1f} s")
        seconds, cpu, out = timed(url, cid)
    print(json.dumps({k: out[k] for k in ("period", "system_input", "billed_metered", "real_losses")}))
    print(f"zones: {len(out['zones'])}")
    label = "100k" if n == 100_000 else f"{n // 1000}k"
    print(f"BENCH reconcile_{label}_meters_seconds {seconds:.3f} s")
    # SQLite runs in this process: its CPU time says what the machine's other load does not.
    print(f"BENCH reconcile_{label}_meters_cpu_seconds {cpu:.3f} s")


if __name__ == "__main__":
    main()
