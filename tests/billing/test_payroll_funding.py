"""Payroll deduction batches and the finance bureau's funding requests."""

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from billing.ledger import balance
from billing.payments import funding, payroll
from billing.payments.models import BatchStatus, FundingStatus, Payment
from billing.setup import ensure_setup
from compound.kit.errors import Conflict
from compound.kit.export import csv_text, xlsx_bytes
from compound.register.models import Account, AccountKind
from tests.billing.ledger_factories import make_bill
from tests.conftest import NOW
from tests.factories import make_account, make_building, make_compound

D = Decimal
TODAY = NOW.date()


def _payments(session, c):
    return session.execute(sa.select(sa.func.count()).select_from(Payment).where(Payment.compound_id == c.id)).scalar()


@pytest.fixture
def staff(session):
    c = make_compound(session)
    owing, paid_up, not_enrolled = (make_account(session, compound=c) for _ in range(3))
    for a, amount in ((owing, "88.00"), (paid_up, "0.00"), (not_enrolled, "50.00")):
        if amount != "0.00":
            make_bill(session, compound=c, account=a, amount=amount, month=date(2026, 9, 1))
    payroll.enrol(session, compound=c, account_id=owing.id, staff_no="E-017")
    payroll.enrol(session, compound=c, account_id=paid_up.id)
    return c, owing, paid_up


def _confirmation(rows, answers):
    header = ["行号 row", "户号 account", "户主 name", "工号 staff number", "金额 amount", "已扣款 deducted"]
    return csv_text(header, [[*r[:5], answers.get(r[0], "")] for r in rows]).encode()


def test_the_list_holds_the_enrolled_households_that_owe_with_their_balance(session, staff):
    c, owing, _paid_up = staff
    batch = payroll.make_batch(session, compound=c, month=date(2026, 10, 1))
    rows = payroll.export_rows(session, compound=c, batch=batch)
    assert [(r[1], r[3], r[4]) for r in rows] == [(owing.code, "E-017", D("88.00"))]
    assert payroll.make_batch(session, compound=c, month=date(2026, 10, 15)).id == batch.id  # the same list
    book = load_workbook(io.BytesIO(xlsx_bytes(payroll.HEADER, rows)))
    assert book.active["D2"].value == "E-017"


def test_a_confirmation_records_one_payment_per_deducted_row_and_twice_records_nothing_twice(session, staff):
    c, owing, _ = staff
    batch = payroll.make_batch(session, compound=c, month=date(2026, 10, 1))
    rows = payroll.export_rows(session, compound=c, batch=batch)
    data = _confirmation(rows, {rows[0][0]: "是"})
    first = payroll.import_confirmation(session, compound=c, batch_id=batch.id, data=data, filename="back.csv")
    assert [x.status for x in first] == ["recorded"] and first[0].receipt_no
    assert balance(session, compound=c, payer_id=owing.id, as_of=TODAY) == D("0.00")
    again = payroll.import_confirmation(session, compound=c, batch_id=batch.id, data=data, filename="back.csv")
    assert [x.status for x in again] == ["already"]
    assert _payments(session, c) == 1 and batch.status == BatchStatus.confirmed


def test_not_deducted_rows_and_bad_rows_are_reported_and_record_nothing(session, staff):
    c, owing, _ = staff
    batch = payroll.make_batch(session, compound=c, month=date(2026, 10, 1))
    rows = payroll.export_rows(session, compound=c, batch=batch)
    extra = [[999999, "X", "", "", "1", "是"], [rows[0][0], "", "", "", "", "maybe"]]
    header = ["行号 row", "已扣款 deducted"]
    data = csv_text(header, [[r[0], r[5]] for r in extra] + [[rows[0][0], "否"]]).encode()
    report = payroll.import_confirmation(session, compound=c, batch_id=batch.id, data=data, filename="b.csv")
    assert [x.status for x in report] == ["refused", "refused", "not_deducted"]
    assert _payments(session, c) == 0
    assert balance(session, compound=c, payer_id=owing.id, as_of=TODAY) == D("88.00")


@pytest.fixture
def bureau(session):
    c = make_compound(session)
    fb_id = ensure_setup(session, compound_id=c.id).finance_bureau_account_id
    fb = session.get(Account, fb_id)
    hall = make_building(session, compound=c, name="Auditorium block")
    office = make_account(session, compound=c, kind=AccountKind.office, name="District committee", building=hall)
    bills = [
        make_bill(
            session,
            compound=c,
            account=office,
            payer=fb,
            amount=x,
            month=date(2026, 9, 1),
            utility=u,
            official_use=True,
        )
        for u, x in (("water", "120.00"), ("electricity", "880.50"))
    ]
    return c, fb, bills


def test_a_funding_request_asks_for_the_official_use_once_and_its_transfer_pays_those_bills(session, bureau):
    c, fb, bills = bureau
    req = funding.request_funding(session, compound=c, month=date(2026, 9, 1))
    assert req.amount == D("1000.50") and req.letter_no == "2026-001" and req.status == FundingStatus.requested
    lines = funding.letter_lines(session, compound=c, request=req)
    assert {(x.body, x.place, x.utility, x.amount) for x in lines} == {
        ("District committee", "Auditorium block", "water", D("120.00")),
        ("District committee", "Auditorium block", "electricity", D("880.50")),
    }
    with pytest.raises(Conflict):
        funding.request_funding(session, compound=c, month=date(2026, 9, 1))
    funding.receive_funding(session, compound=c, request_id=req.id, amount=D("1000.50"))
    assert req.status == FundingStatus.received
    assert balance(session, compound=c, payer_id=fb.id, as_of=TODAY) == D("0.00")
    with pytest.raises(Conflict):
        funding.receive_funding(session, compound=c, request_id=req.id, amount=D("1"))
