"""Finance's billing pages through real HTTP: run a draft, see the exceptions, issue, print, export, adjust."""

import io

import pytest
from openpyxl import load_workbook

from compound.register.models import AccountKind, Payer
from tests.billing.helpers import BEIJING_WATER, OFFICE_WATER_BODY, load, read
from tests.factories import make_account, make_building, make_compound, make_meter
from tests.personas import login, make_user


@pytest.fixture
def finance(app, session, client_as):
    """A logged-in finance clerk's browser (cookie session, CSRF token) and a compound with October's readings."""
    from fastapi.testclient import TestClient

    c = make_compound(session)
    block = make_building(session, compound=c, name="1号楼")
    home = make_account(session, compound=c, building=block, name="王芳")
    office = make_account(
        session, compound=c, kind=AccountKind.office, payer=Payer.finance_bureau, name="区委", building=block
    )
    missed = make_account(session, compound=c, building=block, name="李强")
    for account in (home, office):
        m = make_meter(session, compound=c, account=account)
        read(session, c, m, 10, 2026, 9, 28)
        read(session, c, m, 30, 2026, 10, 28)
    make_meter(session, compound=c, account=missed)
    load(session, c, BEIJING_WATER)
    load(session, c, OFFICE_WATER_BODY)
    user = make_user(session, role="finance", compounds=(c,))
    browser = TestClient(app, raise_server_exceptions=False)
    browser.__enter__()
    login(browser, user.username)
    yield browser, c, block, home
    browser.__exit__(None, None, None)


def _csrf(browser, url):
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', browser.get(url).text).group(1)


def test_run_a_draft_see_exceptions_issue_print_and_export(finance):
    browser, c, block, home = finance
    base = f"/c/{c.id}/billing"
    r = browser.post(
        f"{base}/run", data={"period": "2026-10", "csrf_token": _csrf(browser, base)}, follow_redirects=True
    )
    assert r.status_code == 200 and "2 bills" in r.text and "No reading in the period" in r.text
    r = browser.post(
        f"{base}/2026-10/issue", data={"csrf_token": _csrf(browser, f"{base}/2026-10")}, follow_redirects=True
    )
    assert "bills issued" in r.text
    printed = browser.get(f"{base}/2026-10/notices", params={"building_id": block.id})
    assert (
        printed.status_code == 200 and "水电费缴费通知单" in printed.text and printed.text.count('class="notice"') == 2
    )
    assert "notices.css" in printed.text
    english = browser.get(f"{base}/2026-10/notices", params={"account_id": home.id, "lang": "en"})
    assert "Water and electricity bill notice" in english.text and english.text.count('class="notice"') == 1
    xlsx = browser.get(f"{base}/2026-10/register.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Account" and len([r for r in rows if r and r[0] == "utility"]) == 1
    again = browser.post(f"{base}/2026-10/run", data={"csrf_token": _csrf(browser, f"{base}/2026-10")})
    assert again.status_code == 409 and "adjustment" in again.text


def test_a_refused_adjustment_keeps_what_the_clerk_typed(finance, session):
    import sqlalchemy as sa

    from billing.models import Bill

    browser, c, _block, _home = finance
    base = f"/c/{c.id}/billing"
    browser.post(f"{base}/run", data={"period": "2026-10", "csrf_token": _csrf(browser, base)})
    browser.post(f"{base}/2026-10/issue", data={"csrf_token": _csrf(browser, f"{base}/2026-10")})
    bill_id = session.execute(sa.select(Bill.id).where(Bill.compound_id == c.id).limit(1)).scalar()
    page = f"{base}/bills/{bill_id}"
    r = browser.post(
        f"{page}/adjustments", data={"amount": "12,5x", "reason": "抄表错误", "csrf_token": _csrf(browser, page)}
    )
    assert r.status_code == 422 and "抄表错误" in r.text and "two decimals" in r.text
    r = browser.post(
        f"{page}/adjustments",
        data={"amount": "-12.50", "reason": "抄表错误", "csrf_token": _csrf(browser, page)},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "-12.50" in r.text
