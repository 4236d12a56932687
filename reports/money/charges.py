"""What the utility charged for a period, from its bills on the utility's meters.

A bill whose days lie inside the period counts whole; one that crosses a boundary counts by its days inside the
period (amount and quantity alike), each part rounded to the fen. Where no bill covers the period, the charges are
the system input at the cost per unit of the nearest bill — estimated, and said so; without any bill there are no
charges to value anything at.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Compound
from meters.models import Meter, MeterRole, Utility
from reports.formulas.numbers import ZERO, product, ratio, round_money
from reports.models import UtilityBill
from reports.money.waterfall import Charges
from reports.periods import Period


@dataclass(frozen=True)
class PeriodCharges:
    charges: Charges
    bills: int  # how many of the utility's bills the period draws on
    covered_days: int  # days of the period some bill covers (the most of any master meter)
    source: str  # "bills", "nearest_bill" (estimated) or "none"


def _bills(session: Session, compound: Compound, utility: Utility) -> list[UtilityBill]:
    m = Meter.__table__.c
    masters = sa.select(m.id).where(
        m.compound_id == compound.id, m.utility == utility.value, m.role == MeterRole.utility.value
    )
    q = sa.select(UtilityBill).where(UtilityBill.compound_id == compound.id, UtilityBill.meter_id.in_(masters))
    return list(session.execute(q.order_by(UtilityBill.period_start_date)).scalars())


def _overlap(bill: UtilityBill, period: Period) -> int:
    end = min(bill.period_end_date + timedelta(days=1), period.end)
    return max(0, (end - max(bill.period_start_date, period.start)).days)


def period_charges(
    session: Session, *, compound: Compound, utility: Utility, period: Period, system_input: Decimal
) -> PeriodCharges:
    """The utility's charges for the period (yuan) and their quantity (m³ or kWh)."""
    bills = _bills(session, compound, utility)
    amount, quantity, used, covered = ZERO, ZERO, 0, {}
    for bill in bills:
        days = _overlap(bill, period)
        if not days:
            continue
        whole = (bill.period_end_date - bill.period_start_date).days + 1
        share = ratio(Decimal(days), Decimal(whole)) if days < whole else Decimal(1)
        amount += round_money(product(Decimal(bill.amount_fen).scaleb(-2), share))
        quantity += product(Decimal(bill.quantity_milli).scaleb(-3), share)
        covered[bill.meter_id] = covered.get(bill.meter_id, 0) + days
        used += 1
    if used:
        return PeriodCharges(Charges(amount, quantity), used, max(covered.values()), "bills")
    nearest = _nearest(bills, period)
    if nearest is None or not nearest.quantity_milli:
        return PeriodCharges(Charges(ZERO, ZERO), 0, 0, "none")
    cost = ratio(Decimal(nearest.amount_fen).scaleb(-2), Decimal(nearest.quantity_milli).scaleb(-3))
    estimate = Charges(round_money(product(system_input, cost)), system_input, estimated=True)
    return PeriodCharges(estimate, 1, 0, "nearest_bill")


def _nearest(bills: list[UtilityBill], period: Period) -> UtilityBill | None:
    """The bill closest in time to the period: the last before it, else the first after it."""
    before = [b for b in bills if b.period_end_date < period.start]
    if before:
        return before[-1]
    after = [b for b in bills if b.period_start_date >= period.end]
    return after[0] if after else None
