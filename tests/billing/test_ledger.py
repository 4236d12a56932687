"""The ledger: balances as sums of entries, statements, ageing by group, payment habits."""

from datetime import date
from decimal import Decimal

import pytest

from billing.ledger import AgeBy, Habit, ageing, balances, habits, open_items, statement
from billing.payments.models import Payment
from billing.payments.service import NewPayment, record_payment, reverse_payment
from compound.kit import clock
from tests.billing.ledger_factories import make_adjustment, make_bill
from tests.conftest import NOW
from tests.factories import make_account, make_building, make_compound, make_zone

D = Decimal


def _pay(session, c, a, amount, on):
    return record_payment(
        session, compound=c, data=NewPayment(payer_id=a.id, method="cash", amount=D(amount), received_on=on)
    )


def test_balance_as_of_a_day_counts_only_what_happened_by_its_end(session):
    c = make_compound(session)
    a = make_account(session, compound=c)
    make_bill(session, compound=c, account=a, amount="40.00", month=date(2026, 7, 1))  # issued 2026-07-28
    _pay(session, c, a, "15.00", date(2026, 8, 10))
    assert balances(session, compound=c, as_of=date(2026, 7, 27)) == {}
    assert balances(session, compound=c, as_of=date(2026, 7, 28)) == {a.id: D("40.00")}
    assert balances(session, compound=c, as_of=date(2026, 8, 10)) == {a.id: D("25.00")}


def test_the_statement_runs_from_opening_through_every_entry_to_closing(session):
    c = make_compound(session)
    a = make_account(session, compound=c)
    b1 = make_bill(session, compound=c, account=a, amount="40.00", month=date(2026, 7, 1))
    make_bill(session, compound=c, account=a, amount="35.50", month=date(2026, 8, 1))
    make_adjustment(session, compound=c, bill=b1, amount="-5.00", reason="meter misread")
    p = _pay(session, c, a, "20.00", date(2026, 8, 15))
    reverse_payment(session, compound=c, payment_id=p.id, reason="bounced", on=date(2026, 8, 20))
    _pay(session, c, a, "30.00", date(2026, 9, 2))
    s = statement(session, compound=c, payer_id=a.id, from_date=date(2026, 8, 1), to_date=date(2026, 9, 30))
    assert s.opening == D("35.00")  # the July bill and its credit note (made 07-29)
    assert [(x.kind, x.amount) for x in s.lines] == [
        ("payment", D("-20.00")),
        ("reversal", D("20.00")),
        ("bill", D("35.50")),
        ("payment", D("-30.00")),
    ]
    assert s.closing == s.opening + sum(x.amount for x in s.lines) == s.lines[-1].balance == D("40.50")


@pytest.fixture
def street(session):
    c = make_compound(session)
    z1, z2 = make_zone(session, compound=c, name="East"), make_zone(session, compound=c, name="West")
    b1, b2 = make_building(session, compound=c, zone=z1, name="No. 1"), make_building(session, compound=c, zone=z2)
    a1, a2, a3 = (make_account(session, compound=c, building=b) for b in (b1, b1, b2))
    return c, (z1, z2), (b1, b2), (a1, a2, a3)


def test_ageing_puts_each_open_bill_in_its_bucket_by_days_past_due(session, street):
    c, _zones, _buildings, (a1, a2, a3) = street
    as_of = date(2026, 11, 1)
    # due 2026-10-28 (4 days), 2026-09-28 (34), 2026-04-28 (187)
    make_bill(session, compound=c, account=a1, amount="10.00", month=date(2026, 10, 1))
    make_bill(session, compound=c, account=a1, amount="20.00", month=date(2026, 9, 1))
    make_bill(session, compound=c, account=a2, amount="30.00", month=date(2026, 4, 1))
    make_bill(session, compound=c, account=a3, amount="5.00", month=date(2026, 10, 1))
    _pay(session, c, a1, "25.00", date(2026, 10, 30))  # the September bill and half of October's
    rows = {r.code: r.buckets for r in ageing(session, compound=c, as_of=as_of, by=AgeBy.account)}
    assert rows[a1.code] == [D("5.00"), 0, 0, 0, 0]
    assert rows[a2.code] == [0, 0, 0, 0, D("30.00")]
    by_zone = {r.name: (r.total, r.accounts) for r in ageing(session, compound=c, as_of=as_of, by=AgeBy.zone)}
    assert by_zone == {"East": (D("35.00"), 2), "West": (D("5.00"), 1)}
    by_building = ageing(session, compound=c, as_of=as_of, by=AgeBy.building)
    assert [r.name for r in by_building][0] == "No. 1"


def test_open_items_always_add_up_to_the_balance(session, street):
    c, _z, _b, (a1, a2, _a3) = street
    bills = [
        make_bill(session, compound=c, account=a1, amount=x, month=date(2026, m, 1))
        for m, x in ((5, "11.11"), (6, "22.22"), (7, "33.33"))
    ]
    make_adjustment(session, compound=c, bill=bills[0], amount="-11.11")
    _pay(session, c, a1, "5.55", date(2026, 8, 1))
    make_bill(session, compound=c, account=a2, amount="1.00", month=date(2026, 7, 1), payer=a1)
    day = clock.today(c)
    owed = sum((i.amount for i in open_items(session, compound=c, as_of=day)), D(0))
    assert owed == balances(session, compound=c, as_of=day)[a1.id] == D("51.00")


def test_habits_tell_monthly_yearly_half_yearly_and_lapsed_payers(session):
    c = make_compound(session)
    monthly, yearly, half, stopped = (make_account(session, compound=c) for _ in range(4))
    for m in range(1, 11):
        session.add(_raw(c, monthly, date(2026, m, 5)))
    for y in (2024, 2025):
        session.add(_raw(c, yearly, date(y, 12, 20)))
        session.add(_raw(c, half, date(y, 6, 15)))
        session.add(_raw(c, half, date(y, 12, 15)))
    session.add(_raw(c, stopped, date(2025, 1, 5)))
    session.flush()
    found = habits(session, compound=c, as_of=NOW.date())
    assert found[monthly.id].habit is Habit.monthly
    assert found[yearly.id].habit is Habit.yearly and found[yearly.id].usual_months == (12,)
    assert not found[yearly.id].lapsed  # December is yet to come
    assert found[half.id].habit is Habit.half_yearly and found[half.id].lapsed  # no June 2026 payment
    assert found[stopped.id].lapsed
    later = habits(session, compound=c, as_of=date(2027, 2, 15))
    assert later[yearly.id].lapsed


_n = iter(range(1, 10_000))


def _raw(c, a, on):
    return Payment(
        compound_id=c.id, payer_id=a.id, method="cash", amount=D("10.00"), received_on=on, receipt_no=f"T-{next(_n)}"
    )
