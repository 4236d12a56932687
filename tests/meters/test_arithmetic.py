"""Consumption over any sequence of readings equals the sum of its parts: rollover, multiplier, exactness."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meters.quantity import MILLI, consumption, fmt, parse_value, rollover_milli, to_decimal
from meters.readings.service import consumption_between, record_reading
from meters.readings.validation import MeterState, check
from tests.factories import make_compound, make_meter

START = datetime(2024, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
NO_SPIKES = Decimal("1e9")


@st.composite
def meter_history(draw, max_readings: int = 12):
    """A meter (dials, multiplier), its first value and steps of (days later, units turned, in thousandths).

    A step may turn the register past zero (a rollover), but never a whole turn or more between two reads.
    """
    dials = draw(st.integers(3, 8))
    multiplier = draw(st.sampled_from([1, 2, 40, 80]))
    limit = rollover_milli(dials)
    first = draw(st.integers(0, limit - 1))
    turned = st.one_of(st.integers(0, limit // 100), st.integers(0, limit - 1))  # mostly small, some wrap
    steps = draw(st.lists(st.tuples(st.integers(1, 90), turned), min_size=1, max_size=max_readings))
    return dials, multiplier, first, steps


def walk(dials: int, first: int, steps: list[tuple[int, int]]):
    """(read_at, value, rollover) of each reading after the first, as a reader would type them."""
    limit = rollover_milli(dials)
    at, value = START, first
    for days, turned in steps:
        at += timedelta(days=days)
        rollover = value + turned >= limit
        value = (value + turned) % limit
        yield at, value, rollover


@given(meter_history(max_readings=40))
def test_the_sum_of_the_parts_is_the_whole(history):
    dials, multiplier, first, steps = history
    state = MeterState(serial="S", dials=dials, multiplier=multiplier, last_value=first, last_at=START)
    parts, rollovers = [], 0
    for at, value, rollover in walk(dials, first, steps):
        verdict = check(state, fmt(value), at, now=FAR_FUTURE, spike_factor=NO_SPIKES, rollover=rollover)
        assert verdict.ok, verdict.problems
        assert verdict.value == value
        parts.append(verdict.consumption)
        rollovers += rollover
        state = replace(state, last_value=value, last_at=at)
    whole = (state.last_value - first + rollovers * 10**dials * MILLI) * multiplier
    assert sum(parts) == whole == sum(turned for _, turned in steps) * multiplier
    assert all(p >= 0 for p in parts)


@given(st.integers(0, 10**12 * MILLI - 1))
def test_values_round_trip_exactly_through_text(milli):
    assert parse_value(fmt(milli)) == milli
    assert parse_value(str(to_decimal(milli))) == milli


@given(st.integers(3, 8), st.sampled_from([1, 2, 40, 80]), st.data())
def test_a_rollover_is_ten_to_the_dials_more_than_the_plain_difference(dials, multiplier, data):
    limit = rollover_milli(dials)
    prev = data.draw(st.integers(1, limit - 1))
    value = data.draw(st.integers(0, prev - 1))
    rolled = consumption(prev, value, dials=dials, multiplier=multiplier, rollover=True)
    plain = consumption(prev, value, dials=dials, multiplier=multiplier, rollover=False)
    assert rolled - plain == 10**dials * MILLI * multiplier
    assert 0 < rolled < limit * multiplier


def test_a_200_5_ct_meter_rolling_over():
    # 4 dials, CT ratio 40: 9,998.5 → 0,001.25 is 2.75 on the dials, 110 kWh.
    assert consumption(9_998_500, 1_250, dials=4, multiplier=40, rollover=True) == 110_000


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=meter_history(max_readings=8), cut=st.data())
def test_recorded_consumption_adds_up_over_any_split(session, frozen_now, history, cut):
    dials, multiplier, first, steps = history
    c = make_compound(session, spike_factor="9999")
    m = make_meter(session, compound=c, dials=dials, multiplier=multiplier)
    at0 = frozen_now - timedelta(days=800)
    record_reading(session, compound=c, meter=m, value=fmt(first), read_at=at0, now=frozen_now)
    times = [at0]
    for at, value, rollover in walk(dials, first, steps):
        at = at0 + (at - START)
        r = record_reading(
            session,
            compound=c,
            meter=m,
            value=str(to_decimal(value)),
            read_at=at,
            rollover=rollover,
            confirm=["spike"],
            now=frozen_now,
        )
        assert r.rollover == rollover
        times.append(at)
    total = sum(turned for _, turned in steps) * multiplier

    def between(a: datetime, b: datetime) -> int:
        return consumption_between(session, compound_id=c.id, meter_ids=[m.id], start=a, end=b)

    assert between(at0 - timedelta(days=1), times[-1]) == total
    a, b, z = sorted(cut.draw(st.lists(st.sampled_from(times), min_size=3, max_size=3)))
    assert between(a, b) + between(b, z) == between(a, z)
    # A boundary between two readings (not on one) splits the same way.
    mid = a + (z - a) / 2 + timedelta(seconds=1)
    assert between(a, mid) + between(mid, z) == between(a, z)
