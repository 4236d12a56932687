"""The API's refusals of bad input (issue 7 item 20): a body that is not JSON names no field, and validation
messages follow the request's language like the rules' messages do."""

import pytest

from tests.factories import make_compound

pytestmark = pytest.mark.role("admin")


def test_malformed_json_names_no_character_offset_as_the_field(client, session):
    c = make_compound(session)
    session.commit()
    r = client.post(
        f"/api/compounds/{c.id}/zones", content=b'{"name": "x", "kind": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == "body" and all(not e["field"].isdigit() for e in body["errors"])
    assert "not valid JSON" in body["detail"]


def test_validation_messages_follow_accept_language(client, session):
    c = make_compound(session)
    session.commit()
    url = f"/api/compounds/{c.id}/zones"
    english = client.post(url, json={"name": "x" * 101, "kind": "office"})
    assert english.status_code == 422 and "Too long: at most 100 characters" in english.json()["detail"]
    chinese = client.post(url, json={"name": "x" * 101, "kind": "office"}, headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 422 and chinese.json()["field"] == "name"
    assert "100" in chinese.json()["detail"] and "Too long" not in chinese.json()["detail"]
    assert "String should have" not in chinese.json()["detail"]
    bad_json = client.post(
        url, content=b"{", headers={"Content-Type": "application/json", "Accept-Language": "zh-CN"}
    ).json()
    assert "JSON" in bad_json["detail"] and "not valid" not in bad_json["detail"]
