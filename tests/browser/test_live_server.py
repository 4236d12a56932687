"""Refusals through a real server: error pages are drawn after the request's session is closed."""

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.personas import PASSWORD


@pytest.fixture
def client(site) -> Iterator[httpx.Client]:
    """The site's reader (maintenance), logged in through the real form."""
    with httpx.Client(base_url=site.base, headers={"Accept-Language": "en"}) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"username": site.username, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303
        yield c


def test_a_refused_page_is_an_error_page_not_a_500(client, site):
    r = client.get("/audit")  # a maintenance reader may not read the audit trail
    assert r.status_code == 403 and "Your role may not do this" in r.text and "Log out" in r.text  # menu drawn
    r = client.get(f"/c/{site.compound_id + 10**6}/")
    assert r.status_code == 404 and "No such compound" in r.text
    r = client.post("/account/tokens", data={"name": "no csrf"})
    assert r.status_code == 403


def test_a_refused_api_call_is_json(client):
    r = client.get("/api/users")
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"
