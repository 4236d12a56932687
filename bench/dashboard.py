"""Benchmark: the managers' dashboard of a compound with 1,000 meters and 24 months, cold and from its cache.

A fresh database built by the migrations holds one compound: a water master with 10 check meters and 789 billing
meters under them, an electricity master with 200 billing meters, each read monthly on the 26th for 25 rounds
(25,000 readings); the utility's bill of each master every month; an issued bill of every account every month
(about 23,700 bills), a tenth of them official use. The timed parts, each in a new session of a new engine:

- cold: the dashboard of the last month with an empty cache (three months × two utilities of balance, charges,
  bills; the fingerprint; the cache row written and committed);
- cached: the same dashboard again (the fingerprint, one cache row read): the median of 7 visits, each in a new
  session of one engine, as the running app serves them.

    .venv/bin/python bench/dashboard.py [--quick] [--url postgresql+psycopg://...]
"""

import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = ZoneInfo("Asia/Shanghai")
MONTHS = 24
PERIOD = "2026-12"
CHECKS = 10


def _rounds() -> list[datetime]:
    return [datetime(2025 + m // 12, m % 12 + 1, 26, 8, 30, tzinfo=TZ) for m in range(MONTHS + 1)]


def _readings(cid: int, meter_id: int, rate: int, rounds: list[datetime]) -> list[dict]:
    rows, prev = [], None
    for k, at in enumerate(rounds):
        at = at + timedelta(seconds=meter_id * 7 % 3600)
        value = rate * k * 30
        rows.append({"compound_id": cid, "meter_id": meter_id, "read_at": at, "value_milli": value,
                     "consumption_milli": None if prev is None else value - prev[1],
                     "period_seconds": None if prev is None else int((at - prev[0]).total_seconds()),
                     "rollover": False, "source": "manual", "kind": "regular", "read_by": "", "note": "",
                     "confirmed": ""})  # fmt: skip
        prev = (at, value)
    return rows


def _meters(cid: int, water: int, power: int) -> list[dict]:
    base = {"compound_id": cid, "location": "", "multiplier": 1, "dials": 9, "status": "active", "hv_side": False,
            "walk_order": 0}  # fmt: skip
    rows = [{**base, "id": 1, "utility": "water", "serial": "WMAIN", "role": "utility", "parent_id": None,
             "account_id": None},
            {**base, "id": 2, "utility": "electricity", "serial": "EMAIN", "role": "utility", "parent_id": None,
             "account_id": None}]  # fmt: skip
    rows += [{**base, "id": 3 + c, "utility": "water", "serial": f"C{c:02d}", "role": "check", "parent_id": 1,
              "account_id": None} for c in range(CHECKS)]  # fmt: skip
    next_id, account = 3 + CHECKS, 1
    for i in range(water):
        rows.append({**base, "id": next_id, "utility": "water", "serial": f"W{i:04d}", "role": "billing",
                     "parent_id": 3 + i % CHECKS, "account_id": account})  # fmt: skip
        next_id, account = next_id + 1, account + 1
    for i in range(power):
        rows.append({**base, "id": next_id, "utility": "electricity", "serial": f"E{i:04d}", "role": "billing",
                     "parent_id": 2, "account_id": 1 + i})  # fmt: skip
        next_id += 1
    return rows


def build(url: str, meters: int) -> int:
    from billing.models import Bill, BillingPeriod
    from compound.kit.db import make_engine
    from compound.register.models import Account, Compound
    from compound.shell.migrate import upgrade
    from meters.models import Meter, Reading
    from reports.models import UtilityBill

    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(11)
    rounds = _rounds()
    power = meters // 5
    water = meters - power - 2 - CHECKS
    with engine.begin() as conn:
        cid = conn.execute(sa.insert(Compound.__table__).values(
            code="BENCH", name="Bench compound", timezone="Asia/Shanghai", spike_factor=3, is_demo=False
        )).inserted_primary_key[0]  # fmt: skip
        conn.execute(sa.insert(Account.__table__), [
            {"id": i + 1, "compound_id": cid, "code": f"A{i:05d}", "kind": "household" if i % 10 else "office",
             "name": f"Account {i}", "payer": "self"} for i in range(water)])  # fmt: skip
        rows = _meters(cid, water, power)
        conn.execute(sa.insert(Meter.__table__), rows)
        rates = {m["id"]: rnd.randrange(100, 900) for m in rows if m["role"] == "billing"}
        for c in range(CHECKS):
            rates[3 + c] = sum(r for m in rows if m["parent_id"] == 3 + c for r in [rates[m["id"]]]) + 40
        rates[1] = sum(rates[3 + c] for c in range(CHECKS)) + 2_000
        rates[2] = sum(rates[m["id"]] for m in rows if m["parent_id"] == 2) * 105 // 100
        batch: list[dict] = []
        for m in rows:
            batch += _readings(cid, m["id"], rates[m["id"]], rounds)
        conn.execute(sa.insert(Reading.__table__), batch)
        months = [date(2025 + k // 12, k % 12 + 1, 1) for k in range(MONTHS)]
        ubills = []
        for meter_id, price in ((1, 385), (2, 62)):
            for first in months:
                last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
                quantity = rates[meter_id] * ((last - first).days + 1)
                amount = quantity * price // 100_000 * 100
                ubills.append({"compound_id": cid, "meter_id": meter_id, "period_start_date": first,
                               "period_end_date": last, "quantity_milli": quantity, "amount_fen": amount,
                               "bill_number": "", "note": ""})  # fmt: skip
        conn.execute(sa.insert(UtilityBill.__table__), ubills)
        bills = []
        for first in months:
            pid = conn.execute(sa.insert(BillingPeriod.__table__).values(
                compound_id=cid, month=first, status="open")).inserted_primary_key[-1]  # fmt: skip
            issued = datetime(first.year, first.month, 28, 9, tzinfo=TZ)
            for m in rows:
                if m["role"] != "billing":
                    continue
                quantity = rates[m["id"]] * 30
                price = 350 if m["utility"] == "water" else 60
                bills.append({"compound_id": cid, "period_id": pid, "account_id": m["account_id"],
                              "payer_id": m["account_id"], "utility": m["utility"], "status": "issued",
                              "quantity": f"{quantity / 1000:.3f}", "amount": f"{quantity * price // 1000 / 100:.2f}",
                              "official_use": m["account_id"] % 10 == 0, "issued_at": issued,
                              "due_on": first + timedelta(days=57)})  # fmt: skip
        conn.execute(sa.insert(Bill.__table__), bills)
    engine.dispose()
    return cid


def visit(url: str, cid: int, engine: sa.Engine | None = None) -> tuple[float, bool]:
    from sqlmodel import Session

    from compound.kit.db import make_engine
    from compound.register.models import Compound
    from reports.money.dashboard import dashboard
    from reports.periods import parse_period

    own = engine is None
    t0 = time.perf_counter()
    engine = engine or make_engine(url)
    with Session(engine) as session:
        compound = session.get(Compound, cid)
        _data, cached = dashboard(session, compound=compound, period=parse_period(PERIOD))
        session.commit()
    seconds = time.perf_counter() - t0
    if own:
        engine.dispose()
    return seconds, cached


def main() -> None:
    from compound.shell.packages import contributions

    contributions()
    meters = 200 if "--quick" in sys.argv else 1_000
    url = sys.argv[sys.argv.index("--url") + 1] if "--url" in sys.argv else None
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as d:
        url = url or f"sqlite:///{d}/bench.db"
        t0 = time.perf_counter()
        cid = build(url, meters)
        print(f"built {meters} meters, {meters * (MONTHS + 1)} readings, 24 months of bills in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        cold, was_cached = visit(url, cid)
        assert not was_cached
        from compound.kit.db import make_engine

        engine, warm = make_engine(url), []
        visit(url, cid, engine)  # the app's pool has its connection
        for _ in range(7):
            seconds, was_cached = visit(url, cid, engine)
            assert was_cached
            warm.append(seconds)
        engine.dispose()
    print(f"BENCH dashboard_cold_seconds {cold:.3f} s")
    print(f"BENCH dashboard_cached_ms {statistics.median(warm) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
