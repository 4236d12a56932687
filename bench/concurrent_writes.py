"""Benchmark: 20 clients posting readings at once through a running server, with readers beside them.

Builds a fresh database (migrations): one compound, meters enough for every round, one maintenance user
with an API token per client. Serves `compound.shell.asgi:app` with uvicorn (2 workers), then for each round
20 clients post at the same instant (a barrier), each on its own keep-alive connection and token:

- distinct: each client to a meter of its own (all 20 must be saved);
- identical: all 20 the same value to one meter (exactly one is saved, 19 refused as `duplicate`);
- different: 20 different values, 20 different times, to one meter (whichever lands first is saved;
  each later one is saved or refused with its code, and the saved ones form a consistent chain).

Meanwhile a few readers GET a meter's readings and /healthz in a loop. Every write must answer 201, 409
or 422, never a 500 nor a timeout; afterwards every 201 must be in the database. An error is any other
answer, a transport error, a 201 missing from the database, an identical round that saved other than one,
or a chain whose consumptions do not follow from its values.

    python bench/concurrent_writes.py [--quick] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/wt_x]

With --postgres the server runs on a temporary database created beside the one named (and dropped
afterwards); the named one is not touched. Prints `BENCH concurrent_writes_errors` (target 0),
`BENCH concurrent_writes_p99_ms`, `BENCH concurrent_reads_p99_ms` (GETs while the writers write) beside
`BENCH concurrent_reads_alone_p99_ms` (the same GETs before they start), and `BENCH concurrent_reads_errors`.
"""

import argparse
import http.client
import json
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from round_sheet import ROOT, free_port, pct, start_server, stop

CLIENTS = 20
READERS = 4
READ_PAUSE = 0.02  # seconds between one reader's requests: clerks browsing, not a flood that starves the writers
KINDS = ("distinct", "identical", "different")
READ_AT = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # in the past, so no reading is "in the future"


@dataclass
class World:
    compound_id: int
    meters: list[int]  # per round: one meter per client, then the identical round's, then the different round's
    writer_tokens: list[str]
    reader_tokens: list[str]

    @property
    def clients(self) -> int:
        return len(self.writer_tokens)

    def round_meters(self, r: int) -> list[int]:
        per = self.clients + 2
        return self.meters[r * per : (r + 1) * per]


@dataclass
class Post:
    kind: str
    round: int
    meter_id: int
    value: int
    read_at: datetime
    status: int = 0
    codes: tuple[str, ...] = ()
    reading_id: int | None = None
    ms: float = 0.0
    failure: str = ""


@dataclass
class Reads:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    writers_s: float = 0.0  # how long the writers took, when they ran beside
    lock: threading.Lock = field(default_factory=threading.Lock)


def seed(url: str, *, rounds: int, clients: int, readers: int) -> World:
    """The compound, its meters (no history) and the tokens, written before the server starts."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from compound.auth import service
    from compound.auth.models import Role
    from compound.kit.db import make_engine
    from compound.register.models import Building, Compound, Zone
    from compound.shell.migrate import upgrade
    from meters.models import Meter

    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        cid = conn.execute(
            sa.insert(Compound.__table__)
            .values(code="BENCH", name="Bench compound", timezone="Asia/Shanghai", spike_factor=3, is_demo=False)
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
        count = rounds * (clients + 2)
        conn.execute(
            sa.insert(Meter.__table__),
            [
                dict(
                    compound_id=cid,
                    utility="water",
                    serial=f"W{i:05d}",
                    location=f"Block 1, flat {i}",
                    role="billing",
                    building_id=bid,
                    zone_id=zid,
                    multiplier=1,
                    dials=7,
                    walk_order=i,
                    status="active",
                    hv_side=False,
                )
                for i in range(count)
            ],
        )
        meters = list(
            conn.execute(
                sa.select(Meter.__table__.c.id)
                .where(Meter.__table__.c.compound_id == cid)
                .order_by(Meter.__table__.c.id)
            ).scalars()
        )
    with Session(engine) as session:
        user = service.create_user(
            session,
            username="bench-clerk",
            password=secrets.token_urlsafe(24),
            role=Role.maintenance,
            compound_ids=[cid],
        )
        tokens = [service.create_token(session, user=user, name=f"client {i}")[0] for i in range(clients + readers)]
        session.commit()
    engine.dispose()
    return World(cid, meters, tokens[:clients], tokens[clients:])


def plan(world: World, r: int, kind: str) -> list[Post]:
    """What each of the clients posts in round r of this kind."""
    ms, n = world.round_meters(r), world.clients
    at = READ_AT + timedelta(days=r)
    if kind == "distinct":
        return [Post(kind, r, ms[i], 1000 + i, at) for i in range(n)]
    if kind == "identical":
        return [Post(kind, r, ms[n], 5000, at) for _ in range(n)]
    return [Post(kind, r, ms[n + 1], 7000 + 10 * i, at + timedelta(minutes=i)) for i in range(n)]


def send(conn: http.client.HTTPConnection, world: World, token: str, post: Post) -> None:
    body = json.dumps({"value": str(post.value), "read_at": post.read_at.isoformat()})
    path = f"/api/compounds/{world.compound_id}/meters/{post.meter_id}/readings"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    t = time.perf_counter()
    try:
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
    except OSError as exc:  # a timeout or a dropped connection is an error, and the connection is redone
        post.ms = (time.perf_counter() - t) * 1000
        post.failure = f"{type(exc).__name__}: {exc}"
        conn.close()
        return
    post.ms = (time.perf_counter() - t) * 1000
    post.status = r.status
    try:
        payload = json.loads(data)
    except ValueError:
        payload = {}
    if r.status == 201:
        post.reading_id = payload.get("id")
    else:
        post.codes = tuple(p.get("code", "") for p in payload.get("problems", ()))
        if r.status not in (409, 422):
            post.failure = f"HTTP {r.status} {data[:200]!r}"
    if r.status >= 500:  # uvicorn drops the connection after a 500: the next request needs a new one
        conn.close()


def write(port: int, world: World, *, rounds: int) -> list[Post]:
    """Every round of every kind: one thread per client, released together by a barrier."""
    plans = [plan(world, r, kind) for r in range(rounds) for kind in KINDS]
    barrier = threading.Barrier(world.clients)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for posts in plans:
            barrier.wait()
            send(conn, world, world.writer_tokens[i], posts[i])
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(world.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [p for posts in plans for p in posts]


@contextmanager
def readers(port: int, world: World) -> Iterator[Reads]:
    """The readers reading while the writers write; stopped when the block ends."""
    reads, done = Reads(), threading.Event()
    paths = [f"/api/compounds/{world.compound_id}/meters/{world.meters[world.clients]}/readings", "/healthz"]

    def reader(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Bearer {world.reader_tokens[i]}"}
        n = 0
        while not done.is_set():
            path = paths[n % len(paths)]
            n += 1
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                failure = "" if r.status == 200 else f"{path}: HTTP {r.status}"
                if r.status >= 500:
                    conn.close()
            except OSError as exc:
                failure = f"{path}: {type(exc).__name__}"
                conn.close()
            with reads.lock:
                reads.latencies.append((time.perf_counter() - t) * 1000)
                if failure:
                    reads.failures.append(failure)
            done.wait(READ_PAUSE)
        conn.close()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(len(world.reader_tokens))]
    for t in threads:
        t.start()
    try:
        yield reads
    finally:
        done.set()
        for t in threads:
            t.join()


def check(url: str, posts: list[Post]) -> list[str]:
    """Every way the answers and the database disagree with "saved or refused with its code"."""
    import sqlalchemy as sa

    from compound.kit.db import make_engine
    from meters.models import Reading

    problems = [f"{p.kind}: {p.failure}" for p in posts if p.failure]
    engine = make_engine(url)
    r = Reading.__table__.c
    with engine.connect() as conn:
        stored = {
            row.id: row
            for row in conn.execute(sa.select(r.id, r.meter_id, r.value_milli, r.consumption_milli, r.read_at))
        }
    engine.dispose()
    for p in posts:
        row = stored.get(p.reading_id) if p.status == 201 else None
        if p.status == 201 and (row is None or row.meter_id != p.meter_id or row.value_milli != p.value * 1000):
            problems.append(f"{p.kind}: answered 201 (reading {p.reading_id}) but not in the database")
    by_round: dict[tuple[str, int], list[Post]] = {}
    for p in posts:
        by_round.setdefault((p.kind, p.round), []).append(p)
    for (kind, rnd), group in by_round.items():
        saved = [p for p in group if p.status == 201]
        if kind == "identical" and len(saved) != 1:
            problems.append(f"identical round {rnd}: {len(saved)} saved, not 1")
        if kind == "distinct" and len(saved) != len(group):
            problems.append(f"distinct round {rnd}: {len(group) - len(saved)} of {len(group)} not saved")
        if kind == "different":
            problems += _chain_problems(rnd, [stored[p.reading_id] for p in saved if p.reading_id in stored])
        if kind == "different" and (meter := group[0].meter_id) and len(saved) != _count(stored, meter):
            problems.append(f"different round {rnd}: {_count(stored, meter)} stored, {len(saved)} answered 201")
    return problems


def _count(stored: dict, meter_id: int) -> int:
    return sum(1 for row in stored.values() if row.meter_id == meter_id)


def _chain_problems(rnd: int, rows: list) -> list[str]:
    """Saved readings of one meter, in time order: rising values, each consumption from the one before."""
    rows = sorted(rows, key=lambda row: row.read_at)
    out = []
    for before, after in zip(rows, rows[1:], strict=False):
        if after.value_milli <= before.value_milli or after.consumption_milli != after.value_milli - before.value_milli:
            out.append(f"different round {rnd}: reading {after.id} does not follow from {before.id}")
    if rows and rows[0].consumption_milli is not None:
        out.append(f"different round {rnd}: the first reading {rows[0].id} has a consumption")
    return out


@contextmanager
def database(postgres: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database: a SQLite file in a temporary folder, or a temporary PostgreSQL database."""
    if not postgres:
        tmp = Path(tempfile.mkdtemp(prefix="bench-concurrent-"))
        try:
            yield "sqlite", f"sqlite:///{tmp / 'compound.kit.db'}"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    base = make_url(postgres)
    name = f"{base.database}_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield "postgresql", base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(
    url: str, *, rounds: int, workers: int, clients: int, readers_: int, alone: float
) -> tuple[list[Post], Reads, Reads]:
    """The readers alone for `alone` seconds, then beside the writers."""
    world = seed(url, rounds=rounds, clients=clients, readers=readers_)
    port = free_port()
    health = {"Authorization": f"Bearer {world.reader_tokens[0]}"}
    proc = start_server(
        ["compound.shell.asgi:app"],
        cwd=ROOT,
        port=port,
        path=f"/api/compounds/{world.compound_id}/meters/{world.meters[0]}",
        headers=health,
        env={
            "COMPOUND_DATABASE_URL": url,
            "COMPOUND_ENVIRONMENT": "bench",
            "COMPOUND_SECRET_KEY": secrets.token_hex(32),
        },
        workers=workers,
    )
    try:
        with readers(port, world):  # warming every worker up (first requests load templates, caches): not counted
            time.sleep(1.0)
        with readers(port, world) as quiet:
            time.sleep(alone)
        with readers(port, world) as reads:
            t0 = time.perf_counter()
            posts = write(port, world, rounds=rounds)
            reads.writers_s = time.perf_counter() - t0
    finally:
        stop(proc)
    return posts, quiet, reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of each kind (default 10, quick 2)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="writers posting at once")
    parser.add_argument("--readers", type=int, default=READERS, help="readers beside them")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a temporary database beside URL's)")
    opts = parser.parse_args()
    rounds = opts.rounds or (2 if opts.quick else 10)

    with database(opts.postgres) as (name, url):
        posts, quiet, reads = run(
            url,
            rounds=rounds,
            workers=opts.workers,
            clients=opts.clients,
            readers_=opts.readers,
            alone=2.0 if opts.quick else 5.0,
        )
        problems = check(url, posts)
    statuses = Counter(p.status or "transport" for p in posts)
    codes = Counter(c for p in posts for c in p.codes)
    shape = f"{rounds} rounds x {len(KINDS)} kinds x {opts.clients} clients, {opts.workers} workers"
    print(f"# {name}: {shape}; the writes took {reads.writers_s:.1f} s")
    print(f"# answers {dict(sorted(statuses.items(), key=str))}; refusal codes {dict(codes)}")
    print(f"# {len(reads.latencies)} reads by {opts.readers} readers, p50 {pct(reads.latencies, 50):.1f} ms")
    for line in sorted(set(problems))[:10] + sorted(set(reads.failures))[:5]:
        print(f"# ! {line}")
    print(f"BENCH concurrent_writes_errors {len(problems)} count")
    print(f"BENCH concurrent_writes_p99_ms {pct([p.ms for p in posts], 99):.1f} ms")
    print(f"BENCH concurrent_writes_p50_ms {pct([p.ms for p in posts], 50):.1f} ms")
    print(f"BENCH concurrent_reads_p99_ms {pct(reads.latencies, 99):.1f} ms")
    print(f"BENCH concurrent_reads_alone_p99_ms {pct(quiet.latencies, 99):.1f} ms")
    print(f"BENCH concurrent_reads_errors {len(reads.failures) + len(quiet.failures)} count")
    sys.exit(0)


if __name__ == "__main__":
    main()
