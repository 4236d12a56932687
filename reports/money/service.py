"""The money view of a period: the volume balance valued at the utility's cost, the bills and the ledger.

    period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-03"))

The balance (reports/balance) gives the volumes of each cause, the utility's bills the charges and the average
cost per unit (reports/money/charges.py), the bills and the ledger what was billed and collected
(reports/money/revenue.py); reports/money/waterfall.py turns them into bars that close to the fen.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from compound.register.models import Compound
from meters.models import Utility
from reports.balance.components import Components
from reports.balance.service import PeriodBalance, period_balance
from reports.formulas.numbers import ZERO
from reports.money.charges import PeriodCharges, period_charges
from reports.money.revenue import period_revenue
from reports.money.waterfall import Volumes, Waterfall, combine, waterfall
from reports.periods import Period

# Which balance figures each volume cause is, per utility (a cause missing here is 0 for that utility).
CAUSE_FIGURES = {
    Utility.water: {
        "leakage": ("real_losses",),
        "unmetered_public_water": ("unbilled_unmetered",),
        "other_unbilled_use": ("unbilled_metered",),
        "apparent_losses": ("apparent_losses",),
    },
    Utility.electricity: {
        "transformer_line_losses": ("real_losses",),
        "public_lighting": ("public_lighting",),
        "other_unbilled_use": ("own_use", "other_unmetered"),
        # The balance's unexplained rest (theft, unmetered rooms, meter error) stays in the money's unexplained.
    },
}


def volumes_of(utility: Utility, total: Components) -> Volumes:
    """The balance's figures as the waterfall's volume causes, each flagged where it rests on an estimate."""
    causes, estimated = {}, set()
    for code, keys in CAUSE_FIGURES[utility].items():
        causes[code] = sum((total.figures.get(k, ZERO) for k in keys), ZERO)
        if any(k in total.estimated for k in keys):
            estimated.add(code)
    if utility is Utility.electricity and "apparent_losses" in total.estimated:
        estimated.add("unexplained_volume")
    billed = total["billed_metered"] + total["billed_unmetered"]
    for key in ("system_input", "billed_metered"):
        if key in total.estimated:
            estimated.add(key)
    return Volumes(total["system_input"], billed, causes, frozenset(estimated))


@dataclass
class PeriodMoney:
    utility: Utility
    period: Period
    waterfall: Waterfall
    charges: PeriodCharges
    balance: PeriodBalance
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def period_money(
    session: Session,
    *,
    compound: Compound,
    utility: Utility,
    period: Period,
    balance: PeriodBalance | None = None,
    as_of: date | None = None,
) -> PeriodMoney:
    """One utility's waterfall over the period (the balance is computed unless given)."""
    b = balance or period_balance(session, compound=compound, utility=utility, period=period, summary=True)
    charges = period_charges(
        session, compound=compound, utility=utility, period=period, system_input=b.total["system_input"]
    )
    revenue = period_revenue(session, compound=compound, utility=utility, period=period, as_of=as_of)
    w = waterfall(utility.value, volumes_of(utility, b.total), charges.charges, revenue)
    return PeriodMoney(utility, period, w, charges, b, _warnings(charges, period))


def _warnings(c: PeriodCharges, period: Period) -> list[tuple[str, dict[str, Any]]]:
    if c.source == "none":
        return [("no_utility_bill", {})]
    if c.source == "nearest_bill":
        return [("charges_estimated", {})]
    if c.covered_days < period.days:
        return [("partial_charges", {"days": c.covered_days, "of": period.days})]
    return []


@dataclass
class CompoundMoney:
    period: Period
    water: PeriodMoney
    electricity: PeriodMoney
    combined: Waterfall


def compound_money(session: Session, *, compound: Compound, period: Period, as_of: date | None = None) -> CompoundMoney:
    """Both utilities and the two together."""
    water = period_money(session, compound=compound, utility=Utility.water, period=period, as_of=as_of)
    power = period_money(session, compound=compound, utility=Utility.electricity, period=period, as_of=as_of)
    return CompoundMoney(period, water, power, combine([water.waterfall, power.waterfall]))
