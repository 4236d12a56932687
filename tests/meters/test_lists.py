"""Big lists (issue 7 item 19): the API's meter list pages with a total and a next link and filters by serial;
the meter list, the accounts list and the zone sheet page and filter; the account picker searches."""

import re

import pytest

from compound.register.models import ZoneKind
from meters.models import MeterRole, Utility
from tests.factories import make_account, make_building, make_compound, make_meter, make_zone


@pytest.fixture
def c(session):
    compound = make_compound(session)
    session.commit()
    return compound


def test_the_meter_list_pages_with_a_total_and_a_next_link(client, session, c):
    for n in range(7):
        make_meter(session, compound=c, serial=f"W-{n:02d}")
    make_meter(session, compound=c, serial="E-01", utility=Utility.electricity)
    session.commit()
    url, seen = f"/api/compounds/{c.id}/meters?utility=water&limit=3", []
    pages = 0
    while url:
        body = client.get(url).json()
        assert body["total"] == 7 and body["limit"] == 3
        seen += [m["serial"] for m in body["items"]]
        url, pages = body["next"], pages + 1
        if url:
            assert "utility=water" in url and "limit=3" in url  # the next page keeps the filters
    assert pages == 3 and seen == [f"W-{n:02d}" for n in range(7)]


def test_the_meter_list_never_stops_silently_at_500(client, session, c):
    for _ in range(3):
        make_meter(session, compound=c)
    session.commit()
    r = client.get(f"/api/compounds/{c.id}/meters", params={"limit": 501})
    assert r.status_code == 422  # more than a page holds is refused, never cut short without a word
    body = client.get(f"/api/compounds/{c.id}/meters").json()
    assert body["total"] == 3 and body["next"] is None


def test_the_meter_list_filters_by_serial_whatever_the_case_and_by_text(client, session, c):
    make_meter(session, compound=c, serial="W-1-1-101", location="1号楼1单元101")
    make_meter(session, compound=c, serial="W-1-1-1010")
    make_meter(session, compound=c, serial="E-1-1-101", utility=Utility.electricity, location="50%_load")
    session.commit()
    api = f"/api/compounds/{c.id}/meters"
    assert [m["serial"] for m in client.get(api, params={"serial": "w-1-1-101"}).json()["items"]] == ["W-1-1-101"]
    found = [m["serial"] for m in client.get(api, params={"q": "1-1-101"}).json()["items"]]
    assert found == ["E-1-1-101", "W-1-1-101", "W-1-1-1010"]
    assert [m["serial"] for m in client.get(api, params={"q": "1单元"}).json()["items"]] == ["W-1-1-101"]
    # The text is searched for as typed: % and _ are not wildcards.
    assert [m["serial"] for m in client.get(api, params={"q": "%_"}).json()["items"]] == ["E-1-1-101"]
    assert client.get(api, params={"q": "x%"}).json()["total"] == 0


def _site(session, c, households=45):
    living = make_zone(session, compound=c, kind=ZoneKind.living, name="Living")
    b1 = make_building(session, compound=c, zone=living, name="Block 1")
    b2 = make_building(session, compound=c, zone=living, name="Block 2")
    for n in range(households):
        b = b1 if n % 3 else b2
        acc = make_account(session, compound=c, building=b, name=f"Household {n:03d}")
        make_meter(session, compound=c, building=b, account=acc, serial=f"W-{n:03d}", walk_order=n)
        make_meter(
            session,
            compound=c,
            building=b,
            account=acc,
            serial=f"E-{n:03d}",
            utility=Utility.electricity,
            walk_order=n,
        )
    session.commit()
    return living, b1, b2


def _serials(html: str) -> list[str]:
    return re.findall(r">([WE]-\d{3})<", html)


def test_the_meter_page_list_pages_and_filters(client, session, c):
    living, b1, b2 = _site(session, c)
    page = client.get(f"/c/{c.id}/register/meters").text
    assert len(_serials(page)) == 30 and "1–30 of 90" in page
    second = client.get(f"/c/{c.id}/register/meters", params={"page": 2}).text
    assert len(_serials(second)) == 30 and "31–60 of 90" in second
    assert not set(_serials(page)) & set(_serials(second))
    only = client.get(f"/c/{c.id}/register/meters", params={"building_id": b2.id, "utility": "water", "q": "W-00"}).text
    assert _serials(only) == ["W-000", "W-003", "W-006", "W-009"] and "1–4 of 4" in only
    # The filter form shows what was asked, so the next page and a reload keep it.
    assert f'<option value="{b2.id}" selected>' in only and 'value="W-00"' in only
    assert "page=2" not in only


def test_the_accounts_list_pages_and_filters(client, session, c):
    living, b1, b2 = _site(session, c)
    page = client.get(f"/c/{c.id}/accounts", params={"kind": "household"}).text
    assert page.count("Household 0") == 30 and "1–30 of 45" in page
    found = client.get(f"/c/{c.id}/accounts", params={"kind": "household", "q": "household 04"}).text
    assert found.count("Household 04") == 5 and "1–5 of 5" in found
    in_block = client.get(f"/c/{c.id}/accounts", params={"building_id": b2.id}).text
    assert "1–15 of 15" in in_block


def test_the_zone_sheet_pages_and_filters(client, session, c):
    living, b1, b2 = _site(session, c)
    sheet = client.get(f"/c/{c.id}/rounds/zone/{living.id}").text
    assert len(set(_serials(sheet))) == 40 and "1–40 of 90" in sheet
    assert sheet.count('name="value_') == 40
    water_b2 = client.get(f"/c/{c.id}/rounds/zone/{living.id}", params={"building_id": b2.id, "utility": "water"}).text
    assert "1–15 of 15" in water_b2 and all(s.startswith("W-") for s in _serials(water_b2))
    one = client.get(f"/c/{c.id}/rounds/zone/{living.id}", params={"q": "e-044"}).text
    assert set(_serials(one)) == {"E-044"}


@pytest.mark.role("admin")
def test_the_account_picker_searches_instead_of_listing_every_account(client, session, c):
    living, b1, b2 = _site(session, c)
    form = client.get(f"/c/{c.id}/register/meters/new").text
    # A text input with suggestions, not a select of every account.
    assert '<select name="account_id"' not in form and 'list="options-account_id"' in form


def test_the_meter_form_takes_the_account_by_its_code(session, c, app):
    from fastapi.testclient import TestClient
    from sqlmodel import select

    from meters.models import Meter
    from tests.personas import login, make_user

    living, b1, b2 = _site(session, c, households=3)
    acc = make_account(session, compound=c, name="Zhang San", building=b1)
    make_user(session, role="admin", compounds=[c], username="clerk.picker")
    session.commit()
    with TestClient(app) as browser:
        csrf = login(browser, "clerk.picker")
        url = f"/c/{c.id}/register/meters/new?utility=water"
        form = {
            "csrf_token": csrf,
            "serial": "W-NEW",
            "role": "billing",
            "multiplier": "1",
            "dials": "6",
            "walk_order": "0",
            "building_id": str(b1.id),
        }
        bad = browser.post(url, data={**form, "account_id": "NO-SUCH"}, follow_redirects=False)
        assert bad.status_code == 422 and "There is no account with code NO-SUCH" in bad.text
        assert 'value="NO-SUCH"' in bad.text
        ok = browser.post(url, data={**form, "account_id": f"{acc.code.lower()} · Zhang San"}, follow_redirects=False)
        assert ok.status_code == 303, ok.text
        meter = session.exec(select(Meter).where(Meter.serial == "W-NEW")).one()
        assert meter.account_id == acc.id and meter.role == MeterRole.billing
        edit = browser.get(f"/c/{c.id}/register/meters/{meter.id}/edit").text
        assert f'value="{acc.code} · Zhang San"' in edit
