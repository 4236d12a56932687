"""The "this month" rules with the clock mid-month and across a month's and a year's end (issue 7 item 26).

The suite's clock stands at 09:00 UTC on the 1st, where a month computed in UTC and one computed in the
compound's time (Asia/Shanghai, UTC+8) agree. Here the clock moves to moments where they do not: each
moment says, written by hand, where the compound's month began.
"""

from datetime import UTC, datetime, timedelta

import pytest

from compound.kit import clock
from meters.errors import ReadingRefused
from meters.readings.round_sheet import round_sheet
from meters.readings.service import estimate_reading
from tests.factories import add_reading, make_building, make_compound, make_meter

MINUTE = timedelta(minutes=1)

# (the clock, in UTC) → the start of that moment's month in Shanghai, in UTC
MOMENTS = {
    "mid-month": (datetime(2026, 11, 15, 2, 0, tzinfo=UTC), datetime(2026, 10, 31, 16, 0, tzinfo=UTC)),
    "last minutes of a month": (datetime(2026, 11, 30, 15, 50, tzinfo=UTC), datetime(2026, 10, 31, 16, 0, tzinfo=UTC)),
    # 00:30 on 1 December in Shanghai, still 30 November in UTC.
    "first minutes of a month": (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC)),
    "new year's eve": (datetime(2026, 12, 31, 15, 30, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC)),
    # 00:10 on 1 January 2027 in Shanghai, still 2026 in UTC.
    "first minutes of a year": (datetime(2026, 12, 31, 16, 10, tzinfo=UTC), datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
    "mid-january": (datetime(2027, 1, 16, 4, 0, tzinfo=UTC), datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
}


@pytest.fixture(params=list(MOMENTS), ids=list(MOMENTS))
def moment(request):
    """The clock at one of the moments; yields (now, the compound's month start)."""
    now, month_start = MOMENTS[request.param]
    clock.set_clock(lambda: now)
    yield now, month_start
    clock.set_clock(None)


def _meter_with_history(session, month_start):
    c = make_compound(session)
    b = make_building(session, compound=c)
    m = make_meter(session, compound=c, building=b)
    # Two months of history before this month: enough for an average, none of it this month.
    for days, value in ((70, "100"), (40, "130"), (10, "160")):
        add_reading(session, compound=c, meter=m, value=value, at=month_start - timedelta(days=days))
    return c, b, m


@pytest.mark.parametrize("after_start", [False, True], ids=["just before", "just after"])
def test_the_round_sheet_counts_a_reading_this_month_from_the_compounds_month_start(session, moment, after_start):
    now, month_start = moment
    c, b, m = _meter_with_history(session, month_start)
    at = month_start + MINUTE if after_start else month_start - MINUTE
    if at < now:
        add_reading(session, compound=c, meter=m, value="170", at=at)
    [row] = round_sheet(session, compound=c, building_id=b.id, now=now)
    assert row.read_this_month is (after_start and at < now)


def test_an_estimate_is_refused_after_a_reading_this_month(session, moment):
    now, month_start = moment
    c, b, m = _meter_with_history(session, month_start)
    read_at = month_start + MINUTE
    if read_at >= now:
        pytest.skip("the month began less than a minute ago")
    add_reading(session, compound=c, meter=m, value="170", at=read_at)
    with pytest.raises(ReadingRefused) as e:
        estimate_reading(session, compound=c, meter=m, at=now)
    assert [p.code for p in e.value.problems] == ["read_this_month"]


def test_a_reading_of_last_month_leaves_this_months_estimate_free(session, moment):
    now, month_start = moment
    c, b, m = _meter_with_history(session, month_start)
    add_reading(session, compound=c, meter=m, value="170", at=month_start - MINUTE)
    e = estimate_reading(session, compound=c, meter=m, at=now)
    assert e.read_at == now


def test_the_meter_page_offers_the_estimate_only_when_this_month_has_no_reading(session, moment, client):
    now, month_start = moment
    c, b, m = _meter_with_history(session, month_start)
    add_reading(session, compound=c, meter=m, value="170", at=month_start - MINUTE)
    session.commit()
    page = client.get(f"/c/{c.id}/meters/{m.id}").text
    assert f"/c/{c.id}/meters/{m.id}/estimate" in page
    if month_start + MINUTE < now:
        add_reading(session, compound=c, meter=m, value="171", at=month_start + MINUTE, confirm=("spike",))
        session.commit()
        assert f"/c/{c.id}/meters/{m.id}/estimate" not in client.get(f"/c/{c.id}/meters/{m.id}").text
