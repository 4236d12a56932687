"""A generated compound with the utility's bills and issued bills, for the money view's tests."""

from datetime import date
from decimal import Decimal as D

import sqlalchemy as sa

from billing.models import Bill, BillingPeriod
from compound.register.models import Account
from meters.models import Seal
from reports.models import UtilityBill
from tests.reports.scenarios import Built, Check, Leaf, Scenario, Unmetered, build, local

TIMES = [local(date(2025, m, 1)) for m in (1, 2, 3, 4, 5, 6)]


def utility_bill(session, built: Built, month: int, quantity_milli: int, amount_fen: int) -> None:
    last = (date(2025, month + 1, 1) - date(2025, month, 1)).days
    session.add(UtilityBill(compound_id=built.compound.id, meter_id=built.meters["MASTER"].id,
                            period_start_date=date(2025, month, 1), period_end_date=date(2025, month, last),
                            quantity_milli=quantity_milli, amount_fen=amount_fen))  # fmt: skip


def billing_period(session, compound, month: date) -> BillingPeriod:
    period = session.execute(
        sa.select(BillingPeriod).where(BillingPeriod.compound_id == compound.id, BillingPeriod.month == month)
    ).scalar_one_or_none()
    if period is None:
        period = BillingPeriod(compound_id=compound.id, month=month)
        session.add(period)
        session.flush()
    return period


def issue(session, compound, account, amount, quantity, *, month: date, official=False, utility="water") -> Bill:
    period = billing_period(session, compound, month)
    bill = Bill(compound_id=compound.id, period_id=period.id, account_id=account.id, payer_id=account.id,
                utility=utility, status="issued", quantity=D(quantity), amount=D(amount), official_use=official,
                issued_at=local(date(month.year, month.month, 28), 9),
                due_on=date(month.year, month.month, 28))  # fmt: skip
    session.add(bill)
    session.flush()
    return bill


def account(session, compound, code: str, kind: str = "office") -> Account:
    found = session.execute(
        sa.select(Account).where(Account.compound_id == compound.id, Account.code == code)
    ).scalar_one_or_none()
    if found:
        return found
    a = Account(compound_id=compound.id, code=code, kind=kind, name=code)
    session.add(a)
    session.flush()
    return a


def pay(session, compound, bill: Bill, amount: str, on: date):
    """A cash payment of the bill's payer on the day, allocated to that bill first."""
    from billing.payments.service import NewPayment, record_payment

    return record_payment(session, compound=compound, data=NewPayment(payer_id=bill.payer_id, method="cash",
                          amount=D(amount), received_on=on, bill_ids=(bill.id,)))  # fmt: skip


def money_site(session) -> Built:
    s = Scenario(
        leaves=[Leaf("BOILER", 2_000, "Public", own_use=True)],
        checks=[Check("C-LIVING", "Living", [Leaf("F1", 500, "Living"), Leaf("F2", 700, "Living")])],
        unmetered=[Unmetered("绿化用水", D("300"), zone="Public")],
        leak_milli_per_day=4_000,
    )
    built = build(session, s, TIMES)
    c = built.compound
    for m in (1, 2, 3, 4, 5):
        utility_bill(session, built, m, 520_000, 200_200)
        first = date(2025, m, 1)
        issue(session, c, account(session, c, "A-F1"), "52.50", "15", month=first)
        issue(session, c, account(session, c, "OFFICE"), "73.50", "21", month=first)
        issue(session, c, account(session, c, "LEADERS"), "35.00", "10", month=first, official=True)
    session.add(Seal(compound_id=c.id, meter_id=built.meters["F1"].id, number="S1", sealed_date=date(2025, 3, 5),
                     sealed_by="王"))  # fmt: skip
    session.flush()
    return built
