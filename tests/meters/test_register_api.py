"""The meter register's JSON API: 201 on create, 422 naming the field, 404 across compounds, never a 500.

Rows made with the factories are only flushed, and a refused request rolls the test session back; so a test
commits its set-up (a savepoint inside the test's transaction) before it sends a request that should fail.
"""

from datetime import timedelta

import pytest

from meters.models import MeterRole, Utility
from tests.factories import add_reading, make_account, make_compound, make_meter, make_transformer


@pytest.fixture
def c(session):
    compound = make_compound(session)
    session.commit()
    return compound


@pytest.fixture
def api(c):
    return f"/api/compounds/{c.id}"


def _post(client, url: str, body: dict, expect: int = 201) -> dict:
    r = client.post(url, json=body)
    assert r.status_code == expect, r.text
    return r.json()


def _field(r) -> str:
    body = r.json()
    return body.get("field") or body["errors"][0]["field"]


def test_meter_is_created_read_listed_and_patched(client, session, c, api):
    acc = make_account(session, compound=c)
    master = _post(client, f"{api}/meters", {"utility": "water", "serial": "W-MASTER", "role": "utility"})
    flat = _post(
        client,
        f"{api}/meters",
        {
            "utility": "water",
            "serial": "W-1-101",
            "role": "billing",
            "account_id": acc.id,
            "parent_id": master["id"],
            "dials": 5,
        },
    )
    assert (flat["parent_id"], flat["dials"], flat["multiplier"], flat["status"]) == (master["id"], 5, 1, "active")
    assert client.get(f"{api}/meters/{flat['id']}").json()["serial"] == "W-1-101"
    listed = client.get(f"{api}/meters", params={"role": "billing", "account_id": acc.id}).json()["items"]
    assert [m["id"] for m in listed] == [flat["id"]]
    r = client.patch(f"{api}/meters/{flat['id']}", json={"location": "Stairwell, ground floor", "walk_order": 3})
    assert r.status_code == 200 and r.json()["location"] == "Stairwell, ground floor" and r.json()["walk_order"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "landlord"}, "role"),
        ({"utility": "gas"}, "utility"),
        ({"multiplier": -40}, "multiplier"),
        ({"multiplier": 0}, "multiplier"),
        ({"dials": 13}, "dials"),
        ({"dials": 0}, "dials"),
        ({"serial": ""}, "serial"),
        ({"parent_id": 987654321}, "parent_id"),
        ({"role": "billing"}, "account_id"),
        ({"hv_side": True}, "hv_side"),
        ({"building_id": 987654321}, "building_id"),
    ],
)
def test_bad_meter_is_422_naming_the_field(client, api, body, field):
    r = client.post(f"{api}/meters", json={"utility": "water", "serial": "X-1", "role": "check", **body})
    assert r.status_code == 422, r.text
    assert _field(r) == field and r.json()["detail"]


def test_parent_of_another_utility_is_422(client, session, c, api):
    power = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility)
    session.commit()
    r = client.post(f"{api}/meters", json={"utility": "water", "serial": "W-Z", "role": "check", "parent_id": power.id})
    assert r.status_code == 422 and r.json()["field"] == "parent_id"
    assert "electricity" in r.json()["detail"]


def test_duplicate_serial_is_409_naming_serial(client, api):
    _post(client, f"{api}/meters", {"utility": "water", "serial": "DUP", "role": "utility"})
    r = client.post(f"{api}/meters", json={"utility": "water", "serial": "DUP", "role": "utility"})
    assert r.status_code == 409 and r.json()["field"] == "serial"


def test_another_compounds_meter_is_404_everywhere(client, session, api):
    other = make_compound(session)
    foreign = make_meter(session, compound=other, account=make_account(session, compound=other))
    t = make_transformer(
        session,
        compound=other,
        feeder=make_meter(session, compound=other, utility=Utility.electricity, role=MeterRole.utility),
    )
    session.commit()
    for method, path, body in (
        ("get", f"meters/{foreign.id}", None),
        ("patch", f"meters/{foreign.id}", {"location": "x"}),
        ("get", f"meters/{foreign.id}/seals", None),
        ("post", f"meters/{foreign.id}/seals", {"number": "F", "sealed_date": "2026-01-01", "sealed_by": "W"}),
        (
            "post",
            f"meters/{foreign.id}/replacement",
            {"final_value": "1", "new_serial": "N", "new_value": "0", "at": "2026-10-01T08:00:00+08:00"},
        ),
        ("get", f"transformers/{t.id}", None),
    ):
        r = client.request(method, f"{api}/{path}", json=body)
        assert r.status_code == 404, (method, path, r.text)
    assert client.get(f"{api}/meters/4611686018427387905").status_code == 422  # beyond any id: refused, not a 500


def test_meter_list_filter_with_wrong_enum_is_422(client, api):
    r = client.get(f"{api}/meters", params={"status": "broken"})
    assert r.status_code == 422 and _field(r) == "status"


# Transformers and unmetered uses


def test_transformer_with_its_nameplate(client, session, c, api):
    master = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility)
    t = _post(
        client,
        f"{api}/transformers",
        {
            "name": "No. 1",
            "rated_kva": "630",
            "no_load_loss_w": "1200",
            "copper_loss_w": "6200",
            "parent_meter_id": master.id,
        },
    )
    assert t["rated_kva"] in ("630", "630.00")
    r = client.patch(f"{api}/transformers/{t['id']}", json={"copper_loss_w": "6450.5"})
    assert r.status_code == 200 and r.json()["copper_loss_w"] == "6450.5"
    assert [x["name"] for x in client.get(f"{api}/transformers").json()] == ["No. 1"]


def test_transformer_fed_by_a_water_meter_is_422(client, session, c, api):
    water = make_meter(session, compound=c, role=MeterRole.utility)
    session.commit()
    r = client.post(
        f"{api}/transformers",
        json={
            "name": "T",
            "rated_kva": "400",
            "no_load_loss_w": "800",
            "copper_loss_w": "4300",
            "parent_meter_id": water.id,
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "parent_meter_id"
    r = client.post(
        f"{api}/transformers",
        json={
            "name": "T",
            "rated_kva": "-1",
            "no_load_loss_w": "800",
            "copper_loss_w": "4300",
            "parent_meter_id": water.id,
        },
    )
    assert r.status_code == 422 and _field(r) == "rated_kva"


def test_unmetered_use_and_its_estimate_are_labelled_estimated(client, api):
    use = _post(
        client,
        f"{api}/unmetered",
        {
            "utility": "electricity",
            "name": "Courtyard lamps",
            "category": "courtyard_lamps",
            "rule": "lamps",
            "lamp_count": 20,
            "lamp_watts": "60",
            "hours_per_day": "11",
        },
    )
    assert use["estimated"] is True
    r = client.get(f"{api}/unmetered/{use['id']}/estimate", params={"start": "2026-06-01", "end": "2026-07-01"})
    assert r.status_code == 200
    assert r.json() == {
        "unmetered_id": use["id"],
        "start": "2026-06-01",
        "end": "2026-07-01",
        "quantity": "396",
        "unit": "kWh",
        "estimated": True,
    }
    r = client.get(f"{api}/unmetered/{use['id']}/estimate", params={"start": "2026-07-01", "end": "2026-06-01"})
    assert r.status_code == 422 and r.json()["field"] == "end"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule": "lamps", "lamp_count": 20, "lamp_watts": "60"}, "hours_per_day"),
        ({"rule": "lamps", "lamp_watts": "60", "hours_per_day": "11"}, "lamp_count"),
        ({"rule": "area", "area_m2": "100", "utility": "water"}, "litres_per_m2_day"),
        ({"rule": "fixed"}, "fixed_per_month"),
        ({"rule": "guess"}, "rule"),
        ({"rule": "area", "area_m2": "100", "litres_per_m2_day": "2"}, "rule"),  # area is water, not electricity
        ({"rule": "fixed", "fixed_per_month": "-3"}, "fixed_per_month"),
        ({"rule": "lamps", "lamp_count": 2, "lamp_watts": "60", "hours_per_day": "25"}, "hours_per_day"),
        ({"rule": "fixed", "fixed_per_month": "3", "category": "fountain"}, "category"),
    ],
)
def test_unmetered_use_missing_a_rule_figure_is_422_naming_it(client, api, body, field):
    r = client.post(f"{api}/unmetered", json={"utility": "electricity", "name": "Lamps", "category": "other", **body})
    assert r.status_code == 422, r.text
    assert _field(r) == field


# Seals


def test_seal_add_list_break(client, session, c, api):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    session.commit()
    seal = _post(
        client, f"{api}/meters/{m.id}/seals", {"number": "F-0042", "sealed_date": "2026-03-01", "sealed_by": "Lao Wu"}
    )
    assert seal["intact"] is True
    r = client.post(
        f"{api}/meters/{m.id}/seals", json={"number": "F-0043", "sealed_date": "2026-03-02", "sealed_by": "Lao Wu"}
    )
    assert r.status_code == 409 and "F-0042" in r.json()["detail"]
    r = client.post(
        f"{api}/meters/{m.id}/seals/{seal['id']}/break",
        json={"broken_date": "2026-05-10", "broken_by": "Zhao", "note": "Found cut on the round"},
    )
    assert r.status_code == 200 and r.json()["intact"] is False and r.json()["broken_note"] == "Found cut on the round"
    r = client.post(
        f"{api}/meters/{m.id}/seals/{seal['id']}/break", json={"broken_date": "2026-05-11", "broken_by": "Zhao"}
    )
    assert r.status_code == 409
    assert [s["number"] for s in client.get(f"{api}/meters/{m.id}/seals").json()] == ["F-0042"]


def test_seal_of_another_meter_is_404(client, session, c, api):
    acc = make_account(session, compound=c)
    a, b = make_meter(session, compound=c, account=acc), make_meter(session, compound=c, account=acc)
    session.commit()
    seal = _post(
        client, f"{api}/meters/{a.id}/seals", {"number": "F-1", "sealed_date": "2026-03-01", "sealed_by": "Wu"}
    )
    r = client.post(
        f"{api}/meters/{b.id}/seals/{seal['id']}/break", json={"broken_date": "2026-04-01", "broken_by": "Zhao"}
    )
    assert r.status_code == 404 and r.json()["field"] == "seal_id"


def test_seal_in_the_future_is_422(client, session, c, api):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    session.commit()
    r = client.post(
        f"{api}/meters/{m.id}/seals", json={"number": "F-1", "sealed_date": "2030-01-01", "sealed_by": "Wu"}
    )
    assert r.status_code == 422 and r.json()["field"] == "sealed_date"


# Replacement


def test_replacement_returns_both_meters(client, session, c, api, frozen_now):
    m = make_meter(
        session,
        compound=c,
        utility=Utility.electricity,
        account=make_account(session, compound=c),
        serial="E-OLD",
        dials=5,
    )
    add_reading(session, compound=c, meter=m, value="1200", at=frozen_now - timedelta(days=30))
    body = {
        "final_value": "1250.5",
        "new_serial": "E-NEW",
        "new_value": "0",
        "new_multiplier": 40,
        "at": "2026-11-01T10:30:00+08:00",
        "read_by": "Lao Chen",
    }
    r = client.post(f"{api}/meters/{m.id}/replacement", json=body)
    assert r.status_code == 201, r.text
    old, new = r.json()["old_meter"], r.json()["new_meter"]
    assert (old["status"], old["removed_date"]) == ("removed", "2026-11-01")
    assert (new["serial"], new["multiplier"], new["dials"], new["replaces_id"], new["installed_date"]) == (
        "E-NEW",
        40,
        5,
        m.id,
        "2026-11-01",
    )
    active = client.get(f"{api}/meters", params={"status": "active", "utility": "electricity"}).json()["items"]
    assert active[0]["id"] == new["id"]


def test_refused_final_reading_is_422_with_its_problems(client, session, c, api, frozen_now):
    m = make_meter(session, compound=c, account=make_account(session, compound=c), serial="W-OLD")
    add_reading(session, compound=c, meter=m, value="500", at=frozen_now - timedelta(days=30))
    session.commit()
    r = client.post(
        f"{api}/meters/{m.id}/replacement",
        json={"final_value": "400", "new_serial": "W-NEW", "new_value": "0", "at": "2026-11-01T08:00:00+08:00"},
    )
    assert r.status_code == 422
    assert r.json()["problems"][0]["code"] == "lower_than_previous" and r.json()["field"] == "value"
    assert client.get(f"{api}/meters/{m.id}").json()["status"] == "active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at": "2026-11-01T08:00:00"}, "at"),  # no timezone
        ({"new_multiplier": 0}, "new_multiplier"),
        ({"new_dials": 13}, "new_dials"),
        ({"final_value": "lots"}, "final_value"),
    ],
)
def test_bad_replacement_is_422_naming_the_field(client, session, c, api, body, field):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    session.commit()
    r = client.post(
        f"{api}/meters/{m.id}/replacement",
        json={"final_value": "1", "new_serial": "N-1", "new_value": "0", "at": "2026-11-01T08:00:00+08:00", **body},
    )
    assert r.status_code == 422 and _field(r) == field


# The tree


def test_tree_endpoint_nests_and_marks_estimates(client, session, c, api):
    master = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility, serial="E-HV")
    t = make_transformer(session, compound=c, feeder=master, name="No. 2")
    lv = _post(
        client, f"{api}/meters", {"utility": "electricity", "serial": "E-LV2", "role": "check", "transformer_id": t.id}
    )
    _post(
        client,
        f"{api}/unmetered",
        {
            "utility": "electricity",
            "name": "Street lights",
            "category": "street_lights",
            "rule": "lamps",
            "lamp_count": 12,
            "lamp_watts": "150",
            "hours_per_day": "12",
            "parent_meter_id": lv["id"],
        },
    )
    tree = client.get(f"{api}/tree", params={"utility": "electricity"}).json()
    assert (tree[0]["kind"], tree[0]["serial"], tree[0]["role"]) == ("meter", "E-HV", "utility")
    t_node = tree[0]["children"][0]
    assert (t_node["kind"], t_node["name"]) == ("transformer", "No. 2")
    lv_node = t_node["children"][0]
    assert (lv_node["serial"], lv_node["role"]) == ("E-LV2", "check")
    lamp = lv_node["children"][0]
    assert (lamp["kind"], lamp["name"], lamp["estimated"]) == ("unmetered", "Street lights", True)
    assert client.get(f"{api}/tree", params={"utility": "water"}).json() == []


def test_tree_needs_a_known_utility(client, api):
    r = client.get(f"{api}/tree", params={"utility": "steam"})
    assert r.status_code == 422 and _field(r) == "utility"
    r = client.get(f"{api}/tree")
    assert r.status_code == 422 and _field(r) == "utility"
