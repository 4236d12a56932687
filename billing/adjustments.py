"""Credit and debit notes: an issued bill never changes; a correction is an adjustment in an open period."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.errors import BillingError, BillingNotFound, PeriodClosed
from billing.models import Bill, BillAdjustment, BillingPeriod, BillStatus, PeriodStatus
from billing.periods import month_label
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _

CENT = Decimal("0.01")


def open_period(session: Session, *, compound_id: int) -> BillingPeriod:
    """The latest open period of the compound: adjustments are made in it."""
    period = session.execute(
        sa.select(BillingPeriod)
        .where(BillingPeriod.compound_id == compound_id, BillingPeriod.status == PeriodStatus.open)
        .order_by(BillingPeriod.month.desc())
        .limit(1)
    ).scalar_one_or_none()
    if period is None:
        raise PeriodClosed(_("Every period is closed: run the next month's draft to open one."), field="period")
    return period


def make_adjustment(
    session: Session,
    *,
    compound_id: int,
    bill_id: int,
    amount: Decimal,
    reason: str,
    by: str,
    now: datetime | None = None,
) -> BillAdjustment:
    """A signed adjustment of an issued bill (+ debit note, − credit note), to the bill's payer, in the open period."""
    bill = session.execute(
        sa.select(Bill).where(Bill.compound_id == compound_id, Bill.id == bill_id)
    ).scalar_one_or_none()
    if bill is None:
        raise BillingNotFound(_("No such bill."), field="bill_id")
    if bill.status != BillStatus.issued:
        raise BillingError(_("This bill is still a draft: fix the readings and run the draft again."), field="bill_id")
    if amount.is_nan() or amount != amount.quantize(CENT) or amount == 0 or abs(amount) >= Decimal("1e12"):
        raise InvalidInput(_("The amount is a non-zero sum of yuan with at most two decimals."), field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the bill is adjusted."), field="reason")
    period = open_period(session, compound_id=compound_id)
    adjustment = BillAdjustment(
        compound_id=compound_id,
        bill_id=bill.id,
        payer_id=bill.payer_id,
        period_id=period.id,
        amount=amount,
        reason=reason[:500],
        created_by=by[:100],
        **({"created_at": now} if now else {}),
    )
    session.add(adjustment)
    session.flush()
    return adjustment


def period_label(period: BillingPeriod) -> str:
    return month_label(period.month)


def period_of(session: Session, adjustment: BillAdjustment) -> BillingPeriod:
    return session.execute(
        sa.select(BillingPeriod).where(
            BillingPeriod.compound_id == adjustment.compound_id, BillingPeriod.id == adjustment.period_id
        )
    ).scalar_one()
