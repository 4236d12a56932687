"""The readings JSON API: entry, confirmation, history, estimates, the missed list; 422/404 and never a 500."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meters.models import MeterStatus
from tests.factories import add_reading, make_compound, make_meter

DAY = timedelta(days=1)
EN = {"Accept-Language": "en"}


@pytest.fixture
def meter_with_history(session, frozen_now):
    """Read monthly for three months, 10 units a month; the last reading two months ago (2026-09-02), so
    October has none yet and may get an estimate."""
    c = make_compound(session)
    m = make_meter(session, compound=c, dials=5, serial="W-1")
    for k, v in enumerate(["100", "110", "120"]):
        add_reading(session, compound=c, meter=m, value=v, at=frozen_now - (120 - 30 * k) * DAY)
    session.commit()  # a savepoint: a refused request rolls back to here, not past the set-up
    return c, m


def url(c, m, tail: str = "readings") -> str:
    return f"/api/compounds/{c.id}/meters/{m.id}/{tail}"


def post(client, c, m, body, tail: str = "readings"):
    return client.post(url(c, m, tail), json=body, headers=EN)


def test_a_reading_is_saved_with_exact_decimal_strings(client, meter_with_history):
    c, m = meter_with_history
    r = post(client, c, m, {"value": "125.125", "read_at": "2026-11-01T16:30:00", "note": "gate locked"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["value"] == "125.125" and body["consumption"] == "5.125"
    assert body["read_at"] == "2026-11-01T16:30:00+08:00"  # naive = the compound's Asia/Shanghai time
    assert (body["source"], body["kind"], body["estimated"], body["superseded"]) == ("manual", "regular", False, False)
    assert body["note"] == "gate locked" and body["meter_id"] == m.id


def test_read_at_omitted_is_now(client, meter_with_history, frozen_now):
    c, m = meter_with_history
    body = post(client, c, m, {"value": "121"}).json()
    assert body["read_at"] == "2026-11-01T17:00:00+08:00"  # frozen_now is 09:00 UTC


def test_a_value_may_be_a_json_number(client, meter_with_history):
    c, m = meter_with_history
    assert post(client, c, m, {"value": 121.5}).json()["value"] == "121.500"


def test_a_refused_reading_is_a_422_with_every_problem(client, meter_with_history):
    c, m = meter_with_history
    r = post(client, c, m, {"value": "100000", "read_at": "2026-11-02T12:00:00+08:00"})
    assert r.status_code == 422
    body = r.json()
    assert (body["error"], body["field"]) == ("ReadingRefused", "value")
    assert body["detail"] == "The reading was not saved."
    assert [(p["code"], p["field"], p["refused"]) for p in body["problems"]] == [
        ("too_many_digits", "value", True),
        ("future", "read_at", True),
    ]
    assert body["problems"][0]["message"] == "This meter has 5 dials: the reading must be below 100000."


def test_a_lower_reading_is_refused_and_saved_as_a_rollover(client, session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, dials=4, multiplier=40)
    add_reading(session, compound=c, meter=m, value="9990", at=frozen_now - 30 * DAY)
    session.commit()
    r = post(client, c, m, {"value": "10"})
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "lower_than_previous"
    r = post(client, c, m, {"value": "10", "rollover": True})
    assert r.status_code == 201 and r.json()["consumption"] == "800.000" and r.json()["rollover"]


def test_a_spike_is_a_409_until_confirmed(client, meter_with_history):
    c, m = meter_with_history
    r = post(client, c, m, {"value": "200"})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "NeedsConfirmation" and body["field"] == "value"
    assert [(p["code"], p["refused"]) for p in body["problems"]] == [("spike", False)]
    r = post(client, c, m, {"value": "200", "confirm": ["spike"]})
    assert r.status_code == 201 and r.json()["confirmed"] == ["spike"] and r.json()["consumption"] == "80.000"


def test_readings_are_listed_newest_first_with_paging(client, meter_with_history):
    c, m = meter_with_history
    page = client.get(url(c, m), params={"limit": 2, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [i["value"] for i in page["items"]] == ["110.000", "100.000"]
    assert page["items"][1]["consumption"] is None


def test_an_estimate_is_flagged_and_then_superseded(client, meter_with_history, frozen_now):
    c, m = meter_with_history
    r = post(client, c, m, {"at": "2026-10-22T17:00:00+08:00"}, tail="estimate")
    assert r.status_code == 201, r.text
    est = r.json()
    assert (est["source"], est["estimated"], est["superseded"]) == ("estimated", True, False)
    assert est["consumption"] == "16.666"  # 10 units in 30 days, for the 50 days since 09-02, in thousandths
    real = post(client, c, m, {"value": "130"}).json()
    assert real["consumption"] == "10.000"
    listed = client.get(url(c, m)).json()["items"]
    assert [(i["id"], i["estimated"], i["superseded"], i["superseded_by_id"]) for i in listed[:2]] == [
        (real["id"], False, False, None),
        (est["id"], True, True, real["id"]),
    ]


def test_the_api_refuses_a_second_estimate_in_the_month(client, meter_with_history, frozen_now):
    c, m = meter_with_history
    assert post(client, c, m, {"at": "2026-10-22T17:00:00+08:00"}, tail="estimate").status_code == 201
    again = post(client, c, m, {"at": "2026-10-29T17:00:00+08:00"}, tail="estimate")
    assert again.status_code == 422
    assert again.json()["problems"][0]["code"] == "estimated_this_month"
    assert [i["estimated"] for i in client.get(url(c, m)).json()["items"]].count(True) == 1


def test_an_estimate_without_enough_history_is_a_422_with_a_reason(client, session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    session.commit()
    r = post(client, c, m, {}, tail="estimate")
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "meter" and body["problems"][0]["code"] == "too_little_history"
    assert "too little history" in body["problems"][0]["message"]


def test_missed_readings_lists_what_the_round_must_still_read(client, session, meter_with_history, frozen_now):
    c, read = meter_with_history
    silent = make_meter(session, compound=c, serial="W-2")
    gone = make_meter(session, compound=c, serial="W-3")
    gone.status = MeterStatus.removed
    add_reading(session, compound=c, meter=read, value="125", at=frozen_now - 2 * DAY)
    session.commit()
    r = client.get(f"/api/compounds/{c.id}/missed-readings", params={"since": "2026-10-25"})
    assert r.status_code == 200
    assert r.json() == {
        "since_date": "2026-10-25",
        "meters": [
            {
                "meter_id": silent.id,
                "serial": "W-2",
                "utility": "water",
                "location": "",
                "building_id": None,
                "zone_id": None,
                "walk_order": 0,
                "last_value": None,
                "last_read_at": None,
            }
        ],
    }
    earlier = client.get(f"/api/compounds/{c.id}/missed-readings", params={"since": "2026-10-31"}).json()
    assert [x["serial"] for x in earlier["meters"]] == ["W-1", "W-2"]
    assert earlier["meters"][0]["last_value"] == "125.000"


def test_missed_readings_default_to_this_month(client, meter_with_history):
    c, _ = meter_with_history
    assert client.get(f"/api/compounds/{c.id}/missed-readings").json()["since_date"] == "2026-11-01"


# Bad input: a 422 naming the field, or a 404; never a 500.


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "yesterday"}, "value"),
        ({"value": "abc"}, "value"),
        ({"value": True}, "value"),
        ({"value": ["1"]}, "value"),
        ({"value": "1", "read_at": "yesterday"}, "read_at"),
        ({"value": "1", "read_at": "0001-01-01T00:00:00"}, "read_at"),
        ({"value": "1", "read_at": 10**20}, "read_at"),
        ({"value": "1", "confirm": "spike"}, "confirm"),
        ({"value": "1", "confirm": ["lower_than_previous"]}, "confirm"),
        ({"value": "1", "confirm": ["nonsense"]}, "confirm"),
        ({"value": "1", "rollover": "perhaps"}, "rollover"),
        ({"value": "1", "note": "x" * 501}, "note"),
        ({"value": "1", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, meter_with_history, body, field):
    c, m = meter_with_history
    r = post(client, c, m, body)
    assert r.status_code == 422, r.text
    got = r.json()
    fields = [got.get("field")] + [e["field"] for e in got.get("errors", [])]
    assert field in fields
    assert got["detail"]


def test_a_body_that_is_not_json_is_a_422(client, meter_with_history):
    c, m = meter_with_history
    r = client.post(url(c, m), content=b"value=1", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_another_compounds_meter_is_not_found(client, session, meter_with_history):
    c, m = meter_with_history
    other = make_compound(session)
    session.commit()
    for method, tail in (("post", "readings"), ("get", "readings"), ("post", "estimate")):
        r = client.request(method, url(other, m, tail), json={"value": "130"})
        assert r.status_code == 404, (method, tail)
        assert r.json()["error"] == "NotFound" and r.json()["field"] == "meter_id"
    assert client.get(url(c, m)).json()["total"] == 3


@pytest.mark.parametrize(
    "path",
    [
        "/api/compounds/999999/meters/1/readings",
        "/api/compounds/{c}/meters/99999999999/readings",
        "/api/compounds/{c}/meters/{m}/readings?limit=0",
        "/api/compounds/{c}/meters/{m}/readings?limit=100000",
        "/api/compounds/{c}/meters/{m}/readings?offset=-1",
        "/api/compounds/{c}/meters/1e99/readings",
        "/api/compounds/{c}/meters/99999999999999999999999/readings",
        "/api/compounds/{c}/missed-readings?since=soon",
        "/api/compounds/{c}/missed-readings?since=0001-01-01",
        "/api/compounds/{c}/missed-readings?since=9999-12-31",
        "/api/compounds/{c}/missed-readings?utility=gas",
    ],
)
def test_bad_paths_and_queries_are_4xx(client, meter_with_history, path):
    c, m = meter_with_history
    r = client.get(path.format(c=c.id, m=m.id))
    assert r.status_code in (404, 422), r.text


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.text(max_size=30),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
reading_body = st.fixed_dictionaries(
    {},
    optional={
        "value": st.one_of(json_value, st.decimals(allow_nan=False, allow_infinity=False).map(str)),
        "read_at": st.one_of(json_value, st.datetimes().map(lambda d: d.isoformat())),
        "rollover": json_value,
        "confirm": st.one_of(json_value, st.lists(st.sampled_from(["spike", "duplicate"]), max_size=2)),
        "note": json_value,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=reading_body)
def test_any_json_body_is_answered_without_a_500(client, meter_with_history, body):
    c, m = meter_with_history
    r = post(client, c, m, body)
    assert r.status_code in (201, 409, 422), (body, r.text)


def test_the_readings_api_is_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    entry = paths["/api/compounds/{compound_id}/meters/{meter_id}/readings"]["post"]
    assert {"201", "409", "422"} <= set(entry["responses"])
    assert "/api/compounds/{compound_id}/meters/{meter_id}/estimate" in paths
    assert "/api/compounds/{compound_id}/missed-readings" in paths
