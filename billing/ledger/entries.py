"""The ledger's entries as SQL: issued bills, adjustments, payments and reversals, each in integer fen.

Everything the ledger says is a sum of these four kinds of entry, as of a date; no balance is ever stored.
A payment is *live* as of a date when it was received by then and not reversed by then; an allocation is live
when its payment is, its bill was issued by then and it was made by then. SQLite keeps NUMERIC as REAL, so
every amount is turned into integer fen row by row (fen()) before anything is added up.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from billing.models import Bill, BillAdjustment, BillingPeriod, BillStatus
from billing.payments.models import Payment, PaymentAllocation, PaymentReversal
from compound.kit import clock
from compound.kit.clock import HasTimezone

bill = Bill.__table__
adjustment = BillAdjustment.__table__
period = BillingPeriod.__table__
payment = Payment.__table__
allocation = PaymentAllocation.__table__
reversal = PaymentReversal.__table__

CENT = Decimal("0.01")


def fen(column: sa.ColumnElement) -> sa.ColumnElement:
    """A Numeric(14, 2) amount as integer fen, exact on both databases (SQLite's REAL rounds back exactly)."""
    return sa.cast(sa.func.round(column * 100), sa.BigInteger)


def from_fen(column: sa.ColumnElement) -> sa.ColumnElement:
    """Integer fen back to yuan for a Numeric column (PostgreSQL: exact numeric; SQLite: the REAL it keeps)."""
    return column * sa.literal_column("0.01")


def yuan(fen_value: int | None) -> Decimal:
    return (Decimal(int(fen_value or 0)) * CENT).quantize(CENT)


def to_fen(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value())


@dataclass(frozen=True)
class AsOf:
    """The end of a day in the compound: dates compare with `day`, instants (a bill's issue) with `until`."""

    day: date
    until: datetime  # the compound's next local midnight, in UTC

    @classmethod
    def of(cls, owner: HasTimezone, day: date) -> "AsOf":
        tz = clock.tz_of(owner)
        return cls(day, datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC))


Payers = Collection[int] | None  # None: every payer of the compound


def among(column: sa.ColumnElement, payers: "Payers | sa.BindParameter") -> sa.ColumnElement:
    if payers is None:
        return sa.true()
    return column.in_(payers if isinstance(payers, sa.BindParameter) else list(payers))


def issued_bills(compound_id: int, as_of: AsOf, payers: Payers = None) -> sa.ColumnElement:
    return sa.and_(
        bill.c.compound_id == compound_id,
        among(bill.c.payer_id, payers),
        bill.c.status == BillStatus.issued.value,
        bill.c.issued_at < as_of.until,
    )


def reversed_by(as_of: AsOf) -> sa.Exists:
    """The payment (the `payment` table in the outer query) was reversed on or before the day."""
    return (
        sa.select(reversal.c.id)
        .where(
            reversal.c.compound_id == payment.c.compound_id,
            reversal.c.payment_id == payment.c.id,
            reversal.c.reversed_on <= as_of.day,
        )
        .exists()
    )


def live_payments(compound_id: int, as_of: AsOf, payers: Payers = None) -> sa.ColumnElement:
    return sa.and_(
        payment.c.compound_id == compound_id,
        among(payment.c.payer_id, payers),
        payment.c.received_on <= as_of.day,
        ~reversed_by(as_of),
    )


def live_allocations(compound_id: int, as_of: AsOf, payers: Payers = None) -> sa.Select:
    """(payment_id, bill_id, fen) of every live allocation.

    An allocation is made on or after its payment was received and its bill issued (allocation.py allocates only
    live payments to issued bills, dated the day it runs), so "made by the day and its payment not reversed by
    then" is the whole test: no join back to the payment or the bill (which made the ageing twice as slow).
    """
    reversed_then = (
        sa.select(reversal.c.id)
        .where(
            reversal.c.compound_id == allocation.c.compound_id,
            reversal.c.payment_id == allocation.c.payment_id,
            reversal.c.reversed_on <= as_of.day,
        )
        .exists()
    )
    q = sa.select(allocation.c.payment_id, allocation.c.bill_id, fen(allocation.c.amount).label("fen")).where(
        allocation.c.compound_id == compound_id, allocation.c.allocated_on <= as_of.day, ~reversed_then
    )
    if payers is not None:  # the payers' own payments (an allocation's bill has its payment's payer)
        mine = sa.select(payment.c.id).where(payment.c.compound_id == compound_id, among(payment.c.payer_id, payers))
        q = q.where(allocation.c.payment_id.in_(mine))
    return q


def signed_entries(compound_id: int, as_of: AsOf, payers: Payers = None) -> sa.CompoundSelect:
    """(payer_id, fen) of every entry up to the day: + bills, ± adjustments, − payments, + reversals."""
    bills = sa.select(bill.c.payer_id, fen(bill.c.amount).label("fen")).where(issued_bills(compound_id, as_of, payers))
    adjustments = sa.select(adjustment.c.payer_id, fen(adjustment.c.amount)).where(
        adjustment.c.compound_id == compound_id,
        among(adjustment.c.payer_id, payers),
        adjustment.c.created_at < as_of.until,
    )
    payments = sa.select(payment.c.payer_id, -fen(payment.c.amount)).where(
        payment.c.compound_id == compound_id, among(payment.c.payer_id, payers), payment.c.received_on <= as_of.day
    )
    reversals = (
        sa.select(payment.c.payer_id, fen(payment.c.amount))
        .join(reversal, sa.and_(reversal.c.compound_id == payment.c.compound_id, reversal.c.payment_id == payment.c.id))
        .where(
            payment.c.compound_id == compound_id,
            among(payment.c.payer_id, payers),
            reversal.c.reversed_on <= as_of.day,
        )
    )
    return sa.union_all(bills, adjustments, payments, reversals)


def bill_open(compound_id: int, as_of: AsOf, payers: Payers = None) -> sa.Select:
    """Every issued bill with what is left of it: amount + its adjustments − its live allocations (fen; may be < 0)."""
    adj = (
        sa.select(adjustment.c.bill_id, sa.func.sum(fen(adjustment.c.amount)).label("fen"))
        .where(
            adjustment.c.compound_id == compound_id,
            among(adjustment.c.payer_id, payers),
            adjustment.c.created_at < as_of.until,
        )
        .group_by(adjustment.c.bill_id)
        .subquery("adj")
    )
    live = live_allocations(compound_id, as_of, payers).subquery("live")
    paid = sa.select(live.c.bill_id, sa.func.sum(live.c.fen).label("fen")).group_by(live.c.bill_id).subquery("paid")
    open_fen = fen(bill.c.amount) + sa.func.coalesce(adj.c.fen, 0) - sa.func.coalesce(paid.c.fen, 0)
    return (
        sa.select(
            bill.c.compound_id,
            bill.c.payer_id,
            bill.c.id.label("bill_id"),
            bill.c.account_id,
            bill.c.class_id,
            bill.c.utility,
            bill.c.official_use,
            period.c.month,
            sa.func.coalesce(bill.c.due_on, period.c.month).label("due_on"),
            open_fen.label("open_fen"),
        )
        .join(period, sa.and_(period.c.compound_id == bill.c.compound_id, period.c.id == bill.c.period_id))
        .outerjoin(adj, adj.c.bill_id == bill.c.id)
        .outerjoin(paid, paid.c.bill_id == bill.c.id)
        .where(issued_bills(compound_id, as_of, payers))
    )


def payment_unallocated(compound_id: int, as_of: AsOf, payers: Payers = None) -> sa.Select:
    """Every live payment with what is not yet allocated of it (fen, ≥ 0)."""
    live = live_allocations(compound_id, as_of, payers).subquery("live")
    used = (
        sa.select(live.c.payment_id, sa.func.sum(live.c.fen).label("fen")).group_by(live.c.payment_id).subquery("used")
    )
    return (
        sa.select(
            payment.c.payer_id,
            payment.c.id.label("payment_id"),
            payment.c.received_on,
            (fen(payment.c.amount) - sa.func.coalesce(used.c.fen, 0)).label("free_fen"),
        )
        .outerjoin(used, used.c.payment_id == payment.c.id)
        .where(live_payments(compound_id, as_of, payers))
    )
