"""The demo's payment habits over its bills: monthly, twice a year, yearly, never; the finance bureau late."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from billing.ledger import Habit, balances, habits
from billing.payments.models import FundingRequest, Payment, PayrollEnrolment
from billing.setup import ensure_setup
from compound.register.models import Account, AccountKind
from compound.shell.demo.payments import build_payments
from compound.shell.demo.plan import PaymentHabit
from tests.billing.ledger_factories import make_bill
from tests.factories import make_account, make_compound


def test_the_demo_payments_follow_each_accounts_habit_and_never_invent_a_fen(session):
    c = make_compound(session)
    kinds = [PaymentHabit.monthly] * 6 + [PaymentHabit.half_yearly, PaymentHabit.yearly, PaymentHabit.defaulter]
    homes = [make_account(session, compound=c) for _ in kinds]
    for a in homes:
        a.code = f"H{a.id}"
    fb = session.get(Account, ensure_setup(session, compound_id=c.id).finance_bureau_account_id)
    office = make_account(session, compound=c, kind=AccountKind.office, name="Committee")
    months = [date(2024 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(11, 33)]  # 2024-11 … 2026-08
    for m in months:
        for a in homes:
            make_bill(session, compound=c, account=a, amount="50.00", month=m)
        make_bill(session, compound=c, account=office, payer=fb, amount="900.00", month=m, official_use=True)
    plan = {a.code: k for a, k in zip(homes, kinds, strict=True)} | {office.code: PaymentHabit.earmarked}
    made = build_payments(session, compound_id=c.id, habits=plan)
    assert made.payments > 100 and made.funding_requests == len(months) and made.payroll_enrolled == 2
    found = habits(session, compound=c, as_of=date(2026, 11, 1))
    assert found[homes[0].id].habit is Habit.monthly
    assert found[homes[6].id].habit is Habit.half_yearly and found[homes[7].id].habit is Habit.yearly
    assert found[homes[8].id].lapsed
    owed = balances(session, compound=c, as_of=date(2026, 11, 1))
    assert owed[homes[8].id] == Decimal("800.00")  # the defaulter paid six months of 22, then stopped
    assert owed[fb.id] >= Decimal("1800.00")  # the bureau pays two to five months late
    requests = session.execute(sa.select(FundingRequest).where(FundingRequest.compound_id == c.id)).scalars().all()
    assert {r.status for r in requests} == {"received", "requested"}
    numbers = session.execute(sa.select(Payment.receipt_no).where(Payment.compound_id == c.id)).scalars().all()
    assert len(numbers) == len(set(numbers))
    assert (
        session.execute(
            sa.select(sa.func.count()).select_from(PayrollEnrolment).where(PayrollEnrolment.compound_id == c.id)
        ).scalar()
        == 2
    )
