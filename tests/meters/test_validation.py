"""Every plausibility rule of meters/validation.py, as the pure function the round, the API and the import share."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from compound.kit import i18n
from meters.quantity import BadValue, parse_value
from meters.readings.validation import CONFIRMABLE, FUTURE_TOLERANCE, MESSAGES, Code, MeterState, Problem, check

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_AT = NOW - timedelta(days=30)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in the English source text, whatever catalogs exist."""
    before = i18n.get_locale()
    i18n.set_locale("en")
    yield
    i18n.set_locale(before)


def state(**kw: object) -> MeterState:
    base: dict[str, object] = dict(serial="W-101", dials=5, multiplier=1, last_value=100_000, last_at=LAST_AT)
    base.update(kw)
    return MeterState(**base)  # type: ignore[arg-type]


def run(
    raw: object, *, at: datetime | None = None, st: MeterState | None = None, factor: str = "3", rollover: bool = False
):
    return check(st or state(), raw, at or NOW, now=NOW, spike_factor=Decimal(factor), rollover=rollover, tz=SHANGHAI)


def only(verdict, code: Code) -> Problem:
    assert [p.code for p in verdict.problems] == [code]
    return verdict.problems[0]


def test_every_code_has_its_own_message():
    assert set(MESSAGES) == set(Code)
    assert len(set(MESSAGES.values())) == len(Code)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_value_is_refused(raw):
    p = only(run(raw), Code.missing_value)
    assert (p.field, p.refused, p.message) == ("value", True, "No value was given.")


@pytest.mark.parametrize("raw", ["abc", "12a", "1,5", "12,34", "1 234", "nan", "Infinity", "0x10", "--1"])
def test_a_value_that_is_not_a_number_is_refused(raw):
    p = only(run(raw), Code.not_a_number)
    assert p.refused and p.field == "value"
    assert p.message == f"“{raw}” is not a number."


def test_a_long_garbage_value_is_cut_short_in_the_message():
    p = only(run("x" * 5000), Code.not_a_number)
    assert len(p.message) < 80


def test_a_negative_value_is_refused():
    p = only(run("-3"), Code.negative)
    assert p.refused and p.message == "A meter reading cannot be negative."


@pytest.mark.parametrize("raw", ["100.0001", "1.00000000000000000000000000001", "1e-9"])
def test_more_than_three_decimals_are_refused(raw):
    # The middle one rounds to 1000 thousandths if multiplied in Decimal's 28-digit context: it must not.
    p = only(run(raw), Code.too_many_decimals)
    assert p.message == "At most three decimal places."


@pytest.mark.parametrize("raw", ["100000", "100000.000", "1e30", "1e999999999"])
def test_more_digits_than_the_meter_has_are_refused(raw):
    p = only(run(raw), Code.too_many_digits)
    assert p.field == "value" and p.refused
    assert p.message == "This meter has 5 dials: the reading must be below 100000."


def test_the_highest_value_the_dials_can_show_is_accepted():
    assert run("99999.999").ok


@pytest.mark.parametrize(
    ("raw", "milli"),
    [
        ("123.5", 123_500),
        (" 7 ", 7_000),
        ("1,234.5", 1_234_500),
        ("１２３．５", 123_500),
        (".5", 500),
        ("1e3", 1_000_000),
        (42, 42_000),
        (Decimal("0.125"), 125),
        ("-0", 0),
    ],
)
def test_values_are_parsed_exactly_into_thousandths(raw, milli):
    assert parse_value(raw) == milli


@pytest.mark.parametrize("raw", [True, 1.5, object()])
def test_values_of_other_types_are_not_numbers(raw):
    with pytest.raises(BadValue) as e:
        parse_value(raw)
    assert e.value.code == "not_a_number"


def test_a_reading_on_a_removed_meter_is_refused():
    p = only(run("150", st=state(removed_on="2026-09-30")), Code.meter_removed)
    assert p.field == "meter" and p.refused
    assert p.message == "Meter W-101 was removed on 2026-09-30; it takes no more readings."


def test_unknown_meter_has_a_message_naming_the_serial():
    p = Problem(Code.unknown_meter, "meter_serial", {"serial": "X-9"})
    assert p.refused
    assert p.message == "There is no meter with serial “X-9” in this compound."
    assert p.to_dict() == {"code": "unknown_meter", "field": "meter_serial", "refused": True, "message": p.message}


def test_a_reading_in_the_future_is_refused_in_the_compounds_time():
    p = only(run("150", at=NOW + FUTURE_TOLERANCE + timedelta(minutes=1)), Code.future)
    assert p.field == "read_at" and p.refused
    assert p.message == "The reading time 2026-11-01 17:11 is in the future."  # 09:11 UTC is 17:11 in Shanghai


def test_a_phone_clock_a_few_minutes_ahead_is_not_the_future():
    assert run("150", at=NOW + FUTURE_TOLERANCE).ok


def test_a_naive_time_is_the_compounds_local_time():
    # 17:11 in Shanghai is 09:11 UTC: eleven minutes ahead, so in the future.
    assert only(run("150", at=datetime(2026, 11, 1, 17, 11)), Code.future)
    assert run("150", at=datetime(2026, 11, 1, 17, 0)).ok


def test_a_reading_before_the_last_is_refused():
    p = only(run("150", at=LAST_AT - timedelta(days=2)), Code.before_last)
    assert p.field == "read_at" and p.refused
    assert p.message == "The reading time 2026-09-30 17:00 is before the last reading (2026-10-02 17:00)."


def test_a_second_reading_at_the_same_time_is_a_duplicate():
    p = only(run("150", at=LAST_AT), Code.duplicate)
    assert p.refused
    assert p.message == "Already entered: the meter has a reading of 100 at 2026-10-02 17:00."


@pytest.mark.parametrize("hours", [-23, -1, 1, 23])
def test_the_same_value_again_within_a_day_is_a_duplicate(hours):
    assert only(run("100", at=LAST_AT + timedelta(hours=hours)), Code.duplicate).refused


def test_the_same_value_a_day_later_is_a_meter_that_did_not_turn():
    v = run("100", at=LAST_AT + timedelta(hours=24))
    assert v.ok and v.consumption == 0


def test_a_lower_value_is_refused_and_the_message_says_what_to_do():
    p = only(run("99.5"), Code.lower_than_previous)
    assert p.field == "value" and p.refused
    assert "99.5 is lower than the previous reading 100 (2026-10-02 17:00)" in p.message
    assert "rollover" in p.message and "replacement" in p.message


def test_a_rollover_that_is_not_lower_is_refused():
    p = only(run("150", rollover=True), Code.rollover_not_lower)
    assert p.refused
    assert p.message == "A rollover was confirmed but 150 is not lower than the previous reading 100."


def test_a_confirmed_rollover_adds_ten_to_the_dials_times_the_multiplier():
    v = run("2", rollover=True, st=state(dials=4, multiplier=40, last_value=9_990_000))
    assert v.ok
    assert v.consumption == (2_000 - 9_990_000 + 10**4 * 1000) * 40 == 480_000


def test_use_far_above_the_meters_average_needs_confirmation():
    # 1 unit a day for 30 days is 30 expected; 100 used is 3.3 times that.
    v = run("200", st=state(avg_daily=Decimal(1000)))
    p = only(v, Code.spike)
    assert not p.refused and Code.spike in CONFIRMABLE
    assert not v.refused and v.consumption == 100_000
    assert p.message == (
        "Use of 100 since the last reading is 3.3 times this meter's recent average "
        "(about 30 expected). Check the dials, then confirm if it is right."
    )
    assert v.unconfirmed({"spike"}) == []
    assert v.unconfirmed(set()) == [p]


@pytest.mark.parametrize(("factor", "flagged"), [("3", False), ("2.5", False), ("2", True), ("1.5", True)])
def test_the_spike_threshold_is_the_compounds_factor(factor, flagged):
    # 75 used where 30 were expected: 2.5 times the average.
    v = run("175", st=state(avg_daily=Decimal(1000)), factor=factor)
    assert [p.code for p in v.problems] == ([Code.spike] if flagged else [])


def test_no_average_means_no_spike():
    assert run("90000").ok


def test_a_refused_reading_is_not_also_called_a_spike():
    v = run("99000", at=NOW + timedelta(days=1), st=state(avg_daily=Decimal(1000)))
    assert [p.code for p in v.problems] == [Code.future]


def test_independent_problems_are_all_reported_at_once():
    v = run("100000", at=NOW + timedelta(hours=1))
    assert [(p.code, p.field) for p in v.problems] == [(Code.too_many_digits, "value"), (Code.future, "read_at")]


def test_the_first_reading_of_a_meter_has_no_consumption():
    v = run("5", st=state(last_value=None, last_at=None))
    assert v.ok and v.value == 5_000 and v.consumption is None and v.period_seconds is None


def test_consumption_and_period_of_a_plain_reading():
    v = run("123.456", st=state(multiplier=80))
    assert v.consumption == 23_456 * 80
    assert v.period_seconds == 30 * 86400
