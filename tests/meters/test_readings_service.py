"""Recording readings on the database: the rules in context, rollover, estimates and their superseding."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from compound.kit import i18n
from compound.kit.errors import NotFound
from meters.errors import NeedsConfirmation, ReadingRefused
from meters.models import Meter, MeterStatus, Reading, ReadingSource
from meters.readings.service import (
    consumption_between,
    estimate_reading,
    list_readings,
    load_states,
    missed_meters,
    record_reading,
)
from meters.readings.validation import Code
from tests.factories import add_reading, make_compound, make_meter

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = i18n.get_locale()
    i18n.set_locale("en")
    yield
    i18n.set_locale(before)


def monthly(session: Session, compound, meter: Meter, start: datetime, values: list[str]) -> list:
    """Readings 30 days apart from start."""
    return [
        add_reading(session, compound=compound, meter=meter, value=v, at=start + 30 * DAY * k)
        for k, v in enumerate(values)
    ]


def codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.code.value for p in exc.value.problems]


def test_the_first_reading_is_saved_without_consumption(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    r = record_reading(session, compound=c, meter=m, value="00123.4", read_at=frozen_now, read_by="Li Wei")
    assert (r.value_milli, r.consumption_milli, r.period_seconds) == (123_400, None, None)
    assert (r.source, r.read_by, r.superseded_by_id) == (ReadingSource.manual, "Li Wei", None)


def test_a_naive_read_at_is_the_compounds_local_time(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    r = record_reading(session, compound=c, meter=m, value="1", read_at=datetime(2026, 10, 31, 8, 0))
    session.expire(r)
    assert r.read_at == datetime(2026, 10, 31, 0, 0, tzinfo=UTC)


def test_a_naive_read_at_follows_the_compounds_own_timezone(session, frozen_now):
    c = make_compound(session)
    c.timezone = "Asia/Urumqi"  # UTC+6
    m = make_meter(session, compound=c)
    r = record_reading(session, compound=c, meter=m, value="1", read_at=datetime(2026, 10, 31, 8, 0))
    session.expire(r)
    assert r.read_at == datetime(2026, 10, 31, 2, 0, tzinfo=UTC)


def test_a_reading_on_a_removed_meter_is_refused(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, serial="W-OLD")
    m.status, m.removed_date = MeterStatus.removed, date(2026, 9, 30)
    session.flush()
    with pytest.raises(ReadingRefused) as e:
        record_reading(session, compound=c, meter=m, value="5", read_at=frozen_now)
    assert codes(e) == ["meter_removed"]
    assert e.value.problems[0].message == "Meter W-OLD was removed on 2026-09-30; it takes no more readings."


def test_a_meter_of_another_compound_cannot_be_written_through_this_one(session, frozen_now):
    mine, theirs = make_compound(session), make_compound(session)
    m = make_meter(session, compound=theirs)
    with pytest.raises(NotFound):
        record_reading(session, compound=mine, meter=m, value="5", read_at=frozen_now)


@pytest.mark.parametrize(
    ("value", "shift", "code"),
    [
        ("90", DAY, "lower_than_previous"),
        ("120", -DAY, "before_last"),
        ("100", timedelta(hours=3), "duplicate"),
        ("120", timedelta(0), "duplicate"),
        ("abc", DAY, "not_a_number"),
        ("-1", DAY, "negative"),
        ("100000", DAY, "too_many_digits"),
        ("1.2345", DAY, "too_many_decimals"),
        ("", DAY, "missing_value"),
    ],
)
def test_each_refusal_saves_nothing(session, frozen_now, value, shift, code):
    c = make_compound(session)
    m = make_meter(session, compound=c, dials=5)
    last = add_reading(session, compound=c, meter=m, value="100", at=frozen_now - 10 * DAY)
    with pytest.raises(ReadingRefused) as e:
        record_reading(session, compound=c, meter=m, value=value, read_at=last.read_at + shift)
    assert codes(e) == [code]
    assert e.value.field == e.value.problems[0].field
    assert list_readings(session, compound_id=c.id, meter_id=m.id)[1] == 1


def test_a_reading_in_the_future_is_refused(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    with pytest.raises(ReadingRefused) as e:
        record_reading(session, compound=c, meter=m, value="5", read_at=frozen_now + timedelta(hours=1))
    assert codes(e) == ["future"]


def test_a_spike_needs_confirmation_and_is_saved_once_confirmed(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    monthly(session, c, m, frozen_now - 90 * DAY, ["100", "110", "120"])  # 10 a month
    with pytest.raises(NeedsConfirmation) as e:
        record_reading(session, compound=c, meter=m, value="160", read_at=frozen_now)
    assert codes(e) == ["spike"] and e.value.status_code == 409
    assert "4.0 times" in e.value.problems[0].message
    r = record_reading(session, compound=c, meter=m, value="160", read_at=frozen_now, confirm=["spike"])
    assert (r.consumption_milli, r.confirmed) == (40_000, "spike")


def test_the_spike_threshold_follows_the_compounds_spike_factor(session, frozen_now):
    strict, lenient = make_compound(session, spike_factor="1.5"), make_compound(session, spike_factor="3")
    for c in (strict, lenient):
        m = make_meter(session, compound=c)
        monthly(session, c, m, frozen_now - 90 * DAY, ["100", "110", "120"])
        if c is strict:  # 20 used where 10 were expected: twice the average
            with pytest.raises(NeedsConfirmation):
                record_reading(session, compound=c, meter=m, value="140", read_at=frozen_now)
        else:
            assert record_reading(session, compound=c, meter=m, value="140", read_at=frozen_now).confirmed == ""


def test_changing_the_spike_factor_changes_the_verdict(session, frozen_now):
    c = make_compound(session, spike_factor="3")
    m = make_meter(session, compound=c)
    monthly(session, c, m, frozen_now - 90 * DAY, ["100", "110", "120"])
    c.spike_factor = Decimal("1.2")
    with pytest.raises(NeedsConfirmation):
        record_reading(session, compound=c, meter=m, value="135", read_at=frozen_now)
    c.spike_factor = Decimal("1.6")
    assert record_reading(session, compound=c, meter=m, value="135", read_at=frozen_now).consumption_milli == 15_000


def test_a_short_history_never_calls_a_spike(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    monthly(session, c, m, frozen_now - 10 * DAY, ["100"])
    add_reading(session, compound=c, meter=m, value="101", at=frozen_now - 5 * DAY)
    assert record_reading(session, compound=c, meter=m, value="900", read_at=frozen_now).consumption_milli == 799_000


def test_a_confirmed_rollover_on_a_ct_meter(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, dials=4, multiplier=40)
    add_reading(session, compound=c, meter=m, value="9990", at=frozen_now - 30 * DAY)
    with pytest.raises(ReadingRefused) as e:
        record_reading(session, compound=c, meter=m, value="10", read_at=frozen_now)
    assert codes(e) == ["lower_than_previous"]
    r = record_reading(session, compound=c, meter=m, value="10", read_at=frozen_now, rollover=True)
    assert r.rollover
    assert r.consumption_milli == (10 - 9990 + 10**4) * 40 * 1000 == 800_000


def test_a_rollover_that_is_not_lower_is_refused(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    add_reading(session, compound=c, meter=m, value="10", at=frozen_now - 30 * DAY)
    with pytest.raises(ReadingRefused) as e:
        record_reading(session, compound=c, meter=m, value="20", read_at=frozen_now, rollover=True)
    assert codes(e) == ["rollover_not_lower"]


def test_a_rollover_flag_on_a_first_reading_is_not_kept(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    r = record_reading(session, compound=c, meter=m, value="20", read_at=frozen_now, rollover=True)
    assert not r.rollover and r.consumption_milli is None


# Estimates


def with_history(session: Session, *, multiplier: int = 1, dials: int = 5):
    """A meter read on days -120, -90, -60 with 3 units a day (× multiplier): last real reading 60 days ago,
    on 2026-09-02, so October — the month of most estimates below — has no reading yet."""
    c = make_compound(session)
    m = make_meter(session, compound=c, multiplier=multiplier, dials=dials)
    return c, m, monthly(session, c, m, NOW_ - 120 * DAY, ["1000", "1090", "1180"])


NOW_ = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_an_estimate_comes_from_the_average_daily_use(session, frozen_now):
    c, m, real = with_history(session, multiplier=2)
    e = estimate_reading(session, compound=c, meter=m, at=frozen_now - 10 * DAY)
    assert e.source == ReadingSource.estimated and e.superseded_by_id is None
    # 50 days since 2026-09-02 at 3 dial units a day: 150 on the dials, 300 after the multiplier.
    assert (e.value_milli, e.consumption_milli, e.period_seconds) == (1_330_000, 300_000, 50 * 86400)
    assert e.note == "Estimated from the average daily use"


def test_an_estimate_counts_until_a_real_reading_supersedes_it(session, frozen_now):
    c, m, real = with_history(session)
    window = dict(compound_id=c.id, meter_ids=[m.id], start=real[-1].read_at, end=frozen_now)
    e1 = estimate_reading(session, compound=c, meter=m, at=frozen_now - 20 * DAY)  # 2026-10-12: 40 days, 120
    # November (in Shanghai, 16:00 on the 1st): a month may have one estimate, so the next is the next month's.
    e2 = estimate_reading(session, compound=c, meter=m, at=frozen_now - timedelta(hours=1))
    assert e2.consumption_milli == 59_875  # runs from the estimate before it: 19 days 23 hours at 3 a day
    assert consumption_between(session, **window) == 179_875
    r = record_reading(session, compound=c, meter=m, value="1250", read_at=frozen_now)
    assert r.consumption_milli == 70_000  # from the last real reading, not from the estimates
    assert (e1.superseded_by_id, e2.superseded_by_id) == (r.id, r.id)
    assert consumption_between(session, **window) == 70_000
    assert (
        consumption_between(session, compound_id=c.id, meter_ids=[m.id], start=real[0].read_at, end=frozen_now)
        == 250_000
    )


def test_the_real_reading_after_an_estimate_is_checked_against_the_last_real_one(session, frozen_now):
    c, m, real = with_history(session)
    estimate_reading(session, compound=c, meter=m, at=frozen_now - 10 * DAY)  # 1330
    # Lower than the estimate but above the last real reading: the meter simply turned slower.
    r = record_reading(session, compound=c, meter=m, value="1200", read_at=frozen_now)
    assert r.consumption_milli == 20_000


def test_estimates_do_not_feed_the_average_they_come_from(session, frozen_now):
    c, m, real = with_history(session)
    before = load_states(session, compound_id=c.id, meter_ids=[m.id])[m.id].avg_daily
    estimate_reading(session, compound=c, meter=m, at=frozen_now - 29 * DAY)
    assert load_states(session, compound_id=c.id, meter_ids=[m.id])[m.id].avg_daily == before == 3000
    # An estimate far from the average (made from other history, or by hand) must not move it either:
    # 300 units in 10 days would lift the real 3 a day to 480 / 70 days.
    session.add(
        Reading(
            compound_id=c.id,
            meter_id=m.id,
            read_at=frozen_now - 5 * DAY,
            value_milli=1_780_000,
            consumption_milli=300_000,
            period_seconds=10 * 86400,
            source=ReadingSource.estimated,
        )
    )
    session.flush()
    assert load_states(session, compound_id=c.id, meter_ids=[m.id])[m.id].avg_daily == 3000


def test_an_estimate_that_passes_zero_rolls_the_dials(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, dials=4)
    monthly(session, c, m, frozen_now - 120 * DAY, ["9300", "9600", "9900"])  # 10 a day, last on 2026-09-02
    e = estimate_reading(session, compound=c, meter=m, at=frozen_now - 10 * DAY)  # 50 days: 9900 + 500
    assert e.rollover and e.value_milli == 400_000 and e.consumption_milli == 500_000


def test_an_estimate_needs_history(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, serial="W-NEW")
    add_reading(session, compound=c, meter=m, value="5", at=frozen_now - 30 * DAY)
    with pytest.raises(ReadingRefused) as e:
        estimate_reading(session, compound=c, meter=m, at=frozen_now)
    assert codes(e) == ["too_little_history"] and e.value.field == "meter"
    assert e.value.problems[0].message == (
        "Meter W-NEW has too little history to estimate a reading: it needs real readings covering at least 20 days."
    )


@pytest.mark.parametrize(("shift", "code"), [(-70 * DAY, "before_last"), (timedelta(hours=2), "future")])
def test_an_estimate_must_fall_between_the_last_reading_and_now(session, frozen_now, shift, code):
    c, m, real = with_history(session)
    with pytest.raises(ReadingRefused) as e:
        estimate_reading(session, compound=c, meter=m, at=frozen_now + shift)
    assert codes(e) == [code] and e.value.field == "at"


def test_a_second_estimate_in_the_same_month_is_refused(session, frozen_now):
    c, m, real = with_history(session)
    first = estimate_reading(session, compound=c, meter=m, at=frozen_now - 20 * DAY)  # 2026-10-12
    with pytest.raises(ReadingRefused) as e:
        estimate_reading(session, compound=c, meter=m, at=frozen_now - 12 * DAY)  # 2026-10-20, the same month
    assert codes(e) == ["estimated_this_month"] and e.value.field == "at"
    assert "already has an estimated reading this month (2026-10-12 17:00)" in e.value.problems[0].message
    assert first.superseded_by_id is None


def test_no_estimate_in_a_month_the_meter_was_read(session, frozen_now):
    c, m, real = with_history(session)
    add_reading(session, compound=c, meter=m, value="1300", at=frozen_now - 29 * DAY)  # 2026-10-03
    with pytest.raises(ReadingRefused) as e:
        estimate_reading(session, compound=c, meter=m, at=frozen_now - 10 * DAY)  # 2026-10-22
    assert codes(e) == ["read_this_month"]
    assert "was read this month (2026-10-03 17:00)" in e.value.problems[0].message


def test_no_estimate_for_a_removed_meter(session, frozen_now):
    c, m, real = with_history(session)
    m.status = MeterStatus.removed
    session.flush()
    with pytest.raises(ReadingRefused) as e:
        estimate_reading(session, compound=c, meter=m, at=frozen_now)
    assert codes(e) == [Code.meter_removed.value]


# Listing and the missed-readings rule


def test_readings_are_listed_newest_first_and_paged(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    rs = monthly(session, c, m, frozen_now - 120 * DAY, ["1", "2", "3", "4", "5"])
    page, total = list_readings(session, compound_id=c.id, meter_id=m.id, limit=2, offset=1)
    assert total == 5
    assert [r.id for r in page] == [rs[3].id, rs[2].id]


def test_missed_meters_are_the_active_ones_without_a_real_reading_since(session, frozen_now):
    c = make_compound(session)
    read, estimated, silent, removed = (
        make_meter(session, compound=c, serial=s, walk_order=i)
        for i, s in enumerate(["A-read", "B-est", "C-silent", "D-removed"])
    )
    since = frozen_now - 15 * DAY
    for m in (read, estimated):
        monthly(session, c, m, frozen_now - 120 * DAY, ["10", "20", "30"])
    add_reading(session, compound=c, meter=read, value="35", at=since + DAY)
    estimate_reading(session, compound=c, meter=estimated, at=since + DAY)
    removed.status = MeterStatus.removed
    session.flush()
    rows = missed_meters(session, compound_id=c.id, since=since)
    assert [r.serial for r in rows] == ["B-est", "C-silent"]
    assert (rows[0].last_value, rows[0].last_read_at) == (30_000, frozen_now - 60 * DAY)
    assert (rows[1].last_value, rows[1].last_read_at) == (None, None)
    other = make_compound(session)
    assert missed_meters(session, compound_id=other.id, since=since) == []
