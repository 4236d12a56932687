"""What the compound billed for a period and what of it was collected, from the bills and the ledger.

    billed             = the issued bills of the period's billing months, with the period's adjustments (credit
                         and debit notes); the billed quantity is the bills' own
    collected          = payments allocated to those bills (received up to `as_of`, by default now)
    unpaid             = billed − collected, by who owes it: the official use of the leading bodies awaiting the
                         finance bureau's funds (bills marked official use), households (consumer a household),
                         office units (the rest)
    collected_arrears  = payments received inside the period, allocated to earlier periods' bills

Bill amounts are Numeric: read into Decimal and added up here, never in SQLite's SQL (it keeps NUMERIC as REAL).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.models import Bill, BillAdjustment, BillingPeriod, BillLine, BillStatus
from compound.register.models import Account, AccountKind, Compound
from meters.models import Utility
from reports.formulas.numbers import ZERO
from reports.money import payments
from reports.money.waterfall import Revenue
from reports.periods import Period

UNITS, OFFICIAL, HOUSEHOLDS = "unpaid_units", "unfunded_official_use", "unpaid_households"


def period_ids(session: Session, *, compound: Compound, period: Period) -> list[int]:
    """The billing periods (months) inside the period."""
    p = BillingPeriod.__table__.c
    q = sa.select(p.id).where(p.compound_id == compound.id, p.month >= period.start, p.month < period.end)
    return list(session.execute(q).scalars())


def who_owes(official_use: bool, consumer_kind: str) -> str:
    """Which unpaid bar a bill's unpaid rest goes to."""
    if official_use:
        return OFFICIAL
    return HOUSEHOLDS if consumer_kind == AccountKind.household.value else UNITS


def _bills(session: Session, compound: Compound, utility: Utility, ids: list[int]) -> list[sa.Row]:
    b, a = Bill.__table__.c, Account.__table__.c
    joined = Bill.__table__.join(Account.__table__, sa.and_(a.compound_id == b.compound_id, a.id == b.account_id))
    q = (
        sa.select(b.id, b.amount, b.quantity, b.official_use, a.kind)
        .select_from(joined)
        .where(b.compound_id == compound.id, b.utility == utility.value, b.status == BillStatus.issued.value,
               b.period_id.in_(ids))
    )  # fmt: skip
    return list(session.execute(q).all())


def _adjustments(session: Session, compound: Compound, utility: Utility, ids: list[int]) -> list[sa.Row]:
    j, b, a = BillAdjustment.__table__.c, Bill.__table__.c, Account.__table__.c
    joined = BillAdjustment.__table__.join(Bill.__table__, sa.and_(b.compound_id == j.compound_id, b.id == j.bill_id))
    joined = joined.join(Account.__table__, sa.and_(a.compound_id == b.compound_id, a.id == b.account_id))
    q = (
        sa.select(j.bill_id, j.amount, b.official_use, a.kind)
        .select_from(joined)
        .where(j.compound_id == compound.id, b.utility == utility.value, j.period_id.in_(ids))
    )
    return list(session.execute(q).all())


def _estimated(session: Session, compound: Compound, bill_ids: list[int]) -> bool:
    if not bill_ids:
        return False
    line = BillLine.__table__.c
    q = sa.select(sa.func.count()).where(
        line.compound_id == compound.id,
        line.bill_id.in_(bill_ids),
        sa.or_(line.current_estimated.is_(True), line.previous_estimated.is_(True)),
    )
    return bool(session.execute(q).scalar_one())


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum((Decimal(v) for v in values), ZERO)


def period_revenue(
    session: Session, *, compound: Compound, utility: Utility, period: Period, as_of: date | None = None
) -> Revenue:
    """The period's bills and their collection, for one utility."""
    ids = period_ids(session, compound=compound, period=period)
    if not ids:
        return Revenue()
    bills = _bills(session, compound, utility, ids)
    adjustments = _adjustments(session, compound, utility, ids)
    owed: dict[str, Decimal] = {UNITS: ZERO, OFFICIAL: ZERO, HOUSEHOLDS: ZERO}
    group_of: dict[int, str] = {}
    for row in bills:
        group_of[row.id] = who_owes(row.official_use, row.kind)
        owed[group_of[row.id]] += Decimal(row.amount)
    for row in adjustments:
        owed[who_owes(row.official_use, row.kind)] += Decimal(row.amount)
    bill_ids = [row.id for row in bills]
    for bill_id, paid in payments.allocated_to(session, compound=compound, bill_ids=bill_ids, as_of=as_of).items():
        owed[group_of[bill_id]] -= paid
    return Revenue(
        billed_amount=_sum(r.amount for r in bills) + _sum(r.amount for r in adjustments),
        billed_quantity=_sum(r.quantity for r in bills),
        unpaid_units=owed[UNITS],
        unfunded_official_use=owed[OFFICIAL],
        unpaid_households=owed[HOUSEHOLDS],
        collected_arrears=payments.arrears_collected(
            session, compound=compound, utility=utility, period=period, as_of=as_of
        ),
        billed_estimated=_estimated(session, compound, bill_ids),
    )
