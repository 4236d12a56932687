"""The demo's collection history, replayed over a year of bills and payments: runs, actions, every kind of
outcome, key defaulters and collection rates for the pages to show."""

from datetime import date, timedelta

import sqlalchemy as sa

from billing.collections.defaulters import collection_rates, key_defaulters
from billing.collections.models import CollectionCase, CollectionContact
from compound.shell.demo.collections import build_collections
from tests.billing.collections_helpers import bill, pay
from tests.factories import make_account, make_building, make_compound


def test_a_year_of_bills_and_payments_gets_its_collection_history(session):
    c = make_compound(session)
    b = make_building(session, compound=c)
    houses = [make_account(session, compound=c, building=b) for _ in range(12)]
    for m in range(1, 13):
        due = date(2025, m, 25)
        for i, a in enumerate(houses):
            bill(session, c, a, f"{80 + 10 * i}.00", due)
            if i < 6:  # half pay every month, a few days after the due date
                pay(session, c, a, f"{80 + 10 * i}.00", due + timedelta(days=3 + i))
            elif i < 9 and m % 6 == 0:  # three pay twice a year
                pay(session, c, a, f"{6 * (80 + 10 * i)}.00", due + timedelta(days=10))
    made = build_collections(session, compound_id=c.id, seed="test")
    assert made.runs >= 20 and made.actions > 20 and made.contacts > 20
    outcomes = set(session.execute(sa.select(CollectionContact.outcome)
                                   .where(CollectionContact.compound_id == c.id)).scalars())
    assert {"sent", "promised"} <= outcomes and len(outcomes) >= 4
    assert key_defaulters(session, compound=c)  # the three who never pay
    assert any(r.actions for r in collection_rates(session, compound=c, today=date(2026, 1, 20)))
    open_payers = session.execute(sa.select(CollectionCase.payer_id).where(
        CollectionCase.compound_id == c.id, CollectionCase.closed_on.is_(None))).scalars().all()
    assert len(open_payers) == len(set(open_payers))
