"""A payer's statement for any days: the opening balance, every entry in date order, the closing balance.

The opening and closing balances are the ledger's sums (balances.py) as of the day before and the last day,
and the lines are the same entries those sums add up, so opening + lines = closing always.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.balances import HasCompound, balance
from billing.ledger.entries import AsOf, adjustment, bill, payment, period, reversal
from compound.kit import clock


@dataclass(frozen=True)
class StatementLine:
    on: date
    kind: str  # bill | adjustment | payment | reversal
    ref: str  # the bill's id, the receipt number
    description: str  # utility and month, the adjustment's reason, the method, the reversal's reason
    amount: Decimal  # + owed more, − owed less
    account_id: int | None = None  # a bill's consumer (the payer's or another's)
    balance: Decimal = Decimal(0)

    @property
    def debit(self) -> Decimal:
        return self.amount if self.amount > 0 else Decimal("0.00")

    @property
    def credit(self) -> Decimal:
        return -self.amount if self.amount < 0 else Decimal("0.00")


@dataclass(frozen=True)
class Statement:
    payer_id: int
    from_date: date
    to_date: date
    opening: Decimal
    lines: list[StatementLine]
    closing: Decimal


def _entries(session: Session, compound: HasCompound, payer_id: int, start: AsOf, end: AsOf) -> list[StatementLine]:
    tz = clock.tz_of(compound)
    lines: list[StatementLine] = []
    bills = (
        sa.select(bill.c.id, bill.c.issued_at, bill.c.utility, bill.c.amount, bill.c.account_id, period.c.month)
        .join(period, sa.and_(period.c.compound_id == bill.c.compound_id, period.c.id == bill.c.period_id))
        .where(
            bill.c.compound_id == compound.id,
            bill.c.payer_id == payer_id,
            bill.c.status == "issued",
            bill.c.issued_at >= start.until,
            bill.c.issued_at < end.until,
        )
    )
    for r in session.execute(bills):
        lines.append(
            StatementLine(
                clock.local_date(r.issued_at, tz),
                "bill",
                str(r.id),
                f"{r.utility} {r.month:%Y-%m}",
                r.amount,
                r.account_id,
            )
        )
    adjustments = sa.select(
        adjustment.c.bill_id, adjustment.c.created_at, adjustment.c.amount, adjustment.c.reason
    ).where(
        adjustment.c.compound_id == compound.id,
        adjustment.c.payer_id == payer_id,
        adjustment.c.created_at >= start.until,
        adjustment.c.created_at < end.until,
    )
    for r in session.execute(adjustments):
        lines.append(
            StatementLine(clock.local_date(r.created_at, tz), "adjustment", str(r.bill_id), r.reason, r.amount)
        )
    payments = sa.select(payment.c.receipt_no, payment.c.received_on, payment.c.amount, payment.c.method).where(
        payment.c.compound_id == compound.id,
        payment.c.payer_id == payer_id,
        payment.c.received_on > start.day,
        payment.c.received_on <= end.day,
    )
    for r in session.execute(payments):
        lines.append(StatementLine(r.received_on, "payment", r.receipt_no, r.method, -r.amount))
    reversals = (
        sa.select(payment.c.receipt_no, reversal.c.reversed_on, payment.c.amount, reversal.c.reason)
        .join(reversal, sa.and_(reversal.c.compound_id == payment.c.compound_id, reversal.c.payment_id == payment.c.id))
        .where(
            payment.c.compound_id == compound.id,
            payment.c.payer_id == payer_id,
            reversal.c.reversed_on > start.day,
            reversal.c.reversed_on <= end.day,
        )
    )
    for r in session.execute(reversals):
        lines.append(StatementLine(r.reversed_on, "reversal", r.receipt_no, r.reason, r.amount))
    order = {"bill": 0, "adjustment": 1, "payment": 2, "reversal": 3}
    return sorted(lines, key=lambda line: (line.on, order[line.kind], line.ref))


def statement(session: Session, *, compound: HasCompound, payer_id: int, from_date: date, to_date: date) -> Statement:
    """The payer's statement from the start of `from_date` to the end of `to_date` (the compound's days)."""
    day_before = from_date - timedelta(days=1)
    opening = balance(session, compound=compound, payer_id=payer_id, as_of=day_before)
    running, lines = opening, []
    for line in _entries(session, compound, payer_id, AsOf.of(compound, day_before), AsOf.of(compound, to_date)):
        running += line.amount
        lines.append(StatementLine(**{**line.__dict__, "balance": running}))
    closing = balance(session, compound=compound, payer_id=payer_id, as_of=to_date)
    return Statement(payer_id, from_date, to_date, opening, lines, closing)
