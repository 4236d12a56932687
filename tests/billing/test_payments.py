"""Recording payments: receipts, allocation (oldest first or picked), part payments, credit, reversals."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.ledger.balances import balance, open_items
from billing.payments.models import PaymentAllocation
from billing.payments.receipts import capitals
from billing.payments.service import NewPayment, allocations_of, record_payment, reverse_payment
from compound.kit.errors import Conflict, InvalidInput
from tests.billing.ledger_factories import make_adjustment, make_bill
from tests.conftest import NOW
from tests.factories import make_account, make_compound

TODAY = NOW.date()
D = Decimal


@pytest.fixture
def house(session):
    c = make_compound(session)
    a = make_account(session, compound=c)
    return c, a


def _pay(session, c, a, amount, **kw):
    return record_payment(
        session, compound=c, data=NewPayment(payer_id=a.id, method=kw.pop("method", "cash"), amount=D(amount), **kw)
    )


def _allocated(session, payment):
    return [
        (x.bill_id, x.amount) for x in allocations_of(session, compound_id=payment.compound_id, payment_id=payment.id)
    ]


def test_receipt_numbers_run_without_a_gap_per_compound_and_year(session, house):
    c, a = house
    other = make_compound(session)
    b = make_account(session, compound=other)
    numbers = [_pay(session, c, a, "1").receipt_no for _ in range(3)]
    assert numbers == ["2026-000001", "2026-000002", "2026-000003"]
    assert _pay(session, other, b, "1").receipt_no == "2026-000001"


def test_a_payment_pays_the_oldest_bill_first_and_a_part_payment_leaves_the_rest(session, house):
    c, a = house
    old = make_bill(session, compound=c, account=a, amount="30.00", month=date(2026, 8, 1))
    new = make_bill(session, compound=c, account=a, amount="50.00", month=date(2026, 9, 1))
    p = _pay(session, c, a, "40.00")
    assert _allocated(session, p) == [(old.id, D("30.00")), (new.id, D("10.00"))]
    assert balance(session, compound=c, payer_id=a.id, as_of=TODAY) == D("40.00")
    assert [(i.bill_id, i.amount) for i in open_items(session, compound=c, as_of=TODAY)] == [(new.id, D("40.00"))]


def test_the_clerk_may_pick_the_bills_and_the_rest_goes_oldest_first(session, house):
    c, a = house
    old = make_bill(session, compound=c, account=a, amount="30.00", month=date(2026, 8, 1))
    new = make_bill(session, compound=c, account=a, amount="50.00", month=date(2026, 9, 1))
    p = _pay(session, c, a, "60.00", bill_ids=(new.id,))
    assert _allocated(session, p) == [(old.id, D("10.00")), (new.id, D("50.00"))]


def test_a_bill_of_another_payer_cannot_be_picked(session, house):
    c, a = house
    other = make_account(session, compound=c)
    theirs = make_bill(session, compound=c, account=other, amount="30.00", month=date(2026, 8, 1))
    with pytest.raises(InvalidInput) as e:
        _pay(session, c, a, "10", bill_ids=(theirs.id,))
    assert e.value.field == "bill_ids"


def test_an_overpayment_is_credit_that_the_next_bill_uses(session, house):
    c, a = house
    first = make_bill(session, compound=c, account=a, amount="30.00", month=date(2026, 8, 1))
    p = _pay(session, c, a, "100.00")
    assert balance(session, compound=c, payer_id=a.id, as_of=TODAY) == D("-70.00")
    nxt = make_bill(session, compound=c, account=a, amount="50.00", month=date(2026, 9, 1))
    # Before any allocation the open items already net the credit against the new bill ...
    assert open_items(session, compound=c, as_of=TODAY) == []
    # ... and the next payment (or billing's issue) allocates it for good.
    from billing.payments.allocation import apply_credit

    apply_credit(session, compound=c, on=TODAY, payers=[a.id])
    assert _allocated(session, p) == [(first.id, D("30.00")), (nxt.id, D("50.00"))]
    assert balance(session, compound=c, payer_id=a.id, as_of=TODAY) == D("-20.00")


def test_a_reversal_makes_the_bill_owed_again_and_cannot_be_repeated(session, house):
    c, a = house
    b = make_bill(session, compound=c, account=a, amount="30.00", month=date(2026, 8, 1))
    p = _pay(session, c, a, "30.00")
    assert balance(session, compound=c, payer_id=a.id, as_of=TODAY) == D("0.00")
    reverse_payment(session, compound=c, payment_id=p.id, reason="bounced transfer")
    assert balance(session, compound=c, payer_id=a.id, as_of=TODAY) == D("30.00")
    assert [(i.bill_id, i.amount) for i in open_items(session, compound=c, as_of=TODAY)] == [(b.id, D("30.00"))]
    with pytest.raises(Conflict):
        reverse_payment(session, compound=c, payment_id=p.id, reason="again")
    with pytest.raises(InvalidInput):
        reverse_payment(session, compound=c, payment_id=_pay(session, c, a, "1").id, reason="  ")


def test_a_credit_note_beyond_what_is_owed_becomes_credit(session, house):
    c, a = house
    b1 = make_bill(session, compound=c, account=a, amount="30.00", month=date(2026, 8, 1))
    _pay(session, c, a, "30.00")
    make_adjustment(session, compound=c, bill=b1, amount="-10.00")
    b2 = make_bill(session, compound=c, account=a, amount="25.00", month=date(2026, 9, 1))
    assert balance(session, compound=c, payer_id=a.id, as_of=TODAY) == D("15.00")
    assert [(i.bill_id, i.amount) for i in open_items(session, compound=c, as_of=TODAY)] == [(b2.id, D("15.00"))]


@pytest.mark.parametrize("amount,field", [("0", "amount"), ("-1", "amount"), ("1.001", "amount")])
def test_a_bad_amount_is_refused_naming_the_field(session, house, amount, field):
    c, a = house
    with pytest.raises(InvalidInput) as e:
        _pay(session, c, a, amount)
    assert e.value.field == field


def test_an_unknown_method_or_a_future_date_is_refused(session, house):
    c, a = house
    with pytest.raises(InvalidInput) as e:
        _pay(session, c, a, "1", method="gold")
    assert e.value.field == "method"
    with pytest.raises(InvalidInput) as e:
        _pay(session, c, a, "1", received_on=date(2027, 1, 1))
    assert e.value.field == "received_on"


def test_allocations_of_a_payment_never_exceed_it(session, house):
    c, a = house
    for m in range(1, 6):
        make_bill(session, compound=c, account=a, amount="7.77", month=date(2026, m, 1))
    p = _pay(session, c, a, "20.00")
    total = session.execute(
        sa.select(sa.func.count()).select_from(PaymentAllocation).where(PaymentAllocation.payment_id == p.id)
    ).scalar_one()
    assert total == 3 and sum(x for _, x in _allocated(session, p)) == D("20.00")


@pytest.mark.parametrize(
    "amount,text",
    [
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("100.05", "壹佰元零伍分"),
        ("10", "壹拾元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("0.3", "叁角整"),
        ("1005.00", "壹仟零伍元整"),
        ("0", "零元整"),
    ],
)
def test_amount_in_chinese_capitals(amount, text):
    assert capitals(D(amount)) == text
