"""What a loss is worth per month: its volume scaled to an average month, valued at the utility's average cost.

A month here is 365.25 / 12 = 30.4375 days, so a figure of any period (a 28-day February, a quarter) compares
with any other. The cost per unit is the period's amount / quantity on the utility's bills of that utility's
master meters (reports/utility_bills.py); a period without bills takes the twelve months before it — estimated,
and said so; with no bill at all the yuan are not given.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Compound
from meters.models import Meter, MeterRole
from reports.periods import add_months
from reports.utility_bills import average_cost_per_unit, list_bills

MONTH_DAYS = Fraction(36525, 1200)  # 30.4375


def per_month(milli: int | Fraction, days: int | Fraction) -> int:
    """Thousandths over `days` → thousandths per average month, rounded half up."""
    if not days:
        return 0
    exact = Fraction(milli) * MONTH_DAYS / Fraction(days)
    return int((Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def per_month_exact(milli: int | Fraction, days: int | Fraction) -> Fraction:
    return Fraction(milli) * MONTH_DAYS / Fraction(days) if days else Fraction(0)


@dataclass(frozen=True)
class Cost:
    per_unit: Decimal | None  # yuan per m³ or kWh
    estimated: bool  # taken from other months' bills

    def fen(self, milli: int | None) -> int | None:
        """Integer fen of a volume in thousandths (half up), or None without a cost or a volume."""
        if self.per_unit is None or milli is None:
            return None
        return int((Decimal(milli) * self.per_unit / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _masters(session: Session, compound: Compound, utility: str) -> list[int]:
    m = Meter.__table__.c
    return list(
        session.execute(
            sa.select(m.id).where(m.compound_id == compound.id, m.utility == utility, m.role == MeterRole.utility.value)
        ).scalars()
    )


def cost_per_unit(session: Session, *, compound: Compound, utility: str, start: date, end: date) -> Cost:
    """The average cost per unit of [start, end) from the utility's bills; else of the twelve months before."""
    masters = _masters(session, compound, utility)
    if not masters:
        return Cost(None, False)
    cost = average_cost_per_unit(list_bills(session, compound=compound, meter_ids=masters, start=start, end=end))
    if cost is not None:
        return Cost(cost, False)
    before = list_bills(session, compound=compound, meter_ids=masters, start=add_months(start, -12), end=start)
    cost = average_cost_per_unit(before)
    return Cost(cost, cost is not None)
