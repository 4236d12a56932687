"""Estimates of unmetered use (lawns, public toilets, lamps): exact quantities, always labelled as estimates.

Each rule needs its own figures:
  fixed  fixed_per_month, prorated by the days of each calendar month
  lamps  lamp_count × lamp_watts × hours_per_day × days / 1000  (kWh)
  area   area_m2 × litres_per_m2_day × days / 1000              (m³)
"""

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlmodel import Session, select

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.errors import MeterError
from meters.models import EstimateRule, UnmeteredUse, Utility

# The fields each rule needs, in the order a clerk fills them in.
RULE_FIELDS: dict[EstimateRule, tuple[str, ...]] = {
    EstimateRule.fixed: ("fixed_per_month",),
    EstimateRule.lamps: ("lamp_count", "lamp_watts", "hours_per_day"),
    EstimateRule.area: ("area_m2", "litres_per_m2_day"),
}
ALL_RULE_FIELDS = tuple(f for fields in RULE_FIELDS.values() for f in fields)

UNITS = {Utility.water: N_("m³"), Utility.electricity: N_("kWh")}


def unit(utility: Utility) -> str:
    return _(UNITS[Utility(utility)])


def active_days(use: UnmeteredUse, start: date, end: date) -> tuple[date, date]:
    """[start, end) cut to the use's active dates (active_to_date is its last day); empty when lo >= hi."""
    lo = max(start, use.active_from_date) if use.active_from_date else start
    hi = min(end, use.active_to_date + timedelta(days=1)) if use.active_to_date else end
    return lo, hi


def tidy(value: Decimal) -> Decimal:
    """The same number without trailing zeros and never in exponent form: 396.0000000 → 396."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _figure(use: UnmeteredUse, name: str) -> Decimal:
    value = getattr(use, name)
    if value is None:
        raise MeterError(_("The %(rule)s rule needs %(field)s.", rule=use.rule, field=name), field=name)
    return Decimal(value)


def _fixed(per_month: Decimal, lo: date, hi: date) -> Decimal:
    """Each calendar month's share by days, summed as an exact fraction."""
    total = Fraction(0)
    day = lo
    while day < hi:
        days_in_month = monthrange(day.year, day.month)[1]
        next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        stop = min(hi, next_month)
        total += Fraction((stop - day).days, days_in_month)
        day = stop
    share = Fraction(per_month) * total
    # Whole months (and any share that is a terminating decimal) come out exact; 10/31 of a month cannot.
    return tidy(Decimal(share.numerator) / Decimal(share.denominator))


def estimate(use: UnmeteredUse, start: date, end: date) -> Decimal:
    """The use's quantity for the days in [start, end) it is active: m³ for water, kWh for electricity."""
    lo, hi = active_days(use, start, end)
    if hi <= lo:
        return Decimal(0)
    days = (hi - lo).days
    rule = EstimateRule(use.rule)
    if rule is EstimateRule.fixed:
        return _fixed(_figure(use, "fixed_per_month"), lo, hi)
    if rule is EstimateRule.lamps:
        watt_hours = (
            Decimal(_figure(use, "lamp_count")) * _figure(use, "lamp_watts") * _figure(use, "hours_per_day") * days
        )
        return tidy(watt_hours.scaleb(-3))
    litres = _figure(use, "area_m2") * _figure(use, "litres_per_m2_day") * days
    return tidy(litres.scaleb(-3))


def estimates(
    session: Session, *, compound: Compound, utility: Utility, start: date, end: date
) -> list[tuple[UnmeteredUse, Decimal]]:
    """Every unmetered use of one utility with its estimate for [start, end)."""
    uses = session.exec(
        select(UnmeteredUse)
        .where(
            UnmeteredUse.compound_id == compound.id,
            UnmeteredUse.utility == utility,
        )
        .order_by(UnmeteredUse.name)
    )
    return [(use, estimate(use, start, end)) for use in uses]
