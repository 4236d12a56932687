"""Minimum night flow, legitimate night use, FAVAD night-day factor, daily leakage (loss-methods.md section 2)."""

from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest

from reports.formulas import night_flow as nf
from reports.formulas.numbers import round_to


def at(hh: int, mm: int, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC)


# Four readings of the master meter (m³):
#   02:00 1,000.000 → 02:30 1,001.200: 1.2 m³ in 0.5 h  = 2.4 m³/h
#   02:30 → 03:15 1,002.400:            1.2 m³ in 0.75 h = 1.6 m³/h   ← the minimum
#   03:15 → 04:00 1,004.000:            1.6 m³ in 0.75 h = 2.1333… m³/h
READINGS = [
    nf.MeterReading(at(2, 0), D("1000.000")),
    nf.MeterReading(at(2, 30), D("1001.200")),
    nf.MeterReading(at(3, 15), D("1002.400")),
    nf.MeterReading(at(4, 0), D("1004.000")),
]
# 400 people × 6% × 10 L/h = 240 L/h; 5 small non-domestic users × 50 L/h = 250 L/h; a known 100 L/h user
# → 590 L/h = 0.59 m³/h. Net night flow 1.6 − 0.59 = 1.01 m³/h; × 20 h/day = 20.2 m³/day; × 30 days = 606 m³.
ALLOWANCES = nf.NightUseAllowances(people=400, small_non_domestic_users=5, exceptional_litres_per_hour=D(100))


def test_flow_between_consecutive_readings():
    rates = [i.rate for i in nf.flow_intervals(READINGS)]
    assert rates[:2] == [D("2.4"), D("1.6")]
    assert round_to(rates[2], D("0.001")) == D("2.133")


def test_the_minimum_night_flow_is_the_lowest_hourly_rate():
    mnf = nf.minimum_night_flow(READINGS)
    assert (mnf.start, mnf.end, mnf.volume, mnf.rate) == (at(2, 30), at(3, 15), D("1.200"), D("1.6"))


def test_legitimate_night_use_by_the_reference_allowances():
    assert ALLOWANCES.litres_per_hour() == D(590)
    assert ALLOWANCES.m3_per_hour() == D("0.59")
    assert nf.NightUseAllowances(people=100, active_fraction=D("0.05")).litres_per_hour() == D(50)  # editable


def test_daily_leakage_is_the_net_night_flow_times_the_night_day_factor():
    estimate = nf.estimate_leakage(READINGS, allowances=ALLOWANCES, night_day_factor=D(20))
    assert estimate.legitimate_use == D("0.59")
    assert estimate.net_night_flow == D("1.01")
    assert estimate.daily_leakage == D("20.2")
    assert estimate.leakage_over(D(30)) == D("606")
    assert not estimate.allowances_exceed_flow


def test_allowances_above_the_measured_flow_are_flagged_not_hidden():
    big = nf.NightUseAllowances(people=10_000)  # 6,000 L/h
    estimate = nf.estimate_leakage(READINGS, allowances=big, night_day_factor=D(20))
    assert estimate.net_night_flow == D("-4.4")
    assert estimate.allowances_exceed_flow


@pytest.mark.parametrize(
    ("n1", "published"),
    [(D("0.5"), D("0.894")), (D("1.0"), D("0.800")), (D("1.5"), D("0.716")), (D("2.0"), D("0.640")),
     (D("2.5"), D("0.572"))],
)  # fmt: skip
def test_favad_example_of_the_book(n1, published):
    # Water Loss Control eq. 10.4: pressure cut to 0.8 of before → leakage × 0.8^N1 (the book prints 0.58 for 2.5;
    # 0.8^2.5 = 0.57243…).
    assert round_to(nf.favad_ratio(D("0.8"), D(1), n1), D("0.001")) == published
    assert round_to(nf.favad_ratio(D(40), D(50), n1), D("0.001")) == published  # 40 m against 50 m


def test_favad_integer_exponents_are_exact():
    assert nf.favad_ratio(D("0.8"), D(1), D(1)) == D("0.8")
    assert nf.favad_ratio(D("0.8"), D(1), D(2)) == D("0.64")


def test_night_day_factor_from_a_pressure_profile():
    flat = [D(50)] * 24
    assert nf.favad_night_day_factor(flat, night_pressure=D(50), n1=D("1.5")) == D(24)
    # 8 night hours at 50 m, 16 day hours at 40 m: N1 = 1 → 8 + 16 × 0.8 = 20.8 h/day;
    # N1 = 1.5 → 8 + 16 × 0.71554175… = 19.4486680… h/day.
    profile = [D(50)] * 8 + [D(40)] * 16
    assert nf.favad_night_day_factor(profile, night_pressure=D(50), n1=D(1)) == D("20.8")
    factor = nf.favad_night_day_factor(profile, night_pressure=D(50), n1=D("1.5"))
    assert round_to(factor, D("0.0001")) == D("19.4487")


def test_an_hour_without_supply_adds_nothing():
    profile = [D(0)] * 4 + [D(50)] * 20
    assert nf.favad_night_day_factor(profile, night_pressure=D(50), n1=D("1.1")) == D(20)


def test_a_profile_is_24_hours():
    with pytest.raises(nf.NightFlowError, match="24 hourly values, not 23"):
        nf.favad_night_day_factor([D(50)] * 23, night_pressure=D(50), n1=D(1))


def test_one_reading_is_not_a_test():
    with pytest.raises(nf.NightFlowError, match="at least two"):
        nf.minimum_night_flow(READINGS[:1])


def test_readings_out_of_order_or_running_backwards_are_refused():
    with pytest.raises(nf.NightFlowError, match="not later"):
        nf.minimum_night_flow([READINGS[1], READINGS[0]])
    with pytest.raises(nf.NightFlowError, match="lower"):
        nf.minimum_night_flow([READINGS[0], nf.MeterReading(at(2, 45), D("999"))])


def test_readings_outside_the_window_are_refused_unless_no_window_is_asked():
    late = READINGS + [nf.MeterReading(at(4, 30), D("1005"))]
    with pytest.raises(nf.NightFlowError, match="04:30 is outside the night window 02:00–04:00"):
        nf.minimum_night_flow(late)
    assert nf.minimum_night_flow(late, window=None).rate == D("1.6")


def test_a_window_may_run_across_midnight():
    window = nf.NightWindow(start=time(23, 0), end=time(1, 0))
    readings = [nf.MeterReading(at(23, 30, day=1), D(10)), nf.MeterReading(at(0, 30, day=2), D(11))]
    assert nf.minimum_night_flow(readings, window=window).rate == D(1)
    assert not window.contains(at(2, 0))


def test_the_hours_are_exact_to_the_second():
    # 20 minutes is a third of an hour: 0.5 m³ → 1.5 m³/h exactly, not through a float of seconds.
    readings = [nf.MeterReading(at(2, 0), D(0)), nf.MeterReading(at(2, 20), D("0.5"))]
    assert nf.minimum_night_flow(readings).rate == D("1.5")
