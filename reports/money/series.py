"""The money view over time and by who owes: 24 months of waterfalls, collection by class, ageing, unfunded use.

Each works from the bills (billing/) and what the ledger allocated to them (reports/money/payments.py), added up in
Python from Decimal columns (SQLite keeps NUMERIC as REAL).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.models import Bill, BillingPeriod, BillStatus, CustomerClass
from compound.kit import clock
from compound.register.models import Account, Compound
from meters.models import Utility
from reports.formulas.numbers import ZERO, ratio
from reports.money import payments
from reports.money.service import PeriodMoney, period_money
from reports.money.waterfall import Waterfall, combine
from reports.periods import Period, add_months, months_ending


def money_months(
    session: Session, *, compound: Compound, utility: Utility, last: Period, months: int = 24
) -> list[tuple[str, PeriodMoney]]:
    """The waterfall of each of the months ending with `last`'s month, oldest first."""
    return [
        (p.label, period_money(session, compound=compound, utility=utility, period=p))
        for p in months_ending(last, months)
    ]


def trend(
    session: Session, *, compound: Compound, utility: str, last: Period, months: int = 24
) -> list[tuple[str, Waterfall]]:
    """Waterfalls month by month for one utility, or both together ("combined")."""
    if utility != "combined":
        return [
            (m, pm.waterfall)
            for m, pm in money_months(session, compound=compound, utility=Utility(utility), last=last, months=months)
        ]
    water = money_months(session, compound=compound, utility=Utility.water, last=last, months=months)
    power = money_months(session, compound=compound, utility=Utility.electricity, last=last, months=months)
    return [(m, combine([a.waterfall, b.waterfall])) for (m, a), (_m, b) in zip(water, power, strict=True)]


@dataclass(frozen=True)
class IssuedBill:
    id: int
    payer_id: int
    utility: str
    month: date
    amount: Decimal
    official_use: bool
    consumer_kind: str
    class_name: str
    issued_on: date
    due_on: date


def issued_bills(session: Session, *, compound: Compound, until: date | None = None) -> list[IssuedBill]:
    """Every issued bill of the compound (billing months before `until`), with who consumes it and its class."""
    b, a, p, k = Bill.__table__.c, Account.__table__.c, BillingPeriod.__table__.c, CustomerClass.__table__.c
    joined = (
        Bill.__table__.join(Account.__table__, sa.and_(a.compound_id == b.compound_id, a.id == b.account_id))
        .join(BillingPeriod.__table__, sa.and_(p.compound_id == b.compound_id, p.id == b.period_id))
        .outerjoin(CustomerClass.__table__, sa.and_(k.compound_id == b.compound_id, k.id == b.class_id))
    )
    q = (
        sa.select(b.id, b.payer_id, b.utility, p.month, b.amount, b.official_use, a.kind, k.name, b.issued_at, b.due_on)
        .select_from(joined)
        .where(b.compound_id == compound.id, b.status == BillStatus.issued.value)
    )
    if until is not None:
        q = q.where(p.month < until)
    tz = clock.tz_of(compound)
    out = []
    for row in session.execute(q).all():
        month_end = add_months(row.month, 1)
        issued = clock.local_date(row.issued_at, tz) if row.issued_at is not None else month_end
        due = row.due_on or issued + timedelta(days=30)
        out.append(IssuedBill(row.id, row.payer_id, row.utility, row.month, Decimal(row.amount), row.official_use,
                              row.kind, row.name or "", issued, due))  # fmt: skip
    return out


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else ratio(part * 100, whole)


def collection_by_class(session: Session, *, compound: Compound, period: Period) -> list[tuple[str, Decimal | None]]:
    """What of the period's bills each class has paid, in percent; the finance bureau's official use apart."""
    bills = [b for b in issued_bills(session, compound=compound, until=period.end) if b.month >= period.start]
    paid = payments.allocated_to(session, compound=compound, bill_ids=[b.id for b in bills])
    billed: dict[str, list[Decimal]] = {}
    for b in bills:
        name = "official_use" if b.official_use else b.class_name
        totals = billed.setdefault(name, [ZERO, ZERO])
        totals[0] += b.amount
        totals[1] += paid.get(b.id, ZERO)
    return [(name, _pct(v[1], v[0])) for name, v in sorted(billed.items())]


def unfunded_months(
    session: Session, *, compound: Compound, last: Period, months: int = 24
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Per month: official use billed and not funded at its end, official use billed in it, funds received in it."""
    bills = [b for b in issued_bills(session, compound=compound) if b.official_use]
    allocations = payments.allocations(session, compound=compound, bill_ids=[b.id for b in bills])
    out = []
    for p in months_ending(last, months):
        end = p.end - timedelta(days=1)
        billed = sum((b.amount for b in bills if b.issued_on <= end), ZERO)
        funded = sum((a.amount for a in allocations if a.on <= end), ZERO)
        in_month = sum((b.amount for b in bills if b.month == p.start), ZERO)
        received = sum((a.amount for a in allocations if p.start <= a.on <= end), ZERO)
        out.append((p.label, billed - funded, in_month, received))
    return out


def fen(column: sa.ColumnElement) -> sa.ColumnElement:
    """A Numeric yuan column as integer fen inside SQL: exact on SQLite's REAL too, so it may be summed there."""
    return sa.cast(sa.func.round(column * 100), sa.BigInteger)


def overdue_by_payer(
    session: Session, *, compound: Compound, as_of: date, days: int
) -> list[tuple[int, bool, Decimal]]:
    """(payer, official use?, yuan owed) on bills due more than `days` before the day, less what was paid to them."""
    b = Bill.__table__.c
    due = sa.func.coalesce(b.due_on, b.issued_at)
    q = (
        sa.select(b.payer_id, b.official_use, sa.func.sum(fen(b.amount)), sa.func.count())
        .where(b.compound_id == compound.id, b.status == BillStatus.issued.value, due < as_of - timedelta(days=days))
        .group_by(b.payer_id, b.official_use)
    )
    paid = payments.paid_by_payer(session, compound=compound, as_of=as_of, due_before=as_of - timedelta(days=days))
    return [
        (payer, official, (Decimal(owed) - paid.get((payer, official), 0)).scaleb(-2))
        for payer, official, owed, _n in session.execute(q).all()
    ]
