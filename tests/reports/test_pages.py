"""The balance pages, charts and API: who may see them, what they show, forms that save or refuse."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from reports.models import NightFlowTest, UtilityBill
from tests.reports.scenarios import Check, Leaf, Scenario, Unmetered, build, local

TZ = ZoneInfo("Asia/Shanghai")
TIMES = [local(date(2025, m, 1)) for m in (3, 4, 5, 6)]


@pytest.fixture
def site(session):
    s = Scenario(
        leaves=[Leaf("BOILER", 2_000, "Public", own_use=True), Leaf("CONF", 900, "Public")],
        checks=[
            Check(
                "C-LIVING", "Living", [Leaf(f"F{i}", 500 + 10 * i, "Living") for i in range(5)], loss_milli_per_day=300
            )
        ],
        unmetered=[Unmetered("Lawns", D("300"), zone="Public")],
        leak_milli_per_day=6_000,
    )
    return build(session, s, TIMES)


def test_the_balance_page_shows_the_iwa_figures_zones_and_alignment(client_as, site):
    finance = client_as("finance")
    r = finance.get(f"/c/{site.compound.id}/balance?period=2025-04&utility=water")
    assert r.status_code == 200, r.text
    text = r.text
    for expected in (
        "Where the water goes",
        "Billed metered",
        "Real losses (leakage)",
        "C-LIVING",
        "not separately metered",
        "a reading on the boundary",
        "estimated",
        "ILI is not shown",
    ):
        assert expected in text, expected
    assert f"/c/{site.compound.id}/balance/charts/iwa.png?period=2025-04&amp;utility=water" in text


def test_the_balance_page_speaks_chinese(client_as, site):
    r = client_as("manager").get(f"/c/{site.compound.id}/balance?period=2025-04", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200 and "水" in r.text and "实测" in r.text


@pytest.mark.parametrize("name", ["iwa", "flow", "loss-rate", "zones"])
def test_every_chart_comes_as_png_svg_and_csv(client_as, site, name):
    manager = client_as("manager")
    base = f"/c/{site.compound.id}/balance/charts/{name}"
    png = manager.get(f"{base}.png?period=2025-04&utility=water")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = manager.get(f"{base}.svg?period=2025-04&utility=water")
    assert svg.status_code == 200 and b"<svg" in svg.content
    csv = manager.get(f"{base}.csv?period=2025-04&utility=water")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv") and csv.text.count("\n") > 1


def test_maintenance_may_not_see_the_balance_and_finance_may_not_record_night_flow(client_as, site):
    assert client_as("maintenance").get(f"/c/{site.compound.id}/balance").status_code == 403
    assert client_as("finance").get(f"/c/{site.compound.id}/night-flow").status_code == 403


def test_a_bad_period_is_a_422_naming_it(client_as, site):
    r = client_as("finance").get(f"/c/{site.compound.id}/balance?period=2025-14")
    assert r.status_code == 422 and "is not a period" in r.text
    api = client_as("finance").get(f"/api/compounds/{site.compound.id}/balance?period=junk")
    assert api.status_code == 422 and api.json()["field"] == "period"


def test_the_api_gives_the_cli_keys_and_the_details(client_as, site):
    r = client_as("manager").get(f"/api/compounds/{site.compound.id}/balance?period=2025-04&utility=water&details=true")
    assert r.status_code == 200, r.text
    out = r.json()
    # 30 days × (flats 2,600 + boiler 2,000 + conference 900 + the check's loss 300 + lawns 10,000 + leak 6,000
    # thousandths a day) = 654 m³.
    assert out["system_input"] == "654.000" and out["unbilled_metered"] == "60.000"
    assert out["details"]["masters"][0]["alignment"]["days_interpolated"] == "0.00"


def test_the_quick_balance_through_the_api_and_the_page(client_as, site):
    c = client_as("finance")
    r = c.post(
        f"/api/compounds/{site.compound.id}/balance/quick/water",
        content=b'{"system_input": 100.5, "billed_metered": 80}',
    )
    assert r.status_code == 200 and r.json()["real_losses"] == "20.500"
    bad = c.post(f"/api/compounds/{site.compound.id}/balance/quick/water", content=b'{"system_input": "lots"}')
    assert bad.status_code == 422 and bad.json()["field"] == "system_input"
    zh = c.post(
        f"/api/compounds/{site.compound.id}/balance/quick/water",
        content=b'{"bogus": 1}',
        headers={"Accept-Language": "zh-CN"},
    )
    assert zh.status_code == 422 and zh.json()["field"] == "bogus" and "is not a known key" not in zh.json()["detail"]
    page = c.get(f"/c/{site.compound.id}/balance/quick?utility=electricity")
    assert page.status_code == 200 and "transformers" in page.text


def test_finance_enters_a_utility_bill_and_sees_it_beside_the_own_reading(client_as, site, session):
    c = client_as("finance")
    master = site.meters["MASTER"]
    body = {
        "meter_id": master.id,
        "period_start_date": "2025-04-01",
        "period_end_date": "2025-04-30",
        "quantity": "690",
        "amount": "2415.00",
        "lines": [
            {"label": "水费", "quantity": "690", "unit_price": "2.80", "amount": "1932.00"},
            {"label": "污水处理费", "amount": "483.00"},
        ],
    }
    r = c.post(f"/api/compounds/{site.compound.id}/utility-bills", json=body)
    assert r.status_code == 201, r.text
    # Own reading 654 m³; the utility says 690: 36 / 654 = 5.50 % more, beyond the 2 % tolerance.
    assert (r.json()["own_quantity"], r.json()["difference_pct"], r.json()["beyond_tolerance"]) == (
        "654.000",
        "5.50",
        True,
    )
    again = c.post(f"/api/compounds/{site.compound.id}/utility-bills", json=body)
    assert again.status_code == 409
    wrong = c.post(
        f"/api/compounds/{site.compound.id}/utility-bills",
        json={**body, "period_start_date": "2025-05-01", "period_end_date": "2025-05-31", "amount": "2000"},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "lines"
    page = c.get(f"/c/{site.compound.id}/utility-bills")
    assert "beyond the tolerance" in page.text and "污水处理费" in page.text
    balance = c.get(f"/c/{site.compound.id}/balance?period=2025-04")
    assert "beyond the tolerance" in balance.text


def test_the_bill_form_reads_printed_lines(client_as, site, session):
    c = client_as("finance")
    form = {
        "meter_id": str(site.meters["MASTER"].id),
        "period_start_date": "2025-05-01",
        "period_end_date": "2025-05-31",
        "quantity": "700",
        "amount": "100.00",
        "lines": "水费; 700; ; 60.00\n污水处理费; ; ; 40.00",
    }
    r = c.post(f"/c/{site.compound.id}/utility-bills/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert len(session.execute(sa.select(UtilityBill).filter_by(compound_id=site.compound.id)).all()) == 1
    bad = c.post(
        f"/c/{site.compound.id}/utility-bills/new",
        data={**form, "period_start_date": "2025-06-01", "lines": "水费; 700"},
    )
    assert bad.status_code == 422 and "Line 1" in bad.text


def test_maintenance_records_a_night_flow_test_on_the_form(client_as, site, session):
    c = client_as("maintenance")
    master = site.meters["MASTER"]
    form = {
        "meter_id": str(master.id),
        "test_date": "2025-04-15",
        "time_0": "02:00",
        "value_0": "1000.000",
        "time_1": "02:30",
        "value_1": "1000.200",
        "time_2": "03:00",
        "value_2": "1000.350",
        "read_by": "李卫东",
    }
    r = c.post(f"/c/{site.compound.id}/night-flow", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"])
    # Lowest flow: 0.150 m³ in 30 min = 0.3 m³/h; no allowances; × 20 h = 6.0 m³ a day, beside the balance's 6.3.
    assert page.status_code == 200 and "0.300" in page.text and "6.0" in page.text and "6.3" in page.text
    test = session.execute(sa.select(NightFlowTest).filter_by(compound_id=site.compound.id)).scalar_one()
    assert test.test_date == date(2025, 4, 15)
    chart = c.get(r.headers["location"] + "/chart.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")


def test_a_night_reading_outside_the_window_is_refused_beside_the_form(client_as, site):
    c = client_as("maintenance")
    form = {
        "meter_id": str(site.meters["MASTER"].id),
        "test_date": "2025-04-15",
        "time_0": "01:00",
        "value_0": "1",
        "time_1": "02:30",
        "value_1": "2",
    }
    r = c.post(f"/c/{site.compound.id}/night-flow", data=form)
    assert r.status_code == 422 and "night window, 02:00–04:00" in r.text


def test_night_flow_through_the_api(client_as, site):
    c = client_as("maintenance")
    at = [datetime(2025, 4, 20, 2, m, tzinfo=TZ).isoformat() for m in (0, 20, 40)]
    body = {
        "meter_id": site.meters["C-LIVING"].id,
        "readings": [
            {"read_at": at[0], "value": "10"},
            {"read_at": at[1], "value": "10.05"},
            {"read_at": at[2], "value": "10.12"},
        ],
    }
    r = c.post(f"/api/compounds/{site.compound.id}/night-flow-tests", json=body)
    assert r.status_code == 201, r.text
    # 0.05 m³ in 20 minutes = 0.15 m³/h; against the zone meter's loss of 0.3 m³ a day.
    assert r.json()["minimum_night_flow_m3_per_hour"] == "0.150"
    assert r.json()["month_real_losses_per_day_m3"] == "0.300"
    billing = c.post(
        f"/api/compounds/{site.compound.id}/night-flow-tests", json={**body, "meter_id": site.meters["F1"].id}
    )
    assert billing.status_code == 422 and billing.json()["field"] == "meter_id"


def test_settings_change_the_balance(client_as, site, session):
    c = client_as("finance")
    r = c.patch(f"/api/compounds/{site.compound.id}/balance-settings", json={"meter_error_fraction": "0.05"})
    assert r.status_code == 200 and D(r.json()["meter_error_fraction"]) == D("0.05")
    out = c.get(f"/api/compounds/{site.compound.id}/balance?period=2025-04").json()
    assert "apparent_losses" in out["estimated"] and out["apparent_losses"] != "0.000"
    form = c.get(f"/c/{site.compound.id}/balance/settings")
    assert form.status_code == 200 and 'value="0.05' in form.text
    assert client_as("manager").patch(f"/api/compounds/{site.compound.id}/balance-settings", json={}).status_code == 403


def test_own_use_accounts_are_managed_on_a_page(client_as, site, session):
    from compound.register.models import Account

    c = client_as("finance")
    flat = session.execute(sa.select(Account).filter_by(compound_id=site.compound.id, code="A-F1")).scalar_one()
    r = c.post(
        f"/c/{site.compound.id}/balance/unbilled",
        data={"account_id": str(flat.id), "purpose": "own_use"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    out = c.get(f"/api/compounds/{site.compound.id}/balance?period=2025-04").json()
    assert out["unbilled_metered"] == "75.300"  # the boiler's 60 and flat F1's 510 thousandths a day for 30 days


def test_maintenance_edits_the_night_use_allowances(client_as, site):
    c = client_as("maintenance")
    page = c.get(f"/c/{site.compound.id}/night-flow/settings")
    assert page.status_code == 200 and 'value="02:00"' in page.text
    values = {
        "night_start": "01:30",
        "night_end": "03:30",
        "night_people": "1200",
        "night_active_fraction": "0.06",
        "litres_per_person_hour": "10",
        "small_users": "3",
        "litres_per_small_user_hour": "50",
        "exceptional_litres_per_hour": "0",
        "night_day_hours": "18",
        "pressure_profile": "",
        "favad_n1": "1.1",
    }
    r = c.post(f"/c/{site.compound.id}/night-flow/settings", data=values, follow_redirects=False)
    assert r.status_code == 303, r.text
    api = client_as("finance").get(f"/api/compounds/{site.compound.id}/balance-settings").json()
    assert (api["night_start"], api["night_people"], api["night_day_hours"]) == ("01:30", 1200, "18.00")
    bad = c.post(f"/c/{site.compound.id}/night-flow/settings", data={**values, "pressure_profile": "30,30"})
    assert bad.status_code == 422 and "24 numbers" in bad.text
