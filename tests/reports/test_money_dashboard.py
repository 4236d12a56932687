"""The managers' dashboard: three months side by side, kept in the cache until a reading, bill or payment of one
of them changes (and only then)."""

from datetime import date, timedelta

import sqlalchemy as sa

from meters.models import Reading
from reports.money.dashboard import dashboard
from reports.money.models import MoneyCache
from reports.periods import parse_period
from tests.reports.money_site import account, issue, money_site, utility_bill
from tests.reports.scenarios import local, readings_for


def _stamp(session, compound, label="2025-04"):
    return session.execute(
        sa.select(MoneyCache.fingerprint).where(MoneyCache.compound_id == compound.id, MoneyCache.period == label)
    ).scalar_one()


def test_the_dashboard_compares_three_months_and_names_the_largest_causes(session):
    site = money_site(session)
    data, cached = dashboard(session, compound=site.compound, period=parse_period("2025-04"))
    assert not cached
    this, last, ago = (data["columns"][k] for k in ("this", "last", "year_ago"))
    assert (this["period"], last["period"], ago["period"]) == ("2025-04", "2025-03", "2024-04")
    assert this["utility_charges"] == "2002.00" and ago["utility_charges"] == "0.00"
    assert data["largest"][0]["code"] == "unmetered_public_water" and data["largest"][0]["amount"] == "1155.00"
    assert {u["code"]: u["amount"] for u in data["unpaid"]}["unfunded_official_use"] == "35.00"
    # January's bills (due 28 January) are more than 90 days overdue at the end of April.
    assert data["defaulters"]["count"] == 2 and data["defaulters"]["total"] == "126.00"
    assert data["defaulters"]["finance_bureau"] == "35.00"


def test_a_second_visit_comes_from_the_cache(session):
    site = money_site(session)
    april = parse_period("2025-04")
    first, _ = dashboard(session, compound=site.compound, period=april)
    again, cached = dashboard(session, compound=site.compound, period=april)
    assert cached and again == first


def test_a_new_reading_of_the_month_or_a_bill_or_the_register_invalidates(session):
    site = money_site(session)
    april, c = parse_period("2025-04"), site.compound
    dashboard(session, compound=c, period=april)
    before = _stamp(session, c)
    # A reading inside April of F1 (between its readings of 1 April and 1 May), a correction in effect.
    meter = site.meters["F1"]
    session.execute(sa.insert(Reading.__table__), readings_for(meter, [local(date(2025, 4, 15))], [99_999_000]))
    data, cached = dashboard(session, compound=c, period=april)
    assert not cached and _stamp(session, c) != before
    # A bill issued for April.
    stamp = _stamp(session, c)
    issue(session, c, account(session, c, "A-F2"), "10.00", "3", month=date(2025, 4, 1))
    data, cached = dashboard(session, compound=c, period=april)
    assert not cached and data["columns"]["this"]["billed"] == "171.00" and _stamp(session, c) != stamp
    # A utility bill recorded for any month changes the cost of the months around it.
    stamp = _stamp(session, c)
    utility_bill(session, site, 6, 500_000, 190_000)
    session.flush()
    assert not dashboard(session, compound=c, period=april)[1] and _stamp(session, c) != stamp


def test_readings_long_after_the_month_leave_it_cached(session):
    site = money_site(session)
    march, c = parse_period("2025-03"), site.compound
    dashboard(session, compound=c, period=march)
    # Every meter was read on 1 April and again on 1 May: a reading in mid-June touches nothing March draws on.
    meter = site.meters["F1"]
    last = session.execute(
        sa.select(Reading.value_milli).where(Reading.meter_id == meter.id).order_by(Reading.read_at.desc()).limit(1)
    ).scalar_one()
    june = local(date(2025, 6, 1)) + timedelta(days=14)
    session.execute(sa.insert(Reading.__table__), readings_for(meter, [june], [last + 5_000]))
    assert dashboard(session, compound=c, period=march)[1]


def test_the_dashboard_page_in_both_languages(client_as, session):
    site = money_site(session)
    manager = client_as("manager")
    r = manager.get(f"/c/{site.compound.id}/dashboard?period=2025-04")
    assert r.status_code == 200, r.text
    for expected in ("Water loss rate", "Key defaulters", "2025-03", "2024-04", "The zones that lose most",
                     "/money/charts/unfunded?period=2025-04", "Figures worked out just now"):  # fmt: skip
        assert expected in r.text, expected
    again = manager.get(f"/c/{site.compound.id}/dashboard?period=2025-04", headers={"Accept-Language": "zh-CN"})
    assert "管理看板" in again.text and "漏水" in again.text
    assert client_as("maintenance").get(f"/c/{site.compound.id}/dashboard").status_code == 403
