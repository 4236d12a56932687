"""The money view of a generated compound: the balance valued at the utility's bills, through the CLI and the API."""

import json
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing.models import Bill
from compound.register.models import Account
from meters.models import Utility
from reports.models import UtilityBill
from reports.money.charges import period_charges
from reports.money.service import compound_money, period_money
from reports.money.waterfall import CODES, closes
from reports.periods import parse_period
from tests.reports.scenarios import Check, Leaf, Scenario, Unmetered, build, local

TIMES = [local(date(2025, m, 1)) for m in (3, 4, 5, 6)]


@pytest.fixture
def site(session):
    s = Scenario(
        leaves=[Leaf("BOILER", 2_000, "Public", own_use=True)],
        checks=[Check("C-LIVING", "Living", [Leaf("F1", 500, "Living"), Leaf("F2", 700, "Living")])],
        unmetered=[Unmetered("Lawns", D("300"), zone="Public")],
        leak_milli_per_day=4_000,
    )
    built = build(session, s, TIMES)
    # April (30 days): the master reads 516 m³; the water company bills 520 m³ for 2,002.00 yuan (3.85 per m³).
    session.add(UtilityBill(compound_id=built.compound.id, meter_id=built.meters["MASTER"].id,
                            period_start_date=date(2025, 4, 1), period_end_date=date(2025, 4, 30),
                            quantity_milli=520_000, amount_fen=200_200))  # fmt: skip
    session.flush()
    return built


def test_the_balance_is_valued_at_the_utilitys_average_cost(session, site):
    pm = period_money(session, compound=site.compound, utility=Utility.water, period=parse_period("2025-04"))
    w = pm.waterfall
    assert w.utility_charges == D("2002.00") and w.unit_cost == D("3.85")
    assert w.amount("leakage") == D("462.00")  # 120 m³ of real losses × 3.85
    assert w.amount("unmetered_public_water") == D("1155.00")  # the lawns' 300 m³
    assert w.amount("other_unbilled_use") == D("231.00")  # the boiler's 60 m³
    assert w.amount("transformer_line_losses") == 0 and w.amount("public_lighting") == 0
    # Nothing billed yet (no bills): the flats' 36 m³ at cost are in the rest, with the 4 m³ the utility read more.
    assert w.billed == 0 and w.amount("unexplained") == D("154.00")
    assert closes(w) and w.cause("leakage").estimated and not w.charges_estimated
    assert pm.warnings == []


def test_a_bill_across_the_boundary_counts_by_its_days(session, site):
    session.add(UtilityBill(compound_id=site.compound.id, meter_id=site.meters["MASTER"].id,
                            period_start_date=date(2025, 5, 1), period_end_date=date(2025, 6, 9),
                            quantity_milli=400_000, amount_fen=100_000))  # fmt: skip
    session.flush()
    c = period_charges(session, compound=site.compound, utility=Utility.water, period=parse_period("2025-05"),
                       system_input=D(0))  # fmt: skip
    assert c.charges.amount == D("775.00") and c.charges.quantity == D(310)  # 31 of the bill's 40 days
    june = period_charges(session, compound=site.compound, utility=Utility.water, period=parse_period("2025-06"),
                          system_input=D(0))  # fmt: skip
    assert june.charges.amount == D("225.00") and june.covered_days == 9


def test_a_month_without_a_bill_is_valued_at_the_nearest_bill_and_says_so(session, site):
    pm = period_money(session, compound=site.compound, utility=Utility.water, period=parse_period("2025-05"))
    assert pm.waterfall.charges_estimated and pm.waterfall.unit_cost == D("3.85")
    assert [c for c, _p in pm.warnings] == ["charges_estimated"] and closes(pm.waterfall)
    assert all(b.estimated for b in pm.waterfall.causes[:8])


def test_electricity_without_any_bill_still_closes(session, site):
    both = compound_money(session, compound=site.compound, period=parse_period("2025-04"))
    assert [c for c, _p in both.electricity.warnings] == ["no_utility_bill"]
    assert closes(both.combined) and both.combined.utility_charges == D("2002.00")


def test_reconcile_json_and_the_api_carry_the_money(client_as, site):
    r = client_as("manager").get(f"/api/compounds/{site.compound.id}/balance?period=2025-04&utility=water")
    assert r.status_code == 200, r.text
    money = r.json()["money"]
    assert [c["code"] for c in money["causes"]] == list(CODES)
    assert money["utility_charges"] == "2002.00" and money["unit_cost"] == "3.8500"
    assert {c["code"]: c["amount"] for c in money["causes"]}["leakage"] == "462.00"
    assert all(isinstance(money[k], str) for k in ("utility_charges", "billed", "collected", "collected_arrears"))
    assert json.dumps(money)  # plain JSON: no Decimal left


def _issue(session, compound, account, amount, quantity, *, month=date(2025, 4, 1), official=False, utility="water"):
    from billing.models import Bill, BillingPeriod

    period = session.exec(
        sa.select(BillingPeriod).where(BillingPeriod.compound_id == compound.id, BillingPeriod.month == month)
    ).scalar_one_or_none()
    if period is None:
        period = BillingPeriod(compound_id=compound.id, month=month)
        session.add(period)
        session.flush()
    bill = Bill(compound_id=compound.id, period_id=period.id, account_id=account.id, payer_id=account.id,
                utility=utility, status="issued", quantity=D(quantity), amount=D(amount),
                official_use=official)  # fmt: skip
    session.add(bill)
    session.flush()
    return bill


def _account(session, compound, code, kind):
    from compound.register.models import Account

    a = Account(compound_id=compound.id, code=code, kind=kind, name=code)
    session.add(a)
    session.flush()
    return a


def test_issued_bills_are_billed_and_their_unpaid_rest_goes_to_who_owes_it(session, site):
    from compound.register.models import Account

    c = site.compound
    f1 = session.exec(sa.select(Account).where(Account.compound_id == c.id, Account.code == "A-F1")).scalar_one()
    office = _account(session, c, "OFFICE", "office")
    leaders = _account(session, c, "LEADERS", "office")
    _issue(session, c, f1, "52.50", "15")  # 3.50 per m³
    _issue(session, c, office, "73.50", "21")
    _issue(session, c, leaders, "35.00", "10", official=True)
    _issue(session, c, office, "999.00", "1", month=date(2025, 5, 1))  # May's: not April's
    w = period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-04")).waterfall
    assert w.billed == D("161.00") and w.average_billed_price == D("3.5")
    # 46 m³ billed cost 46 × 3.85 = 177.10 yuan: the tariff loses 16.10.
    assert w.amount("tariff_difference") == D("16.10")
    assert (w.amount("unpaid_households"), w.amount("unpaid_units"), w.amount("unfunded_official_use")) == (
        D("52.50"), D("73.50"), D("35.00"),
    )  # fmt: skip
    assert w.collected == 0 and closes(w)


def test_payments_collect_the_periods_bills_and_arrears_stay_apart(session):
    from reports.money.revenue import period_ids
    from tests.reports.money_site import money_site, pay

    site = money_site(session)
    c = site.compound
    bills = {
        (b.account_id, b.period_id): b for b in session.exec(sa.select(Bill).where(Bill.compound_id == c.id)).scalars()
    }
    months = {m: period_ids(session, compound=c, period=parse_period(m))[0] for m in ("2025-01", "2025-04")}
    f1 = session.exec(sa.select(Account).where(Account.compound_id == c.id, Account.code == "A-F1")).scalar_one()
    office = session.exec(sa.select(Account).where(Account.compound_id == c.id, Account.code == "OFFICE")).scalar_one()
    pay(session, c, bills[(f1.id, months["2025-04"])], "52.50", date(2025, 5, 10))  # April's, paid in May
    pay(session, c, bills[(office.id, months["2025-01"])], "73.50", date(2025, 4, 15))  # January's, paid in April
    april = period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-04")).waterfall
    assert april.collected == D("52.50") and april.amount("unpaid_households") == 0
    assert april.collected_arrears == D("73.50")  # January's bill, paid inside April: apart from April's own
    assert closes(april) and sum(b.amount for b in april.causes) == april.utility_charges - april.collected
    assert round(april.own_collection_efficiency * 100, 2) == D("32.61")  # 52.50 / 161.00
    january = period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-01")).waterfall
    assert january.amount("unpaid_units") == 0 and january.collected == D("73.50")
    # Counted as of a day: on 30 April the May payment had not come in.
    early = period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-04"),
                         as_of=date(2025, 4, 30)).waterfall  # fmt: skip
    assert early.collected == 0 and early.amount("unpaid_households") == D("52.50")


def test_a_reversed_payment_is_unpaid_again(session):
    from billing.payments.service import reverse_payment
    from reports.money.revenue import period_ids
    from tests.reports.money_site import money_site, pay

    site = money_site(session)
    c = site.compound
    april = period_ids(session, compound=c, period=parse_period("2025-04"))[0]
    bill = session.exec(sa.select(Bill).where(Bill.compound_id == c.id, Bill.period_id == april,
                                              Bill.official_use.is_(True))).scalar_one()  # fmt: skip
    payment = pay(session, c, bill, "35.00", date(2025, 5, 3))
    assert period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-04")).waterfall.amount(
        "unfunded_official_use") == 0  # fmt: skip
    reverse_payment(session, compound=c, payment_id=payment.id, reason="wrong payer", on=date(2025, 5, 4))
    w = period_money(session, compound=c, utility=Utility.water, period=parse_period("2025-04")).waterfall
    assert w.amount("unfunded_official_use") == D("35.00") and closes(w)
