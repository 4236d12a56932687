"""The round sheet's expected range rests on real readings only, as the spike rule's average does."""

from datetime import timedelta

from meters.models import Reading, ReadingSource
from meters.readings.round_sheet import round_sheet
from tests.factories import add_reading, make_building, make_compound, make_meter

DAY = timedelta(days=1)


def test_an_estimate_does_not_move_the_sheets_expected_range(session, frozen_now):
    c = make_compound(session)
    b = make_building(session, compound=c)
    m = make_meter(session, compound=c, building=b)
    for days, value in ((90, "100"), (60, "190"), (30, "280")):  # 3 a day
        add_reading(session, compound=c, meter=m, value=value, at=frozen_now - days * DAY)
    [before] = round_sheet(session, compound=c, building_id=b.id, now=frozen_now)
    assert before.range_text == "280 – 550"  # 30 days at 3 a day, × the spike factor 3, from 280
    # An estimate far from the average (made by hand, or from other history) stands after the last real reading.
    session.add(
        Reading(
            compound_id=c.id,
            meter_id=m.id,
            read_at=frozen_now - 5 * DAY,
            value_milli=1_280_000,
            consumption_milli=1_000_000,
            period_seconds=25 * 86400,
            source=ReadingSource.estimated,
        )
    )
    session.flush()
    [after] = round_sheet(session, compound=c, building_id=b.id, now=frozen_now)
    assert after.range_text == before.range_text and after.estimate_local
