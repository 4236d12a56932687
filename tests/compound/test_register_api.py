"""The register's JSON API: compounds, zones, buildings, accounts; 422 naming the field, 404 across compounds."""

from uuid import uuid4

import pytest

from compound.kit.errors import Conflict
from compound.register.models import Zone, ZoneKind
from compound.register.service import unique_fallback
from tests.factories import make_building, make_compound, make_zone

pytestmark = pytest.mark.role("admin")  # the register is the administrators'

def _code() -> str:
    return f"C{uuid4().hex[:10]}"


@pytest.fixture
def cid(client) -> int:
    r = client.post("/api/compounds", json={"code": _code(), "name": "District government compound"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _zone(client, cid: int, name: str = "Office area", kind: str = "office") -> dict:
    r = client.post(f"/api/compounds/{cid}/zones", json={"name": name, "kind": kind})
    assert r.status_code == 201, r.text
    return r.json()


def _building(client, cid: int, zone_id: int, name: str = "Block 1") -> dict:
    r = client.post(f"/api/compounds/{cid}/buildings", json={"name": name, "zone_id": zone_id})
    assert r.status_code == 201, r.text
    return r.json()


def test_compound_is_created_listed_and_read(client):
    code = _code()
    r = client.post("/api/compounds", json={"code": code, "name": "Compound A", "spike_factor": "2.5"})
    assert r.status_code == 201
    body = r.json()
    assert body["code"] == code and body["timezone"] == "Asia/Shanghai" and body["spike_factor"] == "2.5"
    assert client.get(f"/api/compounds/{body['id']}").json()["name"] == "Compound A"
    assert code in [c["code"] for c in client.get("/api/compounds").json()]


def test_duplicate_compound_code_is_409_naming_code(client):
    code = _code()
    assert client.post("/api/compounds", json={"code": code, "name": "A"}).status_code == 201
    r = client.post("/api/compounds", json={"code": code, "name": "B"})
    assert r.status_code == 409
    assert r.json()["field"] == "code" and code in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "X1", "name": "A", "timezone": "Mars/Olympus"}, "timezone"),
        ({"code": "X1", "name": ""}, "name"),
        ({"code": "has space", "name": "A"}, "code"),
        ({"code": "X1", "name": "A", "spike_factor": "0.5"}, "spike_factor"),
        ({"code": "X1", "name": "A", "colour": "red"}, "colour"),
    ],
)
def test_bad_compound_is_422_naming_the_field(client, body, field):
    r = client.post("/api/compounds", json=body)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_missing_compound_is_404(client):
    r = client.get("/api/compounds/987654321/zones")
    assert r.status_code == 404 and r.json()["field"] == "compound_id"


def test_zone_create_list_get_patch(client, cid):
    zone = _zone(client, cid, "Living area", "living")
    assert zone["kind"] == "living" and zone["compound_id"] == cid
    _zone(client, cid, "Public places", "public")
    assert [z["name"] for z in client.get(f"/api/compounds/{cid}/zones?kind=living").json()] == ["Living area"]
    r = client.patch(f"/api/compounds/{cid}/zones/{zone['id']}", json={"name": "Living area (north)"})
    assert r.status_code == 200 and r.json()["name"] == "Living area (north)" and r.json()["kind"] == "living"
    assert client.get(f"/api/compounds/{cid}/zones/{zone['id']}").json()["name"] == "Living area (north)"


def test_zone_with_unknown_kind_is_422_naming_kind(client, cid):
    r = client.post(f"/api/compounds/{cid}/zones", json={"name": "Garage", "kind": "parking"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"


def test_duplicate_zone_name_is_409_on_create_and_on_rename(client, cid):
    _zone(client, cid, "Office area")
    other = _zone(client, cid, "Conference area", "conference")
    r = client.post(f"/api/compounds/{cid}/zones", json={"name": "Office area", "kind": "office"})
    assert r.status_code == 409 and r.json()["field"] == "name"
    r = client.patch(f"/api/compounds/{cid}/zones/{other['id']}", json={"name": "Office area"})
    assert r.status_code == 409 and r.json()["field"] == "name"


def test_the_same_zone_name_is_fine_in_another_compound(client, cid, session):
    _zone(client, cid, "Office area")
    other = make_compound(session)
    assert (
        client.post(f"/api/compounds/{other.id}/zones", json={"name": "Office area", "kind": "office"}).status_code
        == 201
    )


def test_patch_with_null_for_a_required_field_is_422(client, cid):
    zone = _zone(client, cid)
    r = client.patch(f"/api/compounds/{cid}/zones/{zone['id']}", json={"name": None})
    assert r.status_code == 422 and r.json()["field"] == "name"


def test_unique_clash_missed_by_the_checks_is_a_conflict_not_a_500(session):
    c = make_compound(session)
    make_zone(session, compound=c, name="Office area")
    with pytest.raises(Conflict) as e, unique_fallback(session, {"name": "taken"}):
        session.add(Zone(compound_id=c.id, name="Office area", kind=ZoneKind.office))
    assert e.value.field == "name"
    session.rollback()


def test_building_in_a_zone(client, cid):
    zone = _zone(client, cid)
    b = _building(client, cid, zone["id"], "Office block A")
    assert b["zone_id"] == zone["id"]
    assert [x["id"] for x in client.get(f"/api/compounds/{cid}/buildings?zone_id={zone['id']}").json()] == [b["id"]]
    zone2 = _zone(client, cid, "Conference area", "conference")
    r = client.patch(f"/api/compounds/{cid}/buildings/{b['id']}", json={"zone_id": zone2["id"]})
    assert r.status_code == 200 and r.json()["zone_id"] == zone2["id"]


def test_building_in_another_compounds_zone_is_422_naming_zone_id(client, cid, session):
    foreign_zone = make_zone(session, compound=make_compound(session))
    r = client.post(f"/api/compounds/{cid}/buildings", json={"name": "B", "zone_id": foreign_zone.id})
    assert r.status_code == 422 and r.json()["field"] == "zone_id"


def test_another_compounds_rows_are_404(client, cid, session):
    other = make_compound(session)
    zone = make_zone(session, compound=other)
    building = make_building(session, compound=other, zone=zone)
    account = client.post(
        f"/api/compounds/{other.id}/accounts", json={"code": "H1", "kind": "household", "name": "Li Wei"}
    ).json()
    for path in (f"zones/{zone.id}", f"buildings/{building.id}", f"accounts/{account['id']}"):
        assert client.get(f"/api/compounds/{cid}/{path}").status_code == 404
        r = client.patch(f"/api/compounds/{cid}/{path}", json={"name": "Stolen"})
        assert r.status_code == 404
    assert client.get(f"/api/compounds/{other.id}/accounts/{account['id']}").json()["name"] == "Li Wei"


def test_office_unit_paid_by_the_finance_bureau(client, cid):
    r = client.post(
        f"/api/compounds/{cid}/accounts",
        json={
            "code": "U-CPPCC",
            "kind": "office",
            "name": "CPPCC office",
            "payer": "finance_bureau",
        },
    )
    assert r.status_code == 201
    assert r.json()["payer"] == "finance_bureau" and r.json()["kind"] == "office"
    listed = client.get(f"/api/compounds/{cid}/accounts?payer=finance_bureau").json()
    assert [a["code"] for a in listed] == ["U-CPPCC"]


def test_household_with_flat_phone_and_dates(client, cid):
    b = _building(client, cid, _zone(client, cid, "Living area", "living")["id"], "Block 2")
    r = client.post(
        f"/api/compounds/{cid}/accounts",
        json={
            "code": "H-2-301",
            "kind": "household",
            "name": "Zhang Min",
            "phone": "13800000000",
            "flat": "2-301",
            "building_id": b["id"],
            "move_in_date": "2019-05-01",
        },
    )
    assert r.status_code == 201
    acc = r.json()
    r = client.patch(f"/api/compounds/{cid}/accounts/{acc['id']}", json={"move_out_date": "2026-06-30"})
    assert r.status_code == 200 and r.json()["move_out_date"] == "2026-06-30" and r.json()["flat"] == "2-301"
    active = client.get(f"/api/compounds/{cid}/accounts?active_on=2026-07-01").json()
    assert acc["code"] not in [a["code"] for a in active]
    assert acc["code"] in [a["code"] for a in client.get(f"/api/compounds/{cid}/accounts?active_on=2026-06-30").json()]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "household", "payer": "finance_bureau"}, "payer"),
        ({"kind": "household", "move_in_date": "2026-05-01", "move_out_date": "2026-04-30"}, "move_out_date"),
        ({"kind": "household", "building_id": 987654321}, "building_id"),
        ({"kind": "tenant"}, "kind"),
        ({"kind": "office", "payer": "mayor"}, "payer"),
        ({"kind": "office", "move_in_date": "yesterday"}, "move_in_date"),
    ],
)
def test_bad_account_is_422_naming_the_field(client, cid, body, field):
    r = client.post(f"/api/compounds/{cid}/accounts", json={"code": "A1", "name": "Someone", **body})
    assert r.status_code == 422, r.text
    named = r.json().get("field") or r.json()["errors"][0]["field"]
    assert named == field
    assert r.json()["detail"]


def test_patch_that_breaks_an_account_rule_is_refused(client, cid):
    acc = client.post(
        f"/api/compounds/{cid}/accounts",
        json={"code": "H9", "kind": "household", "name": "Wang", "move_in_date": "2020-01-01"},
    ).json()
    r = client.patch(f"/api/compounds/{cid}/accounts/{acc['id']}", json={"move_out_date": "2019-12-31"})
    assert r.status_code == 422 and r.json()["field"] == "move_out_date"
    assert client.get(f"/api/compounds/{cid}/accounts/{acc['id']}").json()["move_out_date"] is None


def test_duplicate_account_code_is_409_naming_code(client, cid):
    body = {"code": "H-1-101", "kind": "household", "name": "Liu"}
    assert client.post(f"/api/compounds/{cid}/accounts", json=body).status_code == 201
    r = client.post(f"/api/compounds/{cid}/accounts", json=body)
    assert r.status_code == 409 and r.json()["field"] == "code"


def test_api_is_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/compounds/{compound_id}/accounts/{account_id}" in paths
    assert "/api/compounds/{compound_id}/tree" in paths
