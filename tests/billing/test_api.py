"""The billing API and command line: the same bodies, refusals a clerk understands, no other compound's data."""

import json

import pytest

from billing.models import BillingPeriod
from compound.register.models import AccountKind, Payer
from tests.billing.helpers import BEIJING_WATER, OFFICE_WATER_BODY, load, read
from tests.factories import make_account, make_compound, make_meter

C = "/api/compounds/{}"


@pytest.fixture
def billed(session):
    """A household, a leading body's office paid by the finance bureau, readings for October 2026."""
    c = make_compound(session)
    home = make_account(session, compound=c)
    leading = make_account(session, compound=c, kind=AccountKind.office, payer=Payer.finance_bureau, name="区委")
    for account in (home, leading):
        meter = make_meter(session, compound=c, account=account)
        read(session, c, meter, 10, 2026, 9, 28)
        read(session, c, meter, 30, 2026, 10, 28)
    load(session, c, BEIJING_WATER)
    return c, home, leading


def test_a_tariff_posted_through_the_api_comes_back_the_same(client_as, session):
    c = make_compound(session)
    finance = client_as("finance")
    r = finance.post(C.format(c.id) + "/tariffs", json=OFFICE_WATER_BODY | {"class": "office"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["class"] == "office" and body["components"][0]["blocks"][0]["price"] == "9.5000"
    assert finance.get(C.format(c.id) + "/tariffs").json()[0]["id"] == body["id"]


def test_a_tariff_with_an_unknown_class_is_refused_naming_the_field(client_as, session):
    c = make_compound(session)
    r = client_as("finance").post(C.format(c.id) + "/tariffs", json=OFFICE_WATER_BODY | {"class": "hotel"})
    assert r.status_code == 422 and r.json()["field"] == "class", r.text


def test_run_show_issue_and_the_issued_period_refuses_a_rerun(client_as, billed, session):
    c, home, leading = billed
    finance = client_as("finance")
    r = finance.post(C.format(c.id) + "/bill-runs/2026-10")
    assert r.status_code == 200, r.text
    assert r.json()["bills"] == 2 and r.json()["status"] == "draft"
    listed = finance.get(C.format(c.id) + "/bills", params={"period": "2026-10"}).json()
    by_code = {b["account_code"]: b for b in listed}
    assert set(by_code[home.code]) >= {
        "account_code",
        "payer_code",
        "utility",
        "period",
        "status",
        "quantity",
        "amount",
        "lines",
    }
    assert by_code[home.code]["payer_code"] == home.code
    assert by_code[leading.code]["payer_code"] == "CZJ" and by_code[leading.code]["official_use"] is True
    assert by_code[home.code]["quantity"] == "20.000" and by_code[home.code]["amount"] == "100.00"
    assert finance.post(C.format(c.id) + "/bill-runs/2026-10/issue").status_code == 200
    again = finance.post(C.format(c.id) + "/bill-runs/2026-10")
    assert again.status_code == 409 and "adjustment" in again.json()["detail"], again.text


def test_an_adjustment_goes_to_the_payer_in_the_open_period(client_as, billed, session):
    c, _home, leading = billed
    finance = client_as("finance")
    finance.post(C.format(c.id) + "/bill-runs/2026-10", params={"issue": "true"})
    bill = next(
        b
        for b in finance.get(C.format(c.id) + "/bills", params={"period": "2026-10"}).json()
        if b["account_code"] == leading.code
    )
    r = finance.post(
        C.format(c.id) + f"/bills/{bill['id']}/adjustments", json={"amount": "-12.50", "reason": "表计误差退费"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == "-12.50" and r.json()["period"] == "2026-10"
    shown = finance.get(C.format(c.id) + f"/bills/{bill['id']}").json()
    assert shown["adjustments"][0]["reason"] == "表计误差退费"
    assert (
        finance.post(C.format(c.id) + f"/bills/{bill['id']}/adjustments", json={"amount": "0", "reason": "x"}).json()[
            "field"
        ]
        == "amount"
    )


def test_a_closed_period_refuses_a_run_and_an_adjustment(client_as, billed, session):
    c, _home, _leading = billed
    finance = client_as("finance")
    finance.post(C.format(c.id) + "/bill-runs/2026-10", params={"issue": "true"})
    bill_id = finance.get(C.format(c.id) + "/bills", params={"period": "2026-10"}).json()[0]["id"]
    assert finance.post(C.format(c.id) + "/bill-runs/2026-10/close").status_code == 200
    assert finance.post(C.format(c.id) + "/bill-runs/2026-10").status_code == 409
    assert finance.post(C.format(c.id) + "/bill-runs/2026-10/issue").status_code == 409
    r = finance.post(C.format(c.id) + f"/bills/{bill_id}/adjustments", json={"amount": "1.00", "reason": "x"})
    assert r.status_code == 409, r.text


def test_another_compounds_bill_answers_404(client_as, billed, session):
    c, _home, _leading = billed
    other = make_compound(session)
    finance = client_as("finance", c)
    finance.post(C.format(c.id) + "/bill-runs/2026-10")
    bill_id = finance.get(C.format(c.id) + "/bills", params={"period": "2026-10"}).json()[0]["id"]
    outsider = client_as("finance", other)
    assert outsider.get(C.format(other.id) + f"/bills/{bill_id}").status_code == 404
    assert outsider.get(C.format(c.id) + f"/bills/{bill_id}").status_code == 404


def test_a_bad_period_is_refused_naming_it(client_as, session):
    c = make_compound(session)
    r = client_as("finance").post(C.format(c.id) + "/bill-runs/2026-13")
    assert r.status_code == 422 and r.json()["field"] == "period"
    assert session.query(BillingPeriod).filter_by(compound_id=c.id).count() == 0


def test_bills_show_json_on_the_command_line(tmp_path, monkeypatch):
    from uuid import uuid4

    from sqlmodel import Session
    from typer.testing import CliRunner

    import compound.kit.db
    from compound.shell.cli import app
    from compound.shell.migrate import upgrade

    url = f"sqlite:///{tmp_path}/cli.db"
    upgrade(url)
    engine = compound.kit.db.make_engine(url)
    monkeypatch.setattr(compound.kit.db, "get_engine", lambda: engine)
    with Session(engine, expire_on_commit=False) as s:
        c = make_compound(s)
        c.code = f"B{uuid4().hex[:6]}"
        home = make_account(s, compound=c)
        meter = make_meter(s, compound=c, account=home)
        read(s, c, meter, 10, 2026, 9, 28)
        read(s, c, meter, 30, 2026, 10, 28)
        s.commit()
        code = c.code
    tariff = tmp_path / "beijing.json"
    tariff.write_text(json.dumps({"tariffs": [BEIJING_WATER]}, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["tariffs", "load", str(tariff), "--compound", code])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["bills", "run", "2026-10", "--compound", code, "--issue"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["bills", "show", "2026-10", "--compound", code, "--json"])
    assert r.exit_code == 0, r.output
    (bill,) = json.loads(r.stdout)
    assert (
        bill["account_code"],
        bill["payer_code"],
        bill["utility"],
        bill["period"],
        bill["status"],
        bill["quantity"],
        bill["amount"],
    ) == (home.code, home.code, "water", "2026-10", "issued", "20.000", "100.00")
    assert [(x["kind"], x["component"], x["quantity"], x["price"], x["amount"]) for x in bill["lines"][1:]] == [
        ("block", "water", "20.000", "2.0700", "41.40"),
        ("block", "resource", "20.000", "1.5700", "31.40"),
        ("block", "sewage", "20.000", "1.3600", "27.20"),
    ]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**BEIJING_WATER, "basis": "weekly"}), encoding="utf-8")
    r = runner.invoke(app, ["tariffs", "load", str(bad), "--compound", code])
    assert r.exit_code == 1 and "basis" in r.output
    engine.dispose()
