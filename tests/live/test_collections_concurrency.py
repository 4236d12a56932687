"""Collection runs while clerks post payments through a real server (SQLite or PostgreSQL): every payment is
recorded exactly once (a tenth of them retried with the same Idempotency-Key), every run succeeds, and after
the last run every case stands at the level the ledger calls for, with no action made twice."""

import random
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlmodel import Session

from billing.collections.jobs import COLLECTION_RUN
from billing.collections.models import ActionStatus, CollectionAction, CollectionCase
from billing.ledger import balances
from billing.payments.models import Payment
from compound.jobs import runner
from compound.register.models import Compound
from tests.billing.ledger_factories import make_bill
from tests.conftest import NOW
from tests.factories import make_account, make_building
from tests.live.conftest import _drop, _free_port

HOUSES, CLIENTS, POSTS, RUNS = 40, 8, 30, 4
TODAY = NOW.date()


@pytest.fixture
def shop(engine: sa.Engine) -> Iterator[tuple[str, int, list[int], list[str]]]:
    from compound.auth import service
    from compound.auth.models import Role
    from compound.shell.app import create_app
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as s:
        c = Compound(code=f"CC{uuid.uuid4().hex[:10]}", name="Collections under load")
        s.add(c)
        s.flush()
        b = make_building(s, compound=c)
        houses = [make_account(s, compound=c, building=b) for _ in range(HOUSES)]
        for a in houses:  # two bills of 100.00, due 120 and 90 days ago
            for months in (4, 3):
                due = TODAY - timedelta(days=30 * months)
                make_bill(s, compound=c, account=a, amount="100.00", month=due.replace(day=1), due_on=due,
                          issued_on=due - timedelta(days=20))
        user = make_user(s, role=Role.finance, compounds=[c], username=f"cc-{c.code.lower()}")
        tokens = [service.create_token(s, user=user, name=f"client {i}")[0] for i in range(CLIENTS)]
        s.commit()
        cid, payer_ids = c.id, [a.id for a in houses]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", cid, payer_ids, tokens
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _drop(engine, cid)


def test_collection_runs_during_payments_lose_and_double_nothing(engine, shop):
    base, cid, payer_ids, tokens = shop
    sent: dict[str, tuple[int, Decimal]] = {}
    lock = threading.Lock()
    failures: list[str] = []

    def clerk(i: int) -> None:
        rnd = random.Random(i)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60) as c:
            last: tuple[str, dict] | None = None
            for n in range(POSTS):
                if last and rnd.random() < 0.1:
                    key, body = last  # a retry of the same key and body
                else:
                    payer = rnd.choice(payer_ids)
                    key, body = f"k-{i}-{n}", {"payer_id": payer, "method": "cash", "amount": "10.00"}
                answer = c.post(f"/api/compounds/{cid}/payments", json=body, headers={"Idempotency-Key": key})
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                    continue
                with lock:
                    sent[key] = (body["payer_id"], Decimal(body["amount"]))
                last = (key, body)

    def collector() -> None:
        for _ in range(RUNS):
            for run in runner.run_now(engine, COLLECTION_RUN, as_of=TODAY, compound_ids=[cid]):
                if run.outcome != "ok":
                    failures.append(run.error or run.outcome)
            time.sleep(0.2)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(CLIENTS)]
    threads.append(threading.Thread(target=collector))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    (last,) = runner.run_now(engine, COLLECTION_RUN, as_of=TODAY, compound_ids=[cid])
    assert last.outcome == "ok"

    with Session(engine) as s:
        p = Payment.__table__.c
        recorded = s.execute(sa.select(sa.func.count()).where(p.compound_id == cid)).scalar_one()
        assert recorded == len(sent)  # every key once, retries included
        compound = s.get(Compound, cid)
        paid = {pid: sum((amt for payer, amt in sent.values() if payer == pid), Decimal(0)) for pid in payer_ids}
        owed = balances(s, compound=compound, as_of=TODAY)
        assert {pid: owed.get(pid, Decimal("0.00")) for pid in payer_ids} == {
            pid: Decimal("200.00") - paid[pid] for pid in payer_ids}
        cases = s.execute(sa.select(CollectionCase).where(CollectionCase.compound_id == cid,
                                                          CollectionCase.closed_on.is_(None))).scalars().all()
        assert {k.payer_id: k.owed_fen for k in cases} == {
            pid: int(v * 100) for pid, v in owed.items() if v > 0}  # the last run saw every payment
        acts = s.execute(sa.select(CollectionAction).where(CollectionAction.compound_id == cid)).scalars().all()
        keys = [(a.case_id, a.position) for a in acts]
        assert len(keys) == len(set(keys))
        open_by_case = [a.case_id for a in acts if a.status == ActionStatus.open]
        assert len(open_by_case) == len(set(open_by_case)) == len(cases)
