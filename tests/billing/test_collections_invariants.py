"""Invariants of the collection run under any mix of bills, payments, reversals, days passing and repeated runs:
every open case's level is the one the ledger calls for now (recomputed, never stale), at most one open case per
payer and one open task per case, no action ever made twice, and a second run the same day makes nothing."""

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.collections.models import ActionStatus, CollectionAction, CollectionCase, CollectionLevel, CollectionPolicy
from billing.collections.run import run_collections
from billing.ledger import open_items
from billing.payments.service import reverse_payment
from tests.billing.collections_helpers import pay, set_today
from tests.billing.ledger_factories import make_bill
from tests.factories import make_account, make_building, make_compound

START = date(2025, 1, 10)
HOUSES = 3

op = st.one_of(
    st.tuples(st.just("bill"), st.integers(0, HOUSES - 1), st.integers(1, 40000)),
    st.tuples(st.just("pay"), st.integers(0, HOUSES - 1), st.integers(1, 40000)),
    st.tuples(st.just("reverse"), st.integers(0, HOUSES - 1), st.just(0)),
    st.tuples(st.just("days"), st.integers(1, 75), st.just(0)),
    st.tuples(st.just("run"), st.just(0), st.just(0)),
)


def _expected_levels(session, c, today: date) -> dict[int, int]:
    """The oracle, in Python: the deepest level whose days and minimum hold, from the ledger's open items."""
    household = sa.select(CollectionPolicy.id).where(CollectionPolicy.compound_id == c.id,
                                                     CollectionPolicy.key == "class:household").scalar_subquery()
    levels = session.execute(sa.select(CollectionLevel).where(CollectionLevel.compound_id == c.id,
                                                              CollectionLevel.policy_id == household)).scalars().all()
    owed: dict[int, tuple[int, date]] = {}
    for item in open_items(session, compound=c, as_of=today):
        fen, oldest = owed.get(item.payer_id, (0, item.due_on))
        owed[item.payer_id] = (fen + int(item.amount * 100), min(oldest, item.due_on))
    expected = {}
    for payer, (fen, oldest) in owed.items():
        held = [lv.position for lv in levels
                if (today - oldest).days >= lv.days_overdue and fen >= lv.min_balance_fen]
        if held:
            expected[payer] = max(held)
    return expected


def _check(session, c, today: date) -> None:
    fresh = {"populate_existing": True}  # the run writes with Core: never an object loaded before it
    cases = session.execute(sa.select(CollectionCase).where(CollectionCase.compound_id == c.id)
                            .execution_options(**fresh)).scalars().all()
    open_cases = [k for k in cases if k.closed_on is None]
    assert len({k.payer_id for k in open_cases}) == len(open_cases), "two open cases for one payer"
    assert {k.payer_id: k.level for k in open_cases if k.promise_date is None} == {
        p: lv for p, lv in _expected_levels(session, c, today).items()
        if p not in {k.payer_id for k in open_cases if k.promise_date is not None}
    }
    acts = session.execute(sa.select(CollectionAction).where(CollectionAction.compound_id == c.id)
                           .execution_options(**fresh)).scalars().all()
    keys = [(a.case_id, a.position) for a in acts]
    assert len(keys) == len(set(keys)), "an action made twice"
    closed = {k.id for k in cases if k.closed_on is not None}
    open_acts = [a for a in acts if a.status == ActionStatus.open]
    assert not [a for a in open_acts if a.case_id in closed], "an open task of a closed case"
    assert len({a.case_id for a in open_acts}) == len(open_acts), "two open tasks for one case"
    by_case = {k.id: k for k in open_cases}
    assert all(a.position == by_case[a.case_id].level for a in open_acts), "an open task of another level"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=20))
def test_levels_are_recomputed_and_actions_never_duplicated(session, ops):
    nested = session.begin_nested()
    try:
        c = make_compound(session)
        b = make_building(session, compound=c)
        houses = [make_account(session, compound=c, building=b) for _ in range(HOUSES)]
        today, payments = START, {i: [] for i in range(HOUSES)}
        months = {i: date(2020, 1, 1) for i in range(HOUSES)}  # each house's next billing month: never twice
        set_today(today)
        for kind, who, fen in ops:
            if kind == "bill":
                month = months[who]
                months[who] = date(month.year + month.month // 12, month.month % 12 + 1, 1)
                make_bill(session, compound=c, account=houses[who], amount=f"{fen / 100:.2f}", month=month,
                          due_on=today, issued_on=today - timedelta(days=30))
            elif kind == "pay":
                payments[who].append(pay(session, c, houses[who], f"{fen / 100:.2f}", today))
            elif kind == "reverse" and payments[who]:
                reverse_payment(session, compound=c, payment_id=payments[who].pop().id, reason="bounced", on=today)
            elif kind == "days":
                today += timedelta(days=who)
                set_today(today)
            elif kind == "run":
                run_collections(session, compound=c, as_of=today)
                _check(session, c, today)
                again = run_collections(session, compound=c, as_of=today)
                assert again.actions == {} and again.opened == 0, "a second run the same day made something"
        run_collections(session, compound=c, as_of=today)
        _check(session, c, today)
    finally:
        nested.rollback()
        session.expunge_all()
