"""Saving a round sheet at once: the same verdicts as one reading at a time, in a few statements."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compound.audit.models import AuditEntry
from meters.errors import ReadingProblems
from meters.models import Reading, ReadingSource
from meters.readings.service import estimate_reading, record_reading
from meters.readings.sheet_save import SheetEntry, save_sheet
from tests.factories import add_reading, make_compound, make_meter

DAY = timedelta(days=1)


def _history(session, c, m, now, start="100"):
    for k in range(3):  # 1 unit a day, the last on day -60
        add_reading(session, compound=c, meter=m, value=str(int(start) + 30 * k), at=now - (120 - 30 * k) * DAY)


@pytest.fixture
def sheet(session, frozen_now):
    c = make_compound(session)
    meters = [make_meter(session, compound=c, serial=f"S-{i}", dials=4) for i in range(6)]
    for i, m in enumerate(meters):
        _history(session, c, m, frozen_now, start="9900" if i == 3 else "100")  # S-3 is about to pass 9999
    return c, meters


def _readings(session, meter):
    q = sa.select(Reading).where(Reading.meter_id == meter.id).order_by(Reading.read_at, Reading.id)
    return list(session.scalars(q))


def test_a_sheet_saves_the_good_readings_and_reports_each_other_one(session, sheet, frozen_now):
    c, (ok, lower, spike, rolled, bad, confirmed) = sheet
    at = frozen_now - timedelta(minutes=5)
    results = save_sheet(
        session,
        compound=c,
        read_by="王海峰",
        now=frozen_now,
        entries=[
            SheetEntry(ok.id, "220", at),  # 60 days at 1 a day
            SheetEntry(lower.id, "150", at),  # below the last reading, 160
            SheetEntry(spike.id, "900", at),  # 740 in 60 days: a spike to confirm
            SheetEntry(rolled.id, "20", at, rollover=True),  # from 9960 past 9999: 60 in 60 days
            SheetEntry(bad.id, "12a", at),
            SheetEntry(confirmed.id, "900", at, confirm=frozenset({"spike"})),
        ],
    )
    status = {m.serial: results[m.id].status for m in sheet[1]}
    assert status == {
        "S-0": "saved",
        "S-1": "refused",
        "S-2": "confirm",
        "S-3": "saved",
        "S-4": "refused",
        "S-5": "saved",
    }
    assert [p.code for p in results[lower.id].problems] == ["lower_than_previous"]
    assert [p.code for p in results[spike.id].problems] == ["spike"]
    assert [p.code for p in results[bad.id].problems] == ["not_a_number"]
    new = _readings(session, ok)[-1]
    assert (new.id, new.value_milli, new.consumption_milli, new.read_by) == (
        results[ok.id].reading_id,
        220_000,
        60_000,
        "王海峰",
    )
    roll = _readings(session, rolled)[-1]
    assert roll.rollover and roll.consumption_milli == (20 - 9960 + 10_000) * 1000
    assert _readings(session, confirmed)[-1].confirmed == "spike"
    assert len(_readings(session, lower)) == 3 and len(_readings(session, spike)) == 3


def test_a_saved_reading_supersedes_the_meters_estimate_and_is_audited(session, sheet, frozen_now):
    c, meters = sheet
    m = meters[0]
    estimate = estimate_reading(session, compound=c, meter=m, at=frozen_now - 20 * DAY)
    results = save_sheet(session, compound=c, entries=[SheetEntry(m.id, "221", frozen_now)], now=frozen_now)
    session.refresh(estimate)
    assert estimate.superseded_by_id == results[m.id].reading_id
    entry = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "reading", AuditEntry.object_id == str(estimate.superseded_by_id)
        )
    ).one()
    assert entry.action == "create" and entry.compound_id == c.id and '"value_milli": 221000' in entry.after


def test_a_meter_twice_on_one_sheet_is_saved_once(session, sheet, frozen_now):
    c, meters = sheet
    m = meters[0]
    entries = [SheetEntry(m.id, "220", frozen_now), SheetEntry(m.id, "221", frozen_now)]
    results = save_sheet(session, compound=c, entries=entries, now=frozen_now)
    assert results[m.id].status == "saved" and _readings(session, m)[-1].value_milli == 220_000
    assert len(_readings(session, m)) == 4


def test_another_compounds_meter_is_refused_and_nothing_is_written_there(session, sheet, frozen_now):
    c, _ = sheet
    other = make_compound(session)
    foreign = make_meter(session, compound=other)
    results = save_sheet(session, compound=c, entries=[SheetEntry(foreign.id, "5", frozen_now)], now=frozen_now)
    assert results[foreign.id].status == "refused" and _readings(session, foreign) == []


def test_a_400_meter_sheet_takes_a_dozen_statements(session, engine, frozen_now):
    c = make_compound(session)
    meters = [make_meter(session, compound=c, serial=f"B-{i:03d}") for i in range(400)]
    for m in meters:
        add_reading(session, compound=c, meter=m, value="100", at=frozen_now - 40 * DAY)
    statements = []

    def count(*_args):
        statements.append(1)

    conn = session.connection()
    sa.event.listen(conn, "before_cursor_execute", count)
    try:
        results = save_sheet(
            session, compound=c, entries=[SheetEntry(m.id, "110", frozen_now) for m in meters], now=frozen_now
        )
    finally:
        sa.event.remove(conn, "before_cursor_execute", count)
    assert {r.status for r in results.values()} == {"saved"}
    assert len(statements) <= 12, len(statements)


values = st.decimals(min_value=0, max_value=9999, places=3).map(str) | st.sampled_from(["", "abc", "-1", "160", "1e3"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.lists(values, min_size=6, max_size=6), hours=st.lists(st.integers(-2000, 2), min_size=6, max_size=6))
def test_the_sheet_agrees_with_one_reading_at_a_time(session, frozen_now, typed, hours):
    """For any typed values and times, save_sheet saves exactly what record_reading would, with the same values."""
    c = make_compound(session)
    twins = []
    for i in range(6):
        a, b = (make_meter(session, compound=c, serial=f"{side}-{i}", dials=4) for side in "AB")
        _history(session, c, a, frozen_now)
        _history(session, c, b, frozen_now)
        twins.append((a, b))
    entries = [
        SheetEntry(a.id, v, frozen_now + timedelta(hours=h)) for (a, _b), v, h in zip(twins, typed, hours, strict=True)
    ]
    results = save_sheet(session, compound=c, entries=entries, now=frozen_now)
    for (a, b), v, h in zip(twins, typed, hours, strict=True):
        try:
            one = record_reading(
                session, compound=c, meter=b, value=v, read_at=frozen_now + timedelta(hours=h), now=frozen_now
            )
        except ReadingProblems as exc:
            assert results[a.id].status in ("refused", "confirm")
            assert [p.code for p in results[a.id].problems] == [p.code for p in exc.problems]
            continue
        assert results[a.id].status == "saved"
        saved = session.get(Reading, results[a.id].reading_id)
        assert (saved.value_milli, saved.consumption_milli, saved.period_seconds, saved.read_at, saved.source) == (
            one.value_milli,
            one.consumption_milli,
            one.period_seconds,
            one.read_at,
            ReadingSource.manual,
        )
