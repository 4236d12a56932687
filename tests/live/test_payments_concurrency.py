"""Eight clients post two thousand payments at once through a real server, a tenth of them retries of a key
another client sent a moment before: every payment is recorded exactly once, every retry gets the first answer,
the receipt numbers run without a gap and every payer's balance is what was billed less what was paid.
On SQLite, or on PostgreSQL with COMPOUND_TEST_DATABASE_URL.
"""

import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger import balances
from billing.payments.models import Payment
from tests.live.conftest import _drop, _free_port

CLIENTS = 8
PAYMENTS = 2_000
PAYERS = 40


@pytest.fixture(scope="module")
def shop(engine):
    import uvicorn

    from compound.auth import service
    from compound.auth.models import Role
    from compound.register.models import Compound
    from compound.shell.app import create_app
    from tests.billing.ledger_factories import make_bill
    from tests.factories import make_account
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as s:
        c = Compound(code=f"LP{uuid.uuid4().hex[:10]}", name="Live payments")
        s.add(c)
        s.flush()
        payers = [make_account(s, compound=c) for _ in range(PAYERS)]
        for a in payers:
            for month in (8, 9, 10):
                make_bill(s, compound=c, account=a, amount="150.00", month=date(2026, month, 1))
        user = make_user(s, role=Role.finance, compounds=[c], username=f"live-{c.code.lower()}")
        tokens = [service.create_token(s, user=user, name=f"client {i}")[0] for i in range(CLIENTS)]
        s.commit()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", c, [a.id for a in payers], tokens
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _drop(engine, c.id)


def _work(payer_ids: list[int]) -> list[tuple[str, dict]]:
    """PAYMENTS posts; every tenth is the previous post again (same key, same body), so two clients race on it."""
    rnd = random.Random(9)
    items: list[tuple[str, dict]] = []
    while len(items) < PAYMENTS:
        if items and len(items) % 10 == 9:
            items.append(items[-1])
            continue
        body = {
            "payer_id": rnd.choice(payer_ids),
            "method": rnd.choice(["cash", "wechat_pay", "alipay"]),
            "amount": f"{rnd.randint(1, 20_000) / 100:.2f}",
        }
        items.append((f"live-{uuid.uuid4().hex}", body))
    return items


def test_thousands_of_payments_from_eight_clients_are_each_recorded_exactly_once(shop, engine):
    base, compound, payer_ids, tokens = shop
    work: queue.Queue = queue.Queue()
    for item in _work(payer_ids):
        work.put(item)
    answers: dict[str, list[dict]] = defaultdict(list)
    failures: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60) as http:
            while True:
                try:
                    key, body = work.get_nowait()
                except queue.Empty:
                    return
                r = http.post(f"/api/compounds/{compound.id}/payments", json=body, headers={"Idempotency-Key": key})
                with lock:
                    if r.status_code == 201:
                        answers[key].append(r.json())
                    else:
                        failures.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    assert not failures, failures[:5]
    # Every retry got the first answer; one payment per key.
    assert all(len({a["id"] for a in got}) == 1 for got in answers.values())
    p = Payment.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(p.c.id, p.c.receipt_no, p.c.payer_id, p.c.amount).where(p.c.compound_id == compound.id)
        ).all()
    assert sorted(r.id for r in rows) == sorted(got[0]["id"] for got in answers.values())
    assert len(rows) == len(answers) == PAYMENTS - PAYMENTS // 10
    assert sorted(r.receipt_no for r in rows) == [f"2026-{n:06d}" for n in range(1, len(rows) + 1)]
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for r in rows:
        paid[r.payer_id] += Decimal(r.amount)
    with Session(engine) as s:
        ledger = balances(s, compound=compound, as_of=date(2026, 11, 1))
    for payer in payer_ids:
        assert ledger[payer] == Decimal("450.00") - paid[payer]
    print(f"{len(rows)} payments, {PAYMENTS} posts in {took:.1f} s: {PAYMENTS / took:.0f} posts/s")
