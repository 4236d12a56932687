"""Collection pages through HTTP: today's tasks, recording an outcome (a refusal keeps what was typed), letters,
the key-defaulter list, the policies; another compound's task answers 404."""

from datetime import date, timedelta

import pytest

from billing.collections.models import ActionKind
from billing.collections.run import run_collections
from billing.collections.tasks import open_tasks
from tests.billing.collections_helpers import bill, set_today
from tests.factories import make_account, make_building, make_compound

DUE = date(2026, 6, 1)


@pytest.fixture
def chased(session):
    c = make_compound(session)
    b = make_building(session, compound=c, name="3号楼")
    people = [make_account(session, compound=c, building=b, name=n) for n in ("张伟", "王芳", "李娜")]
    for a, amount in zip(people, ("300.00", "150.00", "900.00"), strict=True):
        bill(session, c, a, amount, DUE)
    for days in (31, 200):
        set_today(DUE + timedelta(days=days))
        run_collections(session, compound=c, as_of=DUE + timedelta(days=days))
    return c, people


@pytest.mark.role("finance")
def test_the_visit_list_shows_who_owes_what_and_records_a_promise(client, session, chased):
    c, people = chased
    page = client.get(f"/c/{c.id}/collections/visits")
    assert page.status_code == 200
    assert "张伟" in page.text and "王芳" in page.text and "300.00" in page.text
    (visit,) = [t for t in open_tasks(session, compound=c, kinds=(ActionKind.home_visit,)) if t.name == "张伟"]
    sent = client.post(f"/c/{c.id}/collections/tasks/{visit.id}/outcome",
                       data={"outcome": "promised", "promise_date": (DUE + timedelta(days=210)).isoformat(),
                             "promise_amount": "300"}, follow_redirects=False)
    assert sent.status_code == 303
    assert f'id="task-{visit.id}"' not in client.get(f"/c/{c.id}/collections/visits").text  # paused till then


@pytest.mark.role("finance")
def test_a_refused_outcome_comes_back_with_the_reason_and_what_was_typed(client, session, chased):
    c, _people = chased
    visit = open_tasks(session, compound=c, kinds=(ActionKind.home_visit,))[0]
    answer = client.post(f"/c/{c.id}/collections/tasks/{visit.id}/outcome",
                         data={"outcome": "paid", "paid_amount": "12.345", "note": "at the door"})
    assert answer.status_code == 422
    assert "two decimals" in answer.text and 'value="12.345"' in answer.text and "at the door" in answer.text


@pytest.mark.role("finance")
def test_paid_on_the_spot_through_the_page_records_the_payment(client, session, chased):
    from billing.ledger import balance

    c, people = chased
    (task,) = [t for t in open_tasks(session, compound=c, kinds=(ActionKind.key_defaulter,)) if t.name == "李娜"]
    answer = client.post(f"/c/{c.id}/collections/tasks/{task.id}/outcome",
                         data={"outcome": "paid", "paid_amount": "900.00", "paid_method": "cash"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert balance(session, compound=c, payer_id=people[2].id, as_of=DUE + timedelta(days=200)) == 0


@pytest.mark.role("manager")
def test_managers_see_the_key_defaulters_and_the_rates_but_record_nothing(client, session, chased):
    c, _people = chased
    page = client.get(f"/c/{c.id}/collections/key-defaulters")
    assert page.status_code == 200 and "李娜" in page.text  # 900.00, 200 days: a key defaulter
    assert "Which step works" in page.text
    assert "Save the outcome" not in client.get(f"/c/{c.id}/collections/visits").text
    visit = open_tasks(session, compound=c, kinds=(ActionKind.home_visit,))[0]
    answer = client.post(f"/c/{c.id}/collections/tasks/{visit.id}/outcome", data={"outcome": "reached"})
    assert answer.status_code == 403


@pytest.mark.role("finance")
def test_letters_print_as_a_buildings_batch(client, session):
    c = make_compound(session)
    b = make_building(session, compound=c, name="5号楼")
    for n in ("赵敏", "钱进"):
        bill(session, c, make_account(session, compound=c, building=b, name=n), "60.00", DUE)
    set_today(DUE + timedelta(days=31))
    run_collections(session, compound=c, as_of=DUE + timedelta(days=31))
    index = client.get(f"/c/{c.id}/collections/letters")
    assert "5号楼" in index.text
    batch = client.get(f"/c/{c.id}/collections/letters/print", params={"kind": "written_notice", "building_id": b.id})
    assert batch.text.count('class="letter"') == 2 and "赵敏" in batch.text and "60.00" in batch.text
    sent = client.post(f"/c/{c.id}/collections/letters/sent", data={"kind": "written_notice", "building_id": b.id},
                       follow_redirects=False)
    assert sent.status_code == 303
    assert "No letter to print" in client.get(f"/c/{c.id}/collections/letters").text


@pytest.mark.role("finance")
def test_a_policy_change_is_checked_and_a_refusal_keeps_the_values(client, session, chased):
    c, _people = chased
    page = client.get(f"/c/{c.id}/collections/policies")
    assert page.status_code == 200
    from billing.collections.policies import policies

    policy = next(p for p, _levels in policies(session, compound_id=c.id) if p.finance_bureau)
    refused = client.post(f"/c/{c.id}/collections/policies/{policy.id}",
                          data={"days_1": "30", "min_1": "1", "action_1": "home_visit"})
    assert refused.status_code == 422 and "never visited" in refused.text
    saved = client.post(f"/c/{c.id}/collections/policies/{policy.id}",
                        data={"days_1": "45", "min_1": "10.00", "action_1": "official_letter"}, follow_redirects=False)
    assert saved.status_code == 303


def test_another_compounds_task_answers_404(client_as, session, chased):
    c, _people = chased
    other = make_compound(session)
    finance = client_as("finance", other)
    visit = open_tasks(session, compound=c, kinds=(ActionKind.home_visit,))[0]
    assert finance.get(f"/c/{c.id}/collections/visits").status_code == 404
    assert finance.post(f"/c/{other.id}/collections/tasks/{visit.id}/outcome",
                        data={"outcome": "reached"}).status_code == 404
