"""A compound's billing facts at first use: classes, the finance bureau's payer account, billing accounts."""

import sqlalchemy as sa

from billing.models import BillingAccount, CustomerClass
from billing.setup import ensure_setup
from compound.register.models import Account, AccountKind, Payer, ZoneKind
from tests.factories import make_account, make_building, make_compound, make_zone


def _facts(session, compound):
    rows = session.execute(
        sa.select(Account.code, CustomerClass.code, BillingAccount.official_use)
        .join(BillingAccount, sa.and_(BillingAccount.account_id == Account.id))
        .join(CustomerClass, CustomerClass.id == BillingAccount.class_id)
        .where(Account.compound_id == compound.id)
    ).all()
    return {code: (cls, official) for code, cls, official in rows}


def test_first_use_makes_classes_payer_and_billing_accounts(session):
    c = make_compound(session)
    hall = make_building(session, compound=c, zone=make_zone(session, compound=c, kind=ZoneKind.conference))
    home = make_account(session, compound=c)
    leading = make_account(session, compound=c, kind=AccountKind.office, payer=Payer.finance_bureau)
    bureau = make_account(session, compound=c, kind=AccountKind.office)
    meetings = make_account(session, compound=c, kind=AccountKind.office, building=hall)

    settings = ensure_setup(session, compound_id=c.id)

    payer = session.get(Account, settings.finance_bureau_account_id)
    assert (payer.kind, payer.code, payer.compound_id) == (AccountKind.payer, "CZJ", c.id)
    assert _facts(session, c) == {
        home.code: ("household", False),
        leading.code: ("office", True),
        bureau.code: ("office", False),
        meetings.code: ("office", True),
    }


def test_setup_again_adds_only_what_is_new_and_keeps_a_clerks_choice(session):
    c = make_compound(session)
    office = make_account(session, compound=c, kind=AccountKind.office)
    first = ensure_setup(session, compound_id=c.id)
    ba = session.execute(sa.select(BillingAccount).where(BillingAccount.account_id == office.id)).scalar_one()
    ba.official_use = True
    later = make_account(session, compound=c)
    again = ensure_setup(session, compound_id=c.id)
    assert again.id == first.id and again.finance_bureau_account_id == first.finance_bureau_account_id
    assert _facts(session, c) == {office.code: ("office", True), later.code: ("household", False)}
    classes = session.execute(sa.select(sa.func.count()).where(CustomerClass.compound_id == c.id)).scalar()
    assert classes == 2


def test_the_payer_code_steps_aside_when_czj_is_taken(session):
    c = make_compound(session)
    session.add(Account(compound_id=c.id, code="CZJ", kind=AccountKind.office, name="x"))
    session.flush()
    settings = ensure_setup(session, compound_id=c.id)
    assert session.get(Account, settings.finance_bureau_account_id).code == "CZJ2"


def test_the_demo_has_24_issued_months_official_use_billed_to_the_finance_bureau(session):
    from billing.models import Bill, BillAdjustment, BillingPeriod, PeriodStatus
    from compound.shell.demo import build_demo

    demo = build_demo(session, households=40, code="DEMO-B")
    periods = session.execute(
        sa.select(BillingPeriod.status, sa.func.count())
        .where(BillingPeriod.compound_id == demo.compound_id)
        .group_by(BillingPeriod.status)
    ).all()
    assert dict(periods) == {PeriodStatus.closed: 23, PeriodStatus.open: 1}
    statuses = set(session.execute(sa.select(Bill.status).where(Bill.compound_id == demo.compound_id)).scalars())
    assert statuses == {"issued"}
    czj = session.execute(
        sa.select(Account.id).where(Account.compound_id == demo.compound_id, Account.code == "CZJ")
    ).scalar_one()
    official = session.execute(
        sa.select(Bill.payer_id, Bill.official_use).where(Bill.compound_id == demo.compound_id, Bill.official_use)
    ).all()
    assert official and {p for p, _ in official} == {czj}
    assert (
        session.execute(
            sa.select(sa.func.count()).select_from(BillAdjustment).where(BillAdjustment.compound_id == demo.compound_id)
        ).scalar()
        == 3
    )
