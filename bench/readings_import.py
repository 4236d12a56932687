"""Benchmark: a 100,000-row CSV of readings imported through the service the CLI uses, beside the floor.

A fresh SQLite database built by the migrations holds one compound of n meters, each with one reading;
the file has one new reading per meter (5% lower than the last one, so refused), imported in partial mode.
../shared/bench/floor_import.py (raw sqlite3, the same checks and data) runs in the same run with the same n.

    .venv/bin/python bench/readings_import.py [--quick]
"""

import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

FLOOR = Path(os.environ.get("FLOOR_IMPORT", Path(__file__).resolve().parents[2] / "shared/bench/floor_import.py"))
NOW = datetime(2026, 11, 2, tzinfo=UTC)
PREVIOUS_AT = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)  # 2026-10-01T08:00 in Asia/Shanghai, as in the floor


def build(url: str, n: int, csv_path: Path) -> int:
    """The compound, its meters and their previous readings (bulk, untimed), and the file to import."""
    from compound.kit.db import make_engine
    from compound.register.models import Compound
    from compound.shell.migrate import upgrade
    from meters.models import Meter, Reading

    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(2)  # the floor's seed and draw order: the same values, the same 5% refused
    start = [rnd.randrange(10**6, 10**8) for _ in range(n)]
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__).values(
                code="BENCH", name="Bench compound", timezone="Asia/Shanghai", spike_factor=3, is_demo=False
            )
        ).inserted_primary_key[0]
        conn.execute(
            sa.insert(Meter.__table__),
            [
                {
                    "id": i + 1,
                    "compound_id": cid,
                    "utility": "water",
                    "serial": f"M{i:07d}",
                    "location": "",
                    "role": "billing",
                    "multiplier": 1,
                    "dials": 6,
                    "walk_order": i,
                    "status": "active",
                    "hv_side": False,
                }
                for i in range(n)
            ],
        )
        conn.execute(
            sa.insert(Reading.__table__),
            [
                {
                    "compound_id": cid,
                    "meter_id": i + 1,
                    "read_at": PREVIOUS_AT,
                    "value_milli": start[i],
                    "rollover": False,
                    "source": "manual",
                    "kind": "regular",
                    "read_by": "",
                    "note": "",
                    "confirmed": "",
                }
                for i in range(n)
            ],
        )
    engine.dispose()
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["meter_serial", "read_at", "value", "note"])
        for i in range(n):
            step = rnd.randrange(0, 40_000) if rnd.random() > 0.05 else -rnd.randrange(1, 10_000)
            w.writerow([f"M{i:07d}", "2026-11-01T08:00:00", f"{(start[i] + step) / 1000:.3f}", ""])
    return cid


def timed_import(url: str, cid: int, csv_path: Path) -> tuple[float, int, int]:
    """Seconds from reading the file to the commit, as `compound readings import FILE --partial` does it."""
    from compound.kit.db import make_engine
    from compound.kit.unit_of_work import session_scope
    from compound.register.models import Compound
    from meters.readings.importer import import_file

    engine = make_engine(url)
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        compound = session.get(Compound, cid)
        report = import_file(
            session, compound=compound, data=csv_path.read_bytes(), filename=csv_path.name, partial=True, now=NOW
        )
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds, report.saved, report.refused


def floor_seconds(n: int) -> float:
    out = subprocess.run([sys.executable, str(FLOOR), str(n)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"([0-9.]+) s\s*$", out)
    if not match:
        raise SystemExit(f"cannot read the floor's time from: {out!r}")
    print(out.strip())
    return float(match.group(1))


def main() -> None:
    n = 10_000 if "--quick" in sys.argv else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-import-") as d:
        url = f"sqlite:///{d}/bench.db"
        csv_path = Path(d) / "readings.csv"
        cid = build(url, n, csv_path)
        seconds, saved, refused = timed_import(url, cid, csv_path)
    print(f"import: {n} rows, {saved} saved, {refused} refused, {seconds:.3f} s")
    floor = floor_seconds(n)
    label = "100k" if n == 100_000 else f"{n // 1000}k"
    print(f"BENCH readings_import_{label}_seconds {seconds:.3f} s")
    print(f"BENCH readings_import_floor_seconds {floor:.3f} s")
    print(f"BENCH readings_import_floor_ratio {seconds / floor:.2f} x")


if __name__ == "__main__":
    main()
