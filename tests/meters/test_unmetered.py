"""Unmetered-use estimates: exact Decimal quantities, hand-computed; and the figures each rule needs."""

from datetime import date
from decimal import Decimal

import pytest

from meters.errors import MeterError
from meters.models import EstimateRule, UnmeteredCategory, UnmeteredUse, Utility
from meters.register.schemas import UnmeteredUpdate
from meters.register.unmetered_estimate import estimate, estimates
from meters.register.unmetered_uses import update_unmetered
from tests.factories import make_compound, make_unmetered


def _use(rule: EstimateRule, utility: Utility = Utility.electricity, **figures) -> UnmeteredUse:
    return UnmeteredUse(
        compound_id=1, utility=utility, name="x", category=UnmeteredCategory.other, rule=rule, **figures
    )


def _lamps(**dates) -> UnmeteredUse:
    return _use(EstimateRule.lamps, lamp_count=20, lamp_watts=Decimal("60"), hours_per_day=Decimal("11"), **dates)


def test_lamps_are_count_times_watts_times_hours_times_days():
    # 20 lamps × 60 W × 11 h × 30 days = 396,000 Wh = 396 kWh
    assert estimate(_lamps(), date(2026, 6, 1), date(2026, 7, 1)) == Decimal("396")
    assert str(estimate(_lamps(), date(2026, 6, 1), date(2026, 7, 1))) == "396"


def test_lamps_with_fractional_figures_stay_exact():
    use = _use(EstimateRule.lamps, lamp_count=3, lamp_watts=Decimal("36.5"), hours_per_day=Decimal("10.25"))
    # 3 × 36.5 × 10.25 × 7 = 7856.625 Wh
    assert estimate(use, date(2026, 1, 1), date(2026, 1, 8)) == Decimal("7.856625")


def test_area_is_square_metres_times_litres_times_days():
    use = _use(EstimateRule.area, Utility.water, area_m2=Decimal("1500"), litres_per_m2_day=Decimal("2"))
    # 1500 m² × 2 L × 30 days = 90,000 L = 90 m³
    assert estimate(use, date(2026, 4, 1), date(2026, 5, 1)) == Decimal("90")
    use = _use(EstimateRule.area, Utility.water, area_m2=Decimal("120.5"), litres_per_m2_day=Decimal("1.5"))
    # 120.5 × 1.5 × 3 = 542.25 L
    assert estimate(use, date(2026, 4, 1), date(2026, 4, 4)) == Decimal("0.54225")


def test_fixed_is_prorated_by_the_days_of_each_calendar_month():
    use = _use(EstimateRule.fixed, Utility.water, fixed_per_month=Decimal("62"))
    assert estimate(use, date(2026, 3, 1), date(2026, 4, 1)) == Decimal("62")
    assert estimate(use, date(2026, 3, 1), date(2026, 6, 1)) == Decimal("186")
    # 15 of January's 31 days + 14 of February's 28: 62 × 15/31 + 62 × 14/28 = 30 + 31
    assert estimate(use, date(2026, 1, 17), date(2026, 2, 15)) == Decimal("61")
    # Across a year end: Dec 31 alone is 62/31 = 2; with Jan 1–31 and Feb 1–14 of 2027 too, 2 + 62 + 31
    assert estimate(use, date(2026, 12, 31), date(2027, 1, 1)) == Decimal("2")
    assert estimate(use, date(2026, 12, 31), date(2027, 2, 15)) == Decimal("95")


def test_fixed_partial_month_that_does_not_terminate_is_a_single_exact_division():
    use = _use(EstimateRule.fixed, Utility.water, fixed_per_month=Decimal("10"))
    value = estimate(use, date(2026, 1, 1), date(2026, 1, 4))  # 10 × 3/31
    assert value == Decimal(30) / Decimal(31)
    assert abs(value * 31 - 30) < Decimal("1e-20")


def test_estimate_counts_only_the_active_days():
    use = _lamps(active_from_date=date(2026, 6, 11), active_to_date=date(2026, 6, 20))  # 10 days, to inclusive
    assert estimate(use, date(2026, 6, 1), date(2026, 7, 1)) == Decimal("132")  # 20 × 60 × 11 × 10 / 1000
    assert estimate(use, date(2026, 7, 1), date(2026, 8, 1)) == 0
    assert estimate(use, date(2026, 6, 20), date(2026, 6, 21)) == Decimal("13.2")


def test_empty_or_reversed_period_is_zero():
    assert estimate(_lamps(), date(2026, 6, 1), date(2026, 6, 1)) == 0
    assert estimate(_lamps(), date(2026, 6, 2), date(2026, 6, 1)) == 0


@pytest.mark.parametrize(
    ("rule", "utility", "figures", "field"),
    [
        ("lamps", Utility.electricity, {"lamp_count": 20, "lamp_watts": 60}, "hours_per_day"),
        ("lamps", Utility.electricity, {"lamp_count": 20, "hours_per_day": 11}, "lamp_watts"),
        ("area", Utility.water, {"area_m2": 100}, "litres_per_m2_day"),
        ("fixed", Utility.water, {}, "fixed_per_month"),
        ("lamps", Utility.water, {"lamp_count": 20, "lamp_watts": 60, "hours_per_day": 11}, "rule"),
        ("area", Utility.electricity, {"area_m2": 100, "litres_per_m2_day": 2}, "rule"),
    ],
)
def test_a_rule_without_its_figures_is_refused_naming_the_missing_one(session, rule, utility, figures, field):
    c = make_compound(session)
    with pytest.raises(MeterError) as e:
        make_unmetered(session, compound=c, utility=utility, rule=rule, **figures)
    assert e.value.field == field


def test_figures_of_other_rules_are_cleared(session):
    c = make_compound(session)
    use = make_unmetered(
        session,
        compound=c,
        utility=Utility.water,
        rule="fixed",
        category="public_toilet",
        fixed_per_month=Decimal("35"),
        area_m2=Decimal("100"),
    )
    assert use.fixed_per_month == Decimal("35") and use.area_m2 is None
    update_unmetered(
        session,
        compound=c,
        use=use,
        data=UnmeteredUpdate(rule=EstimateRule.area, area_m2=Decimal("100"), litres_per_m2_day=Decimal("3")),
    )
    assert use.fixed_per_month is None
    assert estimate(use, date(2026, 6, 1), date(2026, 6, 11)) == Decimal("3")


def test_changing_the_rule_without_its_figures_is_refused(session):
    c = make_compound(session)
    use = make_unmetered(session, compound=c, lamp_count=20, lamp_watts=60, hours_per_day=11)
    with pytest.raises(MeterError) as e:
        update_unmetered(session, compound=c, use=use, data=UnmeteredUpdate(rule=EstimateRule.fixed))
    assert e.value.field == "fixed_per_month"
    assert use.rule == EstimateRule.lamps


def test_estimates_of_a_compound_per_utility(session):
    c = make_compound(session)
    make_unmetered(session, compound=c, name="Street lights", lamp_count=10, lamp_watts=100, hours_per_day=12)
    make_unmetered(
        session,
        compound=c,
        utility=Utility.water,
        rule="fixed",
        category="public_toilet",
        name="Toilets",
        fixed_per_month=Decimal("30"),
    )
    got = estimates(session, compound=c, utility=Utility.electricity, start=date(2026, 6, 1), end=date(2026, 6, 2))
    assert [(u.name, q) for u, q in got] == [("Street lights", Decimal("12"))]
