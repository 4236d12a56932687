"""Recording and reversing payments: the rules, for pages, the API, payroll batches and funding requests alike."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from billing.ledger.entries import AsOf, bill, bill_open, issued_bills
from billing.models import Bill
from billing.payments.allocation import allocate_to_bills, apply_credit, lock_payers
from billing.payments.models import (
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentReversal,
    PaymentSource,
)
from billing.payments.receipts import next_receipt_no
from compound.kit import clock, lookups
from compound.kit.errors import Conflict, InvalidInput, NotFound
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Compound

MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class NewPayment:
    payer_id: int
    method: str
    amount: Decimal
    received_on: date | None = None  # default: today in the compound
    reference: str = ""
    note: str = ""
    bill_ids: tuple[int, ...] = ()  # allocate to these first, in this order; the rest oldest bill first


def methods(session: Session, *, active_only: bool = True) -> list[PaymentMethod]:
    q = select(PaymentMethod).order_by(PaymentMethod.position, PaymentMethod.code)
    if active_only:
        q = q.where(PaymentMethod.active)
    return list(session.exec(q))


def check_amount(amount: Decimal, *, field: str = "amount") -> Decimal:
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(_("The amount must be more than zero."), field=field)
    if amount != amount.quantize(CENT):
        raise InvalidInput(_("The amount has at most two decimals (yuan and fen)."), field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput(_("The amount is too large."), field=field)
    return amount.quantize(CENT)


def _check(session: Session, compound: Compound, data: NewPayment, today: date) -> tuple[Account, date]:
    check_amount(data.amount)
    method = session.get(PaymentMethod, data.method)
    if method is None or not method.active:
        raise InvalidInput(_("There is no such payment method."), field="method")
    payer = lookups.get_or_raise(
        session,
        Account,
        compound_id=compound.id,
        id=data.payer_id,
        error=InvalidInput,
        message=_("There is no such account in this compound."),
        field="payer_id",
    )
    received_on = data.received_on or today
    if received_on > today:
        raise InvalidInput(_("The payment cannot be received in the future."), field="received_on")
    if data.bill_ids:
        _check_bills(session, compound, payer.id, data.bill_ids, today)
    return payer, received_on


def _check_bills(session: Session, compound: Compound, payer_id: int, bill_ids: tuple[int, ...], today: date) -> None:
    if len(set(bill_ids)) != len(bill_ids):
        raise InvalidInput(_("A bill is picked twice."), field="bill_ids")
    at = AsOf.of(compound, today)
    found = set(
        session.execute(
            sa.select(bill.c.id).where(issued_bills(compound.id, at, [payer_id]), bill.c.id.in_(list(bill_ids)))
        ).scalars()
    )
    if missing := [b for b in bill_ids if b not in found]:
        raise InvalidInput(_("Bill %(id)s is not an issued bill of this payer.", id=missing[0]), field="bill_ids")


def record_payment(
    session: Session,
    *,
    compound: Compound,
    data: NewPayment,
    source: PaymentSource = PaymentSource.desk,
    recorded_by: str = "",
    payroll_row_id: int | None = None,
    funding_request_id: int | None = None,
) -> Payment:
    """Record a payment with the next receipt number and allocate it: picked bills first, then oldest first."""
    today = clock.today(compound)
    payer, received_on = _check(session, compound, data, today)
    lock_payers(session, compound_id=compound.id, payers=[payer.id])
    payment = Payment(
        compound_id=compound.id,
        payer_id=payer.id,
        method=data.method,
        amount=check_amount(data.amount),
        received_on=received_on,
        receipt_no=next_receipt_no(session, compound_id=compound.id, year=today.year),
        reference=data.reference.strip(),
        note=data.note.strip(),
        source=source,
        payroll_row_id=payroll_row_id,
        funding_request_id=funding_request_id,
        recorded_by=recorded_by,
    )
    session.add(payment)
    session.flush()
    if data.bill_ids:
        allocate_to_bills(
            session,
            compound=compound,
            payment_id=payment.id,
            payer_id=payer.id,
            bill_ids=list(data.bill_ids),
            on=today,
        )
    apply_credit(session, compound=compound, on=today, payers=[payer.id])
    return payment


def reverse_payment(
    session: Session,
    *,
    compound: Compound,
    payment_id: int,
    reason: str,
    reversed_by: str = "",
    on: date | None = None,
) -> PaymentReversal:
    """Reverse a payment with a reason: it and its allocations stay, void from today; the payer owes again."""
    payment = get_payment(session, compound=compound, payment_id=payment_id)
    if not reason.strip():
        raise InvalidInput(_("Say why the payment is reversed."), field="reason")
    lock_payers(session, compound_id=compound.id, payers=[payment.payer_id])
    if reversal_of(session, compound_id=compound.id, payment_id=payment.id) is not None:
        raise Conflict(_("This payment has already been reversed."), field="payment_id")
    today = on or clock.today(compound)
    row = PaymentReversal(
        compound_id=compound.id,
        payment_id=payment.id,
        reason=reason.strip()[:500],
        reversed_on=max(today, payment.received_on),
        reversed_by=reversed_by,
    )
    session.add(row)
    session.flush()
    # Other credit of the payer may now cover the bills this payment no longer pays.
    apply_credit(session, compound=compound, on=max(today, payment.received_on), payers=[payment.payer_id])
    return row


def get_payment(session: Session, *, compound: Compound, payment_id: int) -> Payment:
    return lookups.get_or_raise(
        session, Payment, compound_id=compound.id, id=payment_id, message=_("No such payment."), field="payment_id"
    )


def reversal_of(session: Session, *, compound_id: int, payment_id: int) -> PaymentReversal | None:
    q = select(PaymentReversal).where(
        PaymentReversal.compound_id == compound_id, PaymentReversal.payment_id == payment_id
    )
    return session.exec(q).first()


@dataclass(frozen=True)
class AllocationLine:
    bill_id: int
    account_id: int
    utility: str
    month: date
    amount: Decimal


def allocations_of(session: Session, *, compound_id: int, payment_id: int) -> list[AllocationLine]:
    """The bills a payment paid, oldest first."""
    from billing.models import BillingPeriod

    q = (
        select(PaymentAllocation, Bill, BillingPeriod)
        .join(Bill, sa.and_(Bill.compound_id == PaymentAllocation.compound_id, Bill.id == PaymentAllocation.bill_id))
        .join(BillingPeriod, sa.and_(BillingPeriod.compound_id == Bill.compound_id, BillingPeriod.id == Bill.period_id))
        .where(PaymentAllocation.compound_id == compound_id, PaymentAllocation.payment_id == payment_id)
        .order_by(BillingPeriod.month, Bill.id)
    )
    return [AllocationLine(b.id, b.account_id, b.utility, p.month, a.amount) for a, b, p in session.exec(q)]


def payments_of(
    session: Session, *, compound_id: int, payer_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[Payment]:
    q = select(Payment).where(Payment.compound_id == compound_id)
    if payer_id is not None:
        q = q.where(Payment.payer_id == payer_id)
    return list(session.exec(q.order_by(Payment.id.desc()).limit(limit).offset(offset)))


def owed_bills(session: Session, *, compound: Compound, payer_id: int) -> list[tuple[int, int]]:
    """(bill_id, fen still owed) of the payer's bills, oldest first: what a clerk may pick."""
    bo = bill_open(compound.id, AsOf.of(compound, clock.today(compound)), [payer_id]).subquery("bo")
    q = sa.select(bo.c.bill_id, bo.c.open_fen).where(bo.c.open_fen > 0).order_by(bo.c.month, bo.c.bill_id)
    return [(b, f) for b, f in session.execute(q)]


__all__ = ["NewPayment", "NotFound", "record_payment", "reverse_payment"]
