"""The collection run: levels computed afresh from the ledger, cases opened and closed, each action made once."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from billing.collections.models import ActionKind, CollectionCase, CollectionLevel, CollectionPolicy
from billing.collections.policies import FINANCE_BUREAU, LevelSpec, check_levels, ensure_policies, save_policy
from billing.collections.run import run_collections
from billing.setup import ensure_setup
from compound.kit.errors import InvalidInput
from compound.register.models import AccountKind, Payer
from tests.billing.collections_helpers import actions, bill, open_case, pay
from tests.factories import make_account, make_building, make_compound

DUE = date(2026, 6, 1)


def _run(session, c, on: date):
    return run_collections(session, compound=c, as_of=on)


@pytest.fixture
def house(session):
    c = make_compound(session)
    a = make_account(session, compound=c, building=make_building(session, compound=c))
    return c, a


def test_the_chase_goes_notice_call_visit_key_defaulter_as_the_oldest_bill_ages(session, house):
    c, a = house
    bill(session, c, a, "600.00", DUE)
    assert _run(session, c, DUE + timedelta(days=29)).in_arrears == 0
    assert actions(session, c) == []
    seen = []
    for days in (30, 60, 90, 180):
        counts = _run(session, c, DUE + timedelta(days=days))
        seen.append(next(iter(counts.actions)))
    assert seen == ["written_notice", "phone_call", "home_visit", "key_defaulter"]
    assert actions(session, c) == [(1, "written_notice", "superseded"), (2, "phone_call", "superseded"),
                                   (3, "home_visit", "superseded"), (4, "key_defaulter", "open")]


def test_running_again_the_same_day_or_the_next_makes_nothing_twice(session, house):
    c, a = house
    bill(session, c, a, "80.00", DUE)
    first = _run(session, c, DUE + timedelta(days=35))
    assert first.actions == {"written_notice": 1} and first.opened == 1
    for extra in (35, 35, 36, 50):
        again = _run(session, c, DUE + timedelta(days=extra))
        assert again.actions == {} and again.opened == 0
    assert actions(session, c) == [(1, "written_notice", "open")]


def test_a_paid_account_drops_out_and_its_open_tasks_are_cancelled(session, house):
    c, a = house
    bill(session, c, a, "120.00", DUE)
    _run(session, c, DUE + timedelta(days=65))
    assert actions(session, c) == [(2, "phone_call", "open")]  # straight to the level it stands at
    pay(session, c, a, "120.00", DUE + timedelta(days=66))
    counts = _run(session, c, DUE + timedelta(days=67))
    assert counts.closed == {"paid": 1} and counts.cancelled == 1
    assert open_case(session, c, a.id) is None
    assert actions(session, c) == [(2, "phone_call", "cancelled")]


def test_a_part_payment_brings_the_level_down_and_the_next_rise_makes_no_second_notice(session, house):
    c, a = house
    bill(session, c, a, "30.00", DUE)
    bill(session, c, a, "90.00", DUE + timedelta(days=31))
    _run(session, c, DUE + timedelta(days=92))  # oldest 92 days, 120 owed: the home visit
    assert open_case(session, c, a.id).level == 3
    pay(session, c, a, "30.00", DUE + timedelta(days=93))  # the oldest bill paid: now 62 days, 90 owed
    _run(session, c, DUE + timedelta(days=93))
    case = open_case(session, c, a.id)
    assert (case.level, case.owed_fen, case.oldest_due_on) == (2, 9000, DUE + timedelta(days=31))
    assert actions(session, c) == [(3, "home_visit", "superseded"), (2, "phone_call", "open")]


def test_a_small_balance_below_every_minimum_closes_the_case(session, house):
    c, a = house
    bill(session, c, a, "60.00", DUE)
    _run(session, c, DUE + timedelta(days=61))
    pay(session, c, a, "59.50", DUE + timedelta(days=62))
    counts = _run(session, c, DUE + timedelta(days=62))
    # 0.50 left: the notice's minimum is 0.01, so the case goes on at level 1 (the notice was never made before).
    assert open_case(session, c, a.id).level == 1 and counts.actions == {"written_notice": 1}


def test_offices_the_finance_bureau_funds_get_an_official_letter_never_a_visit(session):
    c = make_compound(session)
    office = make_account(session, compound=c, kind=AccountKind.office, payer=Payer.finance_bureau, name="区委办公室")
    settings = ensure_setup(session, compound_id=c.id)
    from compound.register.models import Account

    bureau = session.get(Account, settings.finance_bureau_account_id)
    bill(session, c, office, "5000.00", DUE, payer=bureau)
    kinds = set()
    for days in (30, 60, 90, 120, 180, 200):
        kinds |= set(_run(session, c, DUE + timedelta(days=days)).actions)
    assert kinds == {"official_letter", "phone_call", "key_defaulter"}
    policy = session.execute(sa.select(CollectionPolicy).where(CollectionPolicy.compound_id == c.id,
                                                               CollectionPolicy.key == FINANCE_BUREAU)).scalar_one()
    with pytest.raises(InvalidInput) as refused:
        save_policy(session, policy=policy, levels=[LevelSpec(30, 1, ActionKind.home_visit)], late_fee_enabled=False,
                    late_fee_ppm_per_day=0)
    assert refused.value.field == "levels.1.action"


@pytest.mark.parametrize(
    ("specs", "field"),
    [
        ([], "levels"),
        ([LevelSpec(0, 1, ActionKind.written_notice)], "levels.1.days_overdue"),
        ([LevelSpec(60, 1, ActionKind.written_notice), LevelSpec(30, 1, ActionKind.phone_call)],
         "levels.2.days_overdue"),
        ([LevelSpec(30, 0, ActionKind.written_notice)], "levels.1.min_balance"),
        ([LevelSpec(30, 1, ActionKind.official_letter)], "levels.1.action"),
    ],
)
def test_a_policy_that_breaks_the_rules_is_refused_naming_the_level(specs, field):
    with pytest.raises(InvalidInput) as refused:
        check_levels(specs, finance_bureau=False)
    assert refused.value.field == field


def test_the_late_fee_is_off_by_default_and_never_compounds(session, house):
    c, a = house
    bill(session, c, a, "100.00", DUE)
    _run(session, c, DUE + timedelta(days=40))
    assert open_case(session, c, a.id).late_fee_fen == 0
    ensure_policies(session, compound_id=c.id)
    policy = session.execute(sa.select(CollectionPolicy).where(CollectionPolicy.compound_id == c.id,
                                                               CollectionPolicy.key == "class:household")).scalar_one()
    levels = session.execute(sa.select(CollectionLevel).where(CollectionLevel.policy_id == policy.id)
                             .order_by(CollectionLevel.position)).scalars().all()
    specs = [LevelSpec(lv.days_overdue, lv.min_balance_fen, lv.action) for lv in levels]
    save_policy(session, policy=policy, levels=specs, late_fee_enabled=True, late_fee_ppm_per_day=500)
    _run(session, c, DUE + timedelta(days=40))
    # 100.00 yuan × 0.05 % × 40 days = 2.00 yuan, on the principal only
    assert open_case(session, c, a.id).late_fee_fen == 200
    _run(session, c, DUE + timedelta(days=80))
    assert open_case(session, c, a.id).late_fee_fen == 400  # still 10000 fen × 500 ppm × 80: no fee on the fee
    _run(session, c, DUE + timedelta(days=3000))
    assert open_case(session, c, a.id).late_fee_fen == 10000  # never more than the principal


def test_cases_are_one_per_payer_and_compound(session, house):
    c, a = house
    other = make_compound(session)
    b = make_account(session, compound=other)
    bill(session, c, a, "80.00", DUE)
    bill(session, other, b, "80.00", DUE)
    _run(session, c, DUE + timedelta(days=40))
    assert actions(session, other) == []  # a run of one compound touches no other
    n = session.execute(sa.select(sa.func.count()).select_from(CollectionCase)
                        .where(CollectionCase.compound_id == c.id)).scalar_one()
    assert n == 1
