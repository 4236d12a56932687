"""The finance pages: record a payment (refusals keep what was typed), the receipt, reversal, statement, ageing,
payroll batches and funding requests."""

from datetime import date

import pytest

from billing.setup import ensure_setup
from compound.kit.export import csv_text
from compound.register.models import Account, AccountKind
from tests.billing.ledger_factories import make_bill
from tests.factories import make_account, make_building, make_compound


@pytest.fixture
def desk(session, client_as):
    c = make_compound(session)
    a = make_account(session, compound=c, name="Li Lei")
    b1 = make_bill(session, compound=c, account=a, amount="30.00", month=date(2026, 8, 1))
    b2 = make_bill(session, compound=c, account=a, amount="45.50", month=date(2026, 9, 1))
    return c, a, (b1, b2), client_as("finance", c)


def test_recording_a_payment_on_the_page_leads_to_its_printable_receipt(desk):
    c, a, (b1, b2), client = desk
    form = client.get(f"/c/{c.id}/payments/new?payer={a.code}")
    assert form.status_code == 200 and "75.50" in form.text and f'value="{b2.id}"' in form.text
    r = client.post(
        f"/c/{c.id}/payments/new",
        data={"payer": a.code, "method": "cash", "amount": "50", "received_on": "2026-10-30", "bill_ids": str(b2.id)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    receipt = client.get(r.headers["location"])
    assert "2026-000001" in receipt.text and "伍拾元整" in receipt.text and "45.50" in receipt.text
    assert "@page { size: A4" in receipt.text


def test_a_refused_payment_shows_the_form_again_with_the_reason_and_the_values(desk):
    c, a, _bills, client = desk
    r = client.post(f"/c/{c.id}/payments/new", data={"payer": a.code, "method": "cash", "amount": "12.345"})
    assert r.status_code == 422 and "at most two decimals" in r.text and 'value="12.345"' in r.text
    r = client.post(f"/c/{c.id}/payments/new", data={"payer": "NOPE", "method": "cash", "amount": "1"})
    assert r.status_code == 422 and "There is no account “NOPE”" in r.text


def test_reversing_on_the_receipt_page_needs_a_reason(desk):
    c, a, _bills, client = desk
    r = client.post(
        f"/c/{c.id}/payments/new", data={"payer": a.code, "method": "cash", "amount": "10"}, follow_redirects=False
    )
    pid = r.headers["location"].split("/")[-2]
    assert client.post(f"/c/{c.id}/payments/{pid}/reverse", data={"reason": " "}).status_code == 422
    done = client.post(f"/c/{c.id}/payments/{pid}/reverse", data={"reason": "wrong flat"}, follow_redirects=True)
    assert "REVERSED" in done.text and "wrong flat" in done.text


def test_the_statement_and_ageing_pages(desk):
    c, a, _bills, client = desk
    client.post(f"/c/{c.id}/payments/new", data={"payer": a.code, "method": "cash", "amount": "30"})
    s = client.get(f"/c/{c.id}/accounts/{a.id}/statement?from_date=2026-08-01&to_date=2026-10-31")
    assert s.status_code == 200 and "Opening balance" in s.text and "45.50" in s.text
    assert client.get(f"/c/{c.id}/accounts/{a.id}/statement?from_date=2026-09-01&to_date=2026-08-01").status_code == 422
    page = client.get(f"/c/{c.id}/ageing?as_of=2026-11-01&by=account")
    assert page.status_code == 200 and a.code in page.text and "45.50" in page.text
    assert client.get(f"/c/{c.id}/ageing?by=zone").status_code == 200


def test_the_payroll_page_makes_a_list_and_imports_its_confirmation(desk, session):
    from billing.payments import payroll

    c, a, _bills, client = desk
    payroll.enrol(session, compound=c, account_id=a.id, staff_no="E9")
    assert client.post(f"/c/{c.id}/payroll", data={"month": "2026-10"}, follow_redirects=False).status_code == 303
    batch = payroll.batches(session, compound=c)[0]
    xlsx = client.get(f"/c/{c.id}/payroll/{batch.id}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    row_id = payroll.export_rows(session, compound=c, batch=batch)[0][0]
    data = csv_text(["行号 row", "已扣款 deducted"], [[row_id, "是"]]).encode()
    r = client.post(f"/c/{c.id}/payroll/{batch.id}/confirm", files={"file": ("back.csv", data, "text/csv")})
    assert r.status_code == 200 and "payment recorded" in r.text
    again = client.post(f"/c/{c.id}/payroll/{batch.id}/confirm", files={"file": ("back.csv", data, "text/csv")})
    assert "already recorded" in again.text


def test_the_funding_pages_request_print_and_receive(session, client_as):
    c = make_compound(session)
    fb = session.get(Account, ensure_setup(session, compound_id=c.id).finance_bureau_account_id)
    office = make_account(
        session,
        compound=c,
        kind=AccountKind.office,
        name="District government",
        building=make_building(session, compound=c, name="Main building"),
    )
    make_bill(session, compound=c, account=office, payer=fb, amount="300.00", month=date(2026, 9, 1), official_use=True)
    client = client_as("finance", c)
    r = client.post(f"/c/{c.id}/funding", data={"month": "2026-09"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    letter = client.get(r.headers["location"])
    assert "District government" in letter.text and "Main building" in letter.text and "叁佰元整" in letter.text
    rid = r.headers["location"].split("/")[-2]
    got = client.post(f"/c/{c.id}/funding/{rid}/receive", data={"amount": "300.00"}, follow_redirects=True)
    assert "Transfer recorded" in got.text and "received" in got.text
    assert client.post(f"/c/{c.id}/funding", data={"month": "2026-09"}).status_code == 422
