"""The spike rule's floor (issue 7 item 20): a reading within a day of the last is judged against a whole day's
use, so a re-read minutes later is not a spike; quantities in its message carry their unit."""

from datetime import timedelta

import pytest

from meters.errors import NeedsConfirmation
from meters.models import Utility
from meters.readings.round_sheet import round_sheet
from tests.factories import add_reading, make_building, make_compound, make_meter

DAY = timedelta(days=1)


@pytest.fixture
def meter(session, frozen_now):
    c = make_compound(session)
    b = make_building(session, compound=c)
    m = make_meter(session, compound=c, building=b, utility=Utility.electricity)
    for days, value in ((60, "100"), (30, "190"), (0, "280")):  # 3 kWh a day, last read now
        add_reading(session, compound=c, meter=m, value=value, at=frozen_now - days * DAY)
    return c, b, m


def test_a_reread_minutes_later_is_not_a_spike(session, meter, frozen_now):
    c, b, m = meter
    # 5 kWh in ten minutes: 720 times the minutes' share of the average, but under three days' worth.
    r = add_reading(session, compound=c, meter=m, value="285", at=frozen_now + timedelta(minutes=10))
    assert r.consumption_milli == 5000 and r.confirmed == ""


def test_more_than_the_factor_times_a_days_use_soon_after_is_still_a_spike(session, meter, frozen_now):
    c, b, m = meter
    with pytest.raises(NeedsConfirmation) as e:
        add_reading(session, compound=c, meter=m, value="290", at=frozen_now + timedelta(minutes=10))  # 10 > 3 × 3
    message = e.value.problems[0].message
    assert "Use of 10 kWh since the last reading" in message and "about 3 kWh expected" in message


def test_after_a_day_the_rule_is_the_days_use_as_before(session, meter, frozen_now):
    c, b, m = meter
    with pytest.raises(NeedsConfirmation):
        add_reading(session, compound=c, meter=m, value="300", at=frozen_now + 2 * DAY)  # 20 > 3 × 6


def test_the_sheets_expected_range_allows_a_days_use_right_after_a_reading(session, meter, frozen_now):
    c, b, m = meter
    [row] = round_sheet(session, compound=c, building_id=b.id, now=frozen_now + timedelta(minutes=10))
    assert row.range_text == "280 – 289"  # a day's 3 kWh × 3, rounded up to a whole unit


# The round sheet's smaller things


def test_a_lower_reading_on_the_sheet_links_to_the_replacement_form(client, session, meter, frozen_now):
    c, b, m = meter
    session.commit()
    r = client.post(f"/c/{c.id}/rounds/building/{b.id}", data={f"value_{m.id}": "100", "read_at": "2026-11-01T17:05"})
    assert r.status_code == 422 and "record a replacement" in r.text
    assert f'href="/c/{c.id}/meters/{m.id}?form=replace#replace"' in r.text
    page = client.get(f"/c/{c.id}/meters/{m.id}", params={"form": "replace"}).text
    assert '<details id="replace" open>' in page


def test_the_reader_is_remembered_for_the_next_sheet(client, session, meter, frozen_now):
    c, b, m = meter
    session.commit()
    assert 'name="read_by" value=""' in client.get(f"/c/{c.id}/rounds/building/{b.id}").text
    client.post(
        f"/c/{c.id}/rounds/building/{b.id}",
        data={f"value_{m.id}": "283", "read_at": "2026-11-02T09:00", "read_by": "王师傅"},
    )
    assert 'name="read_by" value="王师傅"' in client.get(f"/c/{c.id}/rounds/building/{b.id}").text


def test_a_buildings_check_meter_comes_before_its_flats_meters(client, session, frozen_now):
    from meters.models import MeterRole

    c = make_compound(session)
    b = make_building(session, compound=c)
    water = make_meter(session, compound=c, building=b, serial="W-101", walk_order=10)
    make_meter(session, compound=c, building=b, serial="E-101", walk_order=11, utility=Utility.electricity)
    make_meter(session, compound=c, building=b, serial="W-B", walk_order=10, role=MeterRole.check)
    rows = round_sheet(session, compound=c, building_id=b.id, now=frozen_now)
    assert [r.serial for r in rows] == ["W-B", "W-101", "E-101"] and water.id == rows[1].meter_id
