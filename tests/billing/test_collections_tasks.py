"""Outcomes of collection tasks: a promise pauses the chase, kept it closes the case, broken the chase goes on;
paid on the spot is a real payment; a building's letters are sent as one batch."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing.collections.models import ActionKind, ContactOutcome
from billing.collections.run import run_collections
from billing.collections.tasks import Outcome, mark_letters_sent, open_tasks, record_outcome
from billing.ledger import balance
from compound.kit.errors import Conflict, InvalidInput
from tests.billing.collections_helpers import actions, bill, open_case, pay, set_today
from tests.factories import make_account, make_building, make_compound

DUE = date(2026, 6, 1)
D = Decimal


@pytest.fixture
def house(session):
    c = make_compound(session)
    a = make_account(session, compound=c, building=make_building(session, compound=c))
    bill(session, c, a, "200.00", DUE)
    return c, a


def _run(session, c, days: int):
    set_today(DUE + timedelta(days=days))
    return run_collections(session, compound=c, as_of=DUE + timedelta(days=days))


def _only_task(session, c, kind):
    (task,) = open_tasks(session, compound=c, kinds=(kind,))
    return task


def test_a_promise_pauses_the_chase_and_kept_it_closes_the_case(session, house):
    c, a = house
    _run(session, c, 61)
    call = _only_task(session, c, ActionKind.phone_call)
    record_outcome(session, compound=c, action_id=call.id, by="li", data=Outcome(
        ContactOutcome.promised, promise_date=DUE + timedelta(days=100), promise_amount=D("200.00")))
    assert _run(session, c, 95).actions == {}  # the visit (90 days) waits for the promise
    pay(session, c, a, "120.00", DUE + timedelta(days=97))
    pay(session, c, a, "80.00", DUE + timedelta(days=99))
    counts = _run(session, c, 101)
    assert counts.promises_kept == 1 and counts.closed == {"promise_kept": 1}
    assert open_case(session, c, a.id) is None


def test_a_kept_promise_of_part_closes_the_case_even_with_something_still_owed(session, house):
    c, a = house
    _run(session, c, 61)
    call = _only_task(session, c, ActionKind.phone_call)
    record_outcome(session, compound=c, action_id=call.id, by="li", data=Outcome(
        ContactOutcome.promised, promise_date=DUE + timedelta(days=70), promise_amount=D("50.00")))
    pay(session, c, a, "50.00", DUE + timedelta(days=68))
    counts = _run(session, c, 71)
    assert counts.promises_kept == 1
    # 150.00 still owed, 71 days: a new chase starts, at the level it stands at
    case = open_case(session, c, a.id)
    assert case.opened_on == DUE + timedelta(days=71) and case.level == 2


def test_a_broken_promise_lets_the_chase_go_on(session, house):
    c, a = house
    _run(session, c, 61)
    call = _only_task(session, c, ActionKind.phone_call)
    record_outcome(session, compound=c, action_id=call.id, by="li", data=Outcome(
        ContactOutcome.promised, promise_date=DUE + timedelta(days=80), promise_amount=D("200.00")))
    pay(session, c, a, "20.00", DUE + timedelta(days=75))
    counts = _run(session, c, 92)
    assert counts.promises_broken == 1 and counts.actions == {"home_visit": 1}
    assert open_case(session, c, a.id).promises_broken == 1


def test_paid_on_the_spot_records_a_payment_and_the_next_run_closes_the_case(session, house):
    c, a = house
    _run(session, c, 91)
    visit = _only_task(session, c, ActionKind.home_visit)
    contact = record_outcome(session, compound=c, action_id=visit.id, by="wang", data=Outcome(
        ContactOutcome.paid, paid_amount=D("200.00"), paid_method="wechat_pay"))
    assert contact.payment_id is not None
    assert balance(session, compound=c, payer_id=a.id, as_of=DUE + timedelta(days=91)) == D("0.00")
    assert _run(session, c, 92).closed == {"paid": 1}


def test_not_reached_leaves_the_task_open_and_counts_the_contact(session, house):
    c, a = house
    _run(session, c, 61)
    call = _only_task(session, c, ActionKind.phone_call)
    record_outcome(session, compound=c, action_id=call.id, by="li", data=Outcome(ContactOutcome.not_reached))
    again = _only_task(session, c, ActionKind.phone_call)
    assert (again.id, again.contacts, again.last_outcome) == (call.id, 1, "not_reached")
    record_outcome(session, compound=c, action_id=call.id, by="li", data=Outcome(ContactOutcome.refused))
    assert open_tasks(session, compound=c, kinds=(ActionKind.phone_call,)) == []
    with pytest.raises(Conflict):
        record_outcome(session, compound=c, action_id=call.id, by="li", data=Outcome(ContactOutcome.reached))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (Outcome(ContactOutcome.sent), "outcome"),
        (Outcome(ContactOutcome.promised, promise_amount=D("10")), "promise_date"),
        (Outcome(ContactOutcome.promised, promise_date=DUE, promise_amount=D("10")), "promise_date"),
        (Outcome(ContactOutcome.promised, promise_date=DUE + timedelta(days=70)), "promise_amount"),
        (Outcome(ContactOutcome.paid, paid_amount=D("-1"), paid_method="cash"), "paid_amount"),
        (Outcome(ContactOutcome.paid, paid_amount=D("1.001"), paid_method="cash"), "paid_amount"),
        (Outcome(ContactOutcome.paid, paid_amount=D("1")), "paid_method"),
    ],
)
def test_a_bad_outcome_is_refused_naming_the_field(session, house, data, field):
    c, _a = house
    _run(session, c, 61)
    call = _only_task(session, c, ActionKind.phone_call)
    with pytest.raises(InvalidInput) as refused:
        record_outcome(session, compound=c, action_id=call.id, by="li", data=data)
    assert refused.value.field == field


def test_a_buildings_letters_are_sent_as_one_batch(session):
    c = make_compound(session)
    b1, b2 = make_building(session, compound=c), make_building(session, compound=c)
    people = [make_account(session, compound=c, building=b) for b in (b1, b1, b2)]
    for a in people:
        bill(session, c, a, "50.00", DUE)
    _run(session, c, 31)
    assert len(open_tasks(session, compound=c, kinds=(ActionKind.written_notice,), building_id=b1.id)) == 2
    assert mark_letters_sent(session, compound=c, kind=ActionKind.written_notice, building_id=b1.id, by="li") == 2
    assert [s for _p, _k, s in actions(session, c)] == ["done", "done", "open"]
