"""A hypothesis state machine over the money: bill runs (the real one), payments through the API with retried
Idempotency-Keys, reversals, adjustments, payroll batches and period closes. After every step, per payer:
bills + debit notes − credit notes − payments + reversals = the ledger's balance = its open items − its credit;
no allocation exceeds its payment or its bill; every payment the API said it recorded is there exactly once.
Runs on whichever database the suite runs on (SQLite, or PostgreSQL with COMPOUND_TEST_DATABASE_URL).
"""

import contextlib
from collections import defaultdict
from decimal import Decimal
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from billing.adjustments import make_adjustment
from billing.ledger import balances, open_items
from billing.ledger.entries import AsOf, payment_unallocated
from billing.models import Bill, BillAdjustment, BillStatus
from billing.payments import payroll
from billing.payments.models import Payment, PaymentAllocation, PaymentReversal
from billing.periods import parse_month
from billing.run import close_period
from compound.kit import clock
from compound.kit.errors import AppError
from compound.kit.export import csv_text
from tests.billing.helpers import BEIJING_WATER, load, read, run_and_issue
from tests.factories import make_account, make_compound, make_meter

D = Decimal
HOUSEHOLDS = 3
_keys = count(1)


def _sum(session, column, *where) -> dict[int, Decimal]:
    """Per payer, the plain Decimal sum of a money column, added up in Python (never in SQLite's REAL)."""
    out: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
    for payer, amount in session.execute(sa.select(*column).where(*where)):
        out[payer] += D(amount)
    return out


class Ledger(RuleBasedStateMachine):
    session = None
    client_as = None

    @initialize()
    def setup(self):
        s = self.session
        self.c = make_compound(s)
        self.accounts = [make_account(s, compound=self.c) for _ in range(HOUSEHOLDS)]
        self.meters = [make_meter(s, compound=self.c, account=a) for a in self.accounts]
        load(s, self.c, BEIJING_WATER)
        self.month, self.dials = 0, [0] * HOUSEHOLDS
        for m in self.meters:
            read(s, self.c, m, 0, 2025, 12, 28)
        self.client = type(self).client_as("finance", self.c)
        self.posted: dict[str, dict] = {}  # key → the body and the payment id the API answered
        self.reversed: set[int] = set()

    # --- steps ---------------------------------------------------------------------------------------------

    @precondition(lambda self: self.month < 10)
    @rule(use=st.lists(st.integers(0, 40), min_size=HOUSEHOLDS, max_size=HOUSEHOLDS))
    def bill_run(self, use):
        self.month += 1
        for i, m in enumerate(self.meters):
            self.dials[i] += use[i]
            read(self.session, self.c, m, self.dials[i], 2026, self.month, 28, confirm=["spike"])
        run_and_issue(self.session, self.c, f"2026-{self.month:02d}")

    @rule(
        who=st.integers(0, HOUSEHOLDS - 1),
        fen=st.integers(1, 30_000),
        pick=st.booleans(),
        method=st.sampled_from(["cash", "wechat_pay", "bank_transfer"]),
    )
    def pay(self, who, fen, pick, method):
        body = {"payer_id": self.accounts[who].id, "method": method, "amount": str(D(fen) / 100)}
        if pick:
            bills = self._issued_bills(self.accounts[who].id)
            body["bill_ids"] = bills[-1:]
        key = f"m-{next(_keys)}"
        r = self.client.post(f"/api/compounds/{self.c.id}/payments", json=body, headers={"Idempotency-Key": key})
        assert r.status_code == 201, r.text
        self.posted[key] = {"body": body, "id": r.json()["id"], "answer": r.json()}

    @precondition(lambda self: self.posted)
    @rule(data=st.data(), change=st.booleans())
    def retry(self, data, change):
        key = data.draw(st.sampled_from(sorted(self.posted)))
        first = self.posted[key]
        body = {**first["body"], "amount": str(D(first["body"]["amount"]) + D("0.01"))} if change else first["body"]
        r = self.client.post(f"/api/compounds/{self.c.id}/payments", json=body, headers={"Idempotency-Key": key})
        if change:
            assert r.status_code == 409, r.text
        else:
            assert r.status_code == 201 and r.json() == first["answer"], r.text

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def reverse(self, data):
        pid = data.draw(st.sampled_from(sorted(p["id"] for p in self.posted.values())))
        r = self.client.post(f"/api/compounds/{self.c.id}/payments/{pid}/reversal", json={"reason": "wrong household"})
        assert r.status_code == (409 if pid in self.reversed else 201), r.text
        self.reversed.add(pid)

    @precondition(lambda self: self.month > 0)
    @rule(data=st.data(), fen=st.integers(-5_000, 5_000).filter(bool))
    def adjust(self, data, fen):
        bills = [b for a in self.accounts for b in self._issued_bills(a.id)]
        if not bills:
            return
        with contextlib.suppress(AppError):  # every period closed: refused, nothing made
            make_adjustment(
                self.session,
                compound_id=self.c.id,
                bill_id=data.draw(st.sampled_from(bills)),
                amount=D(fen) / 100,
                reason="meter misread",
                by="test",
            )

    @precondition(lambda self: self.month > 0)
    @rule(
        who=st.integers(0, HOUSEHOLDS - 1),
        answers=st.lists(st.booleans(), min_size=HOUSEHOLDS, max_size=HOUSEHOLDS),
        twice=st.booleans(),
    )
    def payroll_batch(self, who, answers, twice):
        s = self.session
        payroll.enrol(s, compound=self.c, account_id=self.accounts[who].id, staff_no=f"E{who}")
        batch = payroll.make_batch(s, compound=self.c, month=parse_month(f"2026-{self.month:02d}"))
        rows = payroll.export_rows(s, compound=self.c, batch=batch)
        data = csv_text(
            ["行号 row", "已扣款 deducted"],
            [[r[0], "是" if answers[i % HOUSEHOLDS] else "否"] for i, r in enumerate(rows)],
        ).encode()
        for _ in range(2 if twice else 1):
            payroll.import_confirmation(s, compound=self.c, batch_id=batch.id, data=data, filename="c.csv")
        s.flush()

    @precondition(lambda self: self.month > 1)
    @rule()
    def close_oldest(self):
        with contextlib.suppress(AppError):
            close_period(self.session, compound=self.c, month=parse_month(f"2026-{self.month - 1:02d}"))

    # --- invariants ----------------------------------------------------------------------------------------

    def _issued_bills(self, payer_id):
        q = (
            sa.select(Bill.id)
            .where(Bill.compound_id == self.c.id, Bill.payer_id == payer_id, Bill.status == BillStatus.issued)
            .order_by(Bill.id)
        )
        return list(self.session.execute(q).scalars())

    @invariant()
    def the_balance_is_the_sum_of_the_entries(self):
        if not hasattr(self, "c"):
            return
        s, cid = self.session, self.c.id
        today = clock.today(self.c)
        bills = _sum(s, (Bill.payer_id, Bill.amount), Bill.compound_id == cid, Bill.status == BillStatus.issued)
        adj = _sum(s, (BillAdjustment.payer_id, BillAdjustment.amount), BillAdjustment.compound_id == cid)
        paid = _sum(s, (Payment.payer_id, Payment.amount), Payment.compound_id == cid)
        back = _sum(
            s,
            (Payment.payer_id, Payment.amount),
            Payment.compound_id == cid,
            Payment.id.in_(sa.select(PaymentReversal.payment_id).where(PaymentReversal.compound_id == cid)),
        )
        ledger = balances(s, compound=self.c, as_of=today)
        items: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
        for item in open_items(s, compound=self.c, as_of=today):
            items[item.payer_id] += item.amount
        for a in self.accounts:
            expected = bills[a.id] + adj[a.id] - paid[a.id] + back[a.id]
            assert ledger.get(a.id, D("0.00")) == expected
            # Open items hold what is owed; a payer in credit owes nothing on any bill.
            assert items[a.id] == max(expected, D("0.00"))

    @invariant()
    def allocations_never_exceed_the_payment_or_the_bill(self):
        if not hasattr(self, "c"):
            return
        s, cid = self.session, self.c.id
        pa = PaymentAllocation
        per_payment, per_bill = defaultdict(Decimal), defaultdict(Decimal)
        live = sa.select(pa.payment_id, pa.bill_id, pa.amount).where(
            pa.compound_id == cid,
            pa.payment_id.not_in(sa.select(PaymentReversal.payment_id).where(PaymentReversal.compound_id == cid)),
        )
        for payment_id, bill_id, amount in s.execute(live):
            per_payment[payment_id] += D(amount)
            per_bill[bill_id] += D(amount)
        amounts = dict(s.execute(sa.select(Payment.id, Payment.amount).where(Payment.compound_id == cid)).all())
        for pid, total in per_payment.items():
            assert total <= D(amounts[pid])
        gross: dict[int, Decimal] = {
            b: D(x) for b, x in s.execute(sa.select(Bill.id, Bill.amount).where(Bill.compound_id == cid))
        }
        for b, x in s.execute(
            sa.select(BillAdjustment.bill_id, BillAdjustment.amount).where(
                BillAdjustment.compound_id == cid, BillAdjustment.amount > 0
            )
        ):
            gross[b] += D(x)
        for bid, total in per_bill.items():
            assert total <= gross[bid]
        free = payment_unallocated(cid, AsOf.of(self.c, clock.today(self.c))).subquery()
        assert all(f >= 0 for (f,) in s.execute(sa.select(free.c.free_fen)))

    @invariant()
    def every_payment_the_api_recorded_is_there_once(self):
        if not hasattr(self, "c"):
            return
        api = (
            self.session.execute(sa.select(Payment.id).where(Payment.compound_id == self.c.id, Payment.source == "api"))
            .scalars()
            .all()
        )
        assert sorted(api) == sorted(p["id"] for p in self.posted.values())
        numbers = (
            self.session.execute(
                sa.select(Payment.receipt_no).where(Payment.compound_id == self.c.id).order_by(Payment.id)
            )
            .scalars()
            .all()
        )
        assert numbers == [f"2026-{i:06d}" for i in range(1, len(numbers) + 1)]  # gap-free, in order


def test_the_ledger_never_loses_or_invents_a_fen(session, client_as):
    # The real clock: an adjustment is dated by the database's clock (its created_at), which a frozen clock
    # a month behind would put after "today".
    clock.set_clock(None)
    Ledger.session, Ledger.client_as = session, client_as
    runner = Ledger.TestCase
    runner.settings = settings(
        max_examples=10, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
    )
    runner("runTest").runTest()
