"""Payments through the API: the Idempotency-Key, reversal, balance, statement and ageing, roles and compounds."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.payments.models import Payment
from tests.billing.ledger_factories import make_bill
from tests.factories import make_account, make_compound


@pytest.fixture
def setup(session, client_as):
    c = make_compound(session)
    a = make_account(session, compound=c)
    bill = make_bill(session, compound=c, account=a, amount="80.00", month=date(2026, 9, 1))
    return c, a, bill, client_as("finance", c)


def _url(c, tail=""):
    return f"/api/compounds/{c.id}/payments{tail}"


def _count(session, c):
    return session.execute(sa.select(sa.func.count()).select_from(Payment).where(Payment.compound_id == c.id)).scalar()


def test_a_payment_is_recorded_with_its_receipt_and_allocation(setup, session):
    c, a, bill, client = setup
    r = client.post(_url(c), json={"payer_id": a.id, "method": "wechat_pay", "amount": "50"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["receipt_no"] == "2026-000001" and body["amount"] == "50.00" and body["source"] == "api"
    assert [(x["bill_id"], x["amount"]) for x in body["allocations"]] == [(bill.id, "50.00")]
    assert client.get(f"/api/compounds/{c.id}/accounts/{a.id}/balance").json()["balance"] == "30.00"


def test_the_same_key_and_body_returns_the_first_answer_and_records_once(setup, session):
    c, a, _bill, client = setup
    body = {"payer_id": a.id, "method": "cash", "amount": "10"}
    first = client.post(_url(c), json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post(_url(c), json={**body, "amount": "10.00"}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(session, c) == 1


def test_the_same_key_with_a_different_body_is_refused(setup, session):
    c, a, _bill, client = setup
    client.post(_url(c), json={"payer_id": a.id, "method": "cash", "amount": "10"}, headers={"Idempotency-Key": "k"})
    r = client.post(
        _url(c), json={"payer_id": a.id, "method": "cash", "amount": "11"}, headers={"Idempotency-Key": "k"}
    )
    assert r.status_code == 409 and r.json()["field"] == "Idempotency-Key"
    assert _count(session, c) == 1


def test_a_refused_payment_keeps_no_key_so_the_corrected_retry_goes_through(setup, session):
    c, a, _bill, client = setup
    bad = client.post(
        _url(c), json={"payer_id": a.id, "method": "gold", "amount": "10"}, headers={"Idempotency-Key": "k2"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "method"
    good = client.post(
        _url(c), json={"payer_id": a.id, "method": "cash", "amount": "10"}, headers={"Idempotency-Key": "k2"}
    )
    assert good.status_code == 201


def test_a_reversal_through_the_api_and_twice_is_409(setup, session):
    c, a, _bill, client = setup
    pid = client.post(_url(c), json={"payer_id": a.id, "method": "cash", "amount": "80"}).json()["id"]
    r = client.post(_url(c, f"/{pid}/reversal"), json={"reason": "typed the wrong household"})
    assert r.status_code == 201 and r.json()["reversal"]["reason"] == "typed the wrong household"
    assert client.post(_url(c, f"/{pid}/reversal"), json={"reason": "again"}).status_code == 409
    assert client.get(f"/api/compounds/{c.id}/accounts/{a.id}/balance").json()["balance"] == "80.00"


def test_statement_and_ageing_through_the_api(setup, session):
    c, a, bill, client = setup
    client.post(_url(c), json={"payer_id": a.id, "method": "cash", "amount": "30"})
    s = client.get(f"/api/compounds/{c.id}/accounts/{a.id}/statement", params={"from_date": "2026-09-01"}).json()
    assert s["opening"] == "0.00" and s["closing"] == "50.00"
    assert [(x["kind"], x["debit"], x["credit"]) for x in s["lines"]] == [
        ("bill", "80.00", "0.00"),
        ("payment", "0.00", "30.00"),
    ]
    ag = client.get(f"/api/compounds/{c.id}/ageing", params={"as_of": "2026-11-01", "by": "payer"}).json()
    assert ag["totals"]["total"] == "50.00" and ag["rows"][0]["buckets"]["31-60"] == "50.00"


def test_another_compounds_payer_or_payment_is_not_found(setup, session, client_as):
    c, a, _bill, client = setup
    other = make_compound(session)
    b = make_account(session, compound=other)
    r = client.post(_url(c), json={"payer_id": b.id, "method": "cash", "amount": "1"})
    assert r.status_code == 422 and r.json()["field"] == "payer_id"
    theirs = client_as("finance", other).post(_url(other), json={"payer_id": b.id, "method": "cash", "amount": "1"})
    assert client.get(_url(other, f"/{theirs.json()['id']}")).status_code == 404
    assert client.get(_url(c, f"/{theirs.json()['id']}")).status_code == 404
