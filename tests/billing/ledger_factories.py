"""Issued bills and adjustments for payment and ledger tests, written directly (the bill run is billing's)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.models import Bill, BillAdjustment, BillingPeriod, BillStatus
from compound.register.models import Account, Compound


def period(session: Session, *, compound: Compound, month: date) -> BillingPeriod:
    p = session.execute(
        sa.select(BillingPeriod).where(BillingPeriod.compound_id == compound.id, BillingPeriod.month == month)
    ).scalar_one_or_none()
    if p is None:
        p = BillingPeriod(compound_id=compound.id, month=month)
        session.add(p)
        session.flush()
    return p


def make_bill(
    session: Session,
    *,
    compound: Compound,
    account: Account,
    amount: str,
    month: date,
    payer: Account | None = None,
    utility: str = "water",
    due_on: date | None = None,
    issued_on: date | None = None,
    official_use: bool = False,
) -> Bill:
    """An issued bill of the month (issued on the month's last-but-one day unless said; due 30 days after)."""
    p = period(session, compound=compound, month=month)
    issued_on = issued_on or month.replace(day=28)
    b = Bill(
        compound_id=compound.id,
        period_id=p.id,
        account_id=account.id,
        payer_id=(payer or account).id,
        utility=utility,
        status=BillStatus.issued,
        amount=Decimal(amount),
        official_use=official_use,
        issued_at=datetime.combine(issued_on, time(2), UTC),
        due_on=due_on or issued_on.replace(day=28),
    )
    session.add(b)
    session.flush()
    return b


def make_adjustment(
    session: Session, *, compound: Compound, bill: Bill, amount: str, reason: str = "fix", at: datetime | None = None
) -> BillAdjustment:
    a = BillAdjustment(
        compound_id=compound.id,
        bill_id=bill.id,
        payer_id=bill.payer_id,
        period_id=bill.period_id,
        amount=Decimal(amount),
        reason=reason,
        created_at=at or bill.issued_at + timedelta(days=1),
    )
    session.add(a)
    session.flush()
    return a
