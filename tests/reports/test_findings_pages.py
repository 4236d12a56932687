"""Findings and work orders through HTTP: the API, the pages, refusals in the reader's language, other compounds."""

import pytest

from tests.factories import make_compound, make_zone
from tests.reports.scenarios import build
from tests.reports.test_findings_scenarios import LEAK_PER_DAY, REPAIRED, monthly_times, scenario


@pytest.fixture
def site(session):
    return build(session, scenario(leak=LEAK_PER_DAY, leak_until=REPAIRED), monthly_times())


def _raise(client, cid: int, period: str) -> dict:
    r = client.post(f"/api/compounds/{cid}/findings/raise?period={period}")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_leak_goes_from_finding_to_a_closed_order_with_its_saving(client_as, site):
    cid = site.compound.id
    plumber = client_as("maintenance")
    me = plumber.get("/api/me").json()["username"]
    assert _raise(plumber, cid, "2025-02..2025-05")["raised"] == 1
    assert _raise(plumber, cid, "2025-05")["raised"] == 0  # again: nothing new
    (finding,) = plumber.get(f"/api/compounds/{cid}/findings").json()
    assert finding["kind"] == "zone_loss_high" and "C-LIVING" in finding["basis"]
    r = plumber.post(
        f"/api/compounds/{cid}/work-orders", json={"kind": "repair_leak", "finding_id": finding["id"], "assignee": me}
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["title"] == "Zone loss rate high" and order["meter_id"] == finding["meter_id"]
    move = f"/api/compounds/{cid}/work-orders/{order['id']}/move"
    assert plumber.post(move, json={"status": "done", "done_note": "x"}).status_code == 409  # open → done refused
    assert plumber.post(move, json={"status": "in_progress"}).status_code == 200
    r = plumber.post(move, json={"status": "done"})
    assert r.status_code == 422 and r.json()["field"] == "done_note"
    r = plumber.post(move, json={"status": "done", "done_note": "Joint replaced", "done_date": "2025-06-15"})
    assert r.status_code == 200, r.text
    saving = r.json()["saving"]
    assert saving["status"] == "measured" and saving["method"] == "adjacent_windows"
    assert plumber.post(move, json={"status": "cancelled"}).status_code == 409  # done is final
    assert plumber.get(f"/api/compounds/{cid}/findings/{finding['id']}").json()["status"] == "resolved"
    events = client_as("manager").get(f"/api/compounds/{cid}/events?start=2025-01-01&end=2026-01-01").json()
    assert [(e["date"], e["kind"]) for e in events] == [("2025-06-15", "leak_repaired")]
    # The repair is on the 24-month loss-rate chart.
    chart = client_as("finance").get(f"/c/{cid}/balance/charts/loss-rate.csv?period=2025-10&utility=water")
    assert chart.status_code == 200 and "2025-06-15,Leak repaired" in chart.text
    assert client_as("finance").get(f"/c/{cid}/balance/charts/loss-rate.png?period=2025-10").status_code == 200


def test_maintenance_sees_its_orders_on_the_phone_list_and_closes_one(client_as, site):
    cid = site.compound.id
    plumber = client_as("maintenance")
    me = plumber.get("/api/me").json()["username"]
    mine = plumber.post(
        f"/api/compounds/{cid}/work-orders",
        json={"kind": "seal_meter", "title": "Seal the meters of block 1", "assignee": me},
    ).json()
    plumber.post(
        f"/api/compounds/{cid}/work-orders", json={"kind": "other", "title": "Another plumber job", "assignee": "x"}
    )
    page = plumber.get(f"/c/{cid}/orders")
    assert page.status_code == 200
    assert "Seal the meters of block 1" in page.text and "Another plumber job" not in page.text
    assert "Another plumber job" in plumber.get(f"/c/{cid}/orders?show=open").text
    plumber.post(f"/c/{cid}/orders/{mine['id']}/move", data={"status": "in_progress"})
    r = plumber.post(f"/c/{cid}/orders/{mine['id']}/move", data={"status": "done", "done_note": ""})
    assert r.status_code == 422 and "Say what was done." in r.text
    r = plumber.post(
        f"/c/{cid}/orders/{mine['id']}/move",
        data={"status": "done", "done_note": "Sealed 20 meters", "done_date": "2025-06-01"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Sealed 20 meters" in plumber.get(f"/c/{cid}/orders/{mine['id']}").text


def test_a_dismissal_without_a_reason_comes_back_in_chinese(client_as, site):
    cid = site.compound.id
    finance = client_as("finance")
    _raise(finance, cid, "2025-03")
    (finding,) = finance.get(f"/api/compounds/{cid}/findings").json()
    r = finance.post(
        f"/c/{cid}/findings/{finding['id']}/dismiss", data={"reason": " "}, headers={"Accept-Language": "zh-CN"}
    )
    assert r.status_code == 422 and "请说明驳回的理由。" in r.text
    r = finance.post(
        f"/c/{cid}/findings/{finding['id']}/dismiss", data={"reason": "Pool filling"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "Pool filling" in finance.get(f"/c/{cid}/findings/{finding['id']}").text


def test_the_managers_page_shows_open_losses_and_savings_in_both_languages(client_as, site):
    cid = site.compound.id
    _raise(client_as("finance"), cid, "2025-03")
    manager = client_as("manager")
    r = manager.get(f"/c/{cid}/findings/summary?year=2025")
    assert r.status_code == 200 and "Losses still open" in r.text and "Zone loss rate high" in r.text
    zh = manager.get(f"/c/{cid}/findings/summary?year=2025", headers={"Accept-Language": "zh-CN"})
    assert "尚未解决的损失" in zh.text and "区域损失率偏高" in zh.text
    totals = manager.get(f"/api/compounds/{cid}/findings-summary?year=2025").json()
    assert totals["open_findings"] == 1
    assert manager.post(f"/api/compounds/{cid}/work-orders", json={"kind": "other", "title": "x"}).status_code == 403


def test_another_compounds_findings_and_orders_answer_404(client_as, session, site):
    cid = site.compound.id
    finance = client_as("finance")
    _raise(finance, cid, "2025-03")
    (finding,) = finance.get(f"/api/compounds/{cid}/findings").json()
    order = finance.post(f"/api/compounds/{cid}/work-orders", json={"kind": "other", "title": "x"}).json()
    other = make_compound(session)
    stranger = client_as("finance", other)
    assert stranger.get(f"/api/compounds/{other.id}/findings/{finding['id']}").status_code == 404
    assert stranger.get(f"/api/compounds/{other.id}/work-orders/{order['id']}").status_code == 404
    assert stranger.get(f"/c/{other.id}/orders/{order['id']}").status_code == 404
    r = stranger.post(
        f"/api/compounds/{other.id}/work-orders", json={"kind": "other", "title": "x", "finding_id": finding["id"]}
    )
    assert r.status_code == 422 and r.json()["field"] == "finding_id"


def test_the_thresholds_are_settings_finance_saves(client_as, site):
    cid = site.compound.id
    finance = client_as("finance")
    r = finance.patch(f"/api/compounds/{cid}/finding-settings", json={"zone_loss_high_fraction": "0.5"})
    assert r.status_code == 200 and r.json()["zone_loss_high_fraction"] in ("0.5", "0.500000")
    assert _raise(finance, cid, "2025-03")["raised"] == 0  # a 25 % loss is under the new 50 %
    r = finance.post(f"/c/{cid}/findings/settings", data={"zone_loss_high_fraction": "abc"})
    assert r.status_code == 422 and "abc" in r.text


def test_a_finding_by_hand_in_a_place_of_another_compound_is_refused_by_its_field(client_as, session, site):
    """The API fuzz found a zone id of no compound reaching the foreign key (a 500 on SQLite)."""
    other = make_compound(session)
    zone = make_zone(session, compound=other)
    finance = client_as("finance")
    url = f"/api/compounds/{site.compound.id}/findings"
    for body, field in (({"zone_id": zone.id}, "zone_id"), ({"building_id": 10**12}, "building_id")):
        r = finance.post(url, json={"note": "seen on the round", **body})
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert finance.post(url, json={"note": "seen on the round"}).status_code == 201
