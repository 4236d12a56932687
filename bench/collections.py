"""Benchmark: collections and the ledger over 100,000 accounts (SQLite unless --url).

`build_ledger` makes a compound of N households with six months of issued bills and realistic payments (half pay
everything, three in ten are one to three months behind, two in ten pay nothing for months, a few pay part).
`collection_run_bench` times the collection run on it (billing/collections/run.py) and its commit: the first run,
which opens every case and makes every action, then the next day's, which finds everything made already.
The ageing report and payments per second (billing/payments) have their own functions beside it.

    .venv/bin/python bench/collections.py [--quick] [--url postgresql+psycopg://...]
"""

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, time as dtime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

AS_OF = date(2026, 11, 20)
MONTHS = [date(2026, m, 1) for m in range(5, 11)]  # May to October, each due the 28th of the month after
BATCH = 20_000


def _due(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 28)


def build_ledger(url: str, n: int, *, seed: int = 7) -> int:
    """A fresh schema with one compound of `n` households, their bills and payments; the compound's id."""
    import compound.shell.models  # noqa: F401  (every table)
    from billing.models import Bill, BillingPeriod, CustomerClass
    from billing.payments.models import Payment
    from billing.setup import ensure_setup
    from compound.register.models import Account, Building, Compound, Zone
    from compound.shell.migrate import upgrade

    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(url)
    rnd = random.Random(seed)
    with Session(engine) as s:
        c = Compound(code="BENCH", name="Bench compound")
        s.add(c)
        s.flush()
        z = Zone(compound_id=c.id, name="Living", kind="living")
        s.add(z)
        s.flush()
        buildings = []
        for i in range(max(1, n // 100)):
            b = Building(compound_id=c.id, zone_id=z.id, name=f"B{i:04d}")
            s.add(b)
            buildings.append(b)
        s.flush()
        cid, bids = c.id, [b.id for b in buildings]
        _insert(s, Account.__table__, ({"compound_id": cid, "code": f"H{i:07d}", "kind": "household",
                                         "name": f"Household {i}", "building_id": bids[i % len(bids)],
                                         "payer": "self"} for i in range(n)))
        ensure_setup(s, compound_id=cid)  # classes and billing accounts, set-based
        periods = []
        for m in MONTHS:
            p = BillingPeriod(compound_id=cid, month=m, status="open")
            s.add(p)
            periods.append(p)
        s.flush()
        household = s.execute(sa.select(CustomerClass.id).where(CustomerClass.compound_id == cid,
                                                                CustomerClass.code == "household")).scalar_one()
        a = Account.__table__.c
        ids = list(s.execute(sa.select(a.id).where(a.compound_id == cid, a.kind == "household").order_by(a.id))
                   .scalars())
        bills, payments = [], []
        for k, account_id in enumerate(ids):
            amounts = [Decimal(rnd.randint(3_000, 30_000)) / 100 for _ in MONTHS]
            for p, amount in zip(periods, amounts, strict=True):
                issued = datetime.combine(p.month.replace(day=28), dtime(2), UTC)
                bills.append({"compound_id": cid, "period_id": p.id, "account_id": account_id, "payer_id": account_id,
                              "utility": "water", "status": "issued", "class_id": household, "quantity": 0,
                              "amount": amount, "official_use": False, "issued_at": issued,
                              "due_on": _due(p.month)})
            habit = rnd.random()
            paid_months = 6 if habit < 0.5 else rnd.randint(3, 5) if habit < 0.8 else rnd.randint(0, 4)
            paid = sum(amounts[:paid_months], Decimal(0))
            if habit > 0.95:
                paid += amounts[paid_months % 6] / 2 if paid_months < 6 else 0
            if paid > 0:
                payments.append({"compound_id": cid, "payer_id": account_id, "method": "cash", "amount": paid,
                                 "received_on": AS_OF - timedelta(days=rnd.randint(1, 40)),
                                 "receipt_no": f"B{k:08d}", "reference": "", "note": "", "source": "demo",
                                 "recorded_by": "bench"})
        _insert(s, Bill.__table__, iter(bills))
        _insert(s, Payment.__table__, iter(payments))
        s.commit()
    engine.dispose()
    return cid


def _insert(session: Session, table: sa.Table, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            session.execute(sa.insert(table), batch)
            batch = []
    if batch:
        session.execute(sa.insert(table), batch)


def collection_run_bench(url: str, cid: int, n: int) -> dict[str, float]:
    """The collection run over the compound, timed with its commit: the first day's, then the next day's."""
    from billing.collections.run import run_collections
    from compound.kit.db import make_engine, writer
    from compound.register.models import Compound

    engine = make_engine(url)
    figures = {}
    for label, day in (("collection_run", AS_OF), ("collection_rerun", AS_OF + timedelta(days=1))):
        with Session(writer(engine)) as s:
            compound = s.get(Compound, cid)
            start, cpu = time.perf_counter(), time.process_time()
            counts = run_collections(s, compound=compound, as_of=day)
            s.commit()
            figures[label] = time.perf_counter() - start
            # SQLite runs in this process: its CPU time is what an idle machine's wall time would be.
            figures[f"{label}_cpu"] = time.process_time() - cpu
        print(f"# {label} {day}: {counts.as_dict()}", file=sys.stderr)
    engine.dispose()
    size = "100k" if n == 100_000 else f"{n // 1000}k"
    for label, seconds in figures.items():
        name = label.removesuffix("_cpu")
        print(f"BENCH {name}_{size}_{'cpu_seconds' if label.endswith('_cpu') else 'seconds'} {seconds:.2f} s")
    return figures


def main() -> None:
    n = 10_000 if "--quick" in sys.argv else 100_000
    url = sys.argv[sys.argv.index("--url") + 1] if "--url" in sys.argv else None
    tmp = tempfile.mkdtemp(prefix="bench-collections-")
    url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    start = time.perf_counter()
    cid = build_ledger(url, n)
    print(f"# built {n} households, {n * len(MONTHS)} bills in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    collection_run_bench(url, cid, n)


if __name__ == "__main__":
    main()
