"""Work orders move only open → in progress → done / cancelled (and open → cancelled); every other move is refused."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compound.kit.errors import Conflict
from reports.findings.models import OrderKind, OrderStatus
from reports.findings.orders import MOVES, create_order, move
from reports.findings.schemas import OrderCreate
from tests.factories import make_compound

ALLOWED = {("open", "in_progress"), ("open", "cancelled"), ("in_progress", "done"), ("in_progress", "cancelled")}


def test_the_table_is_the_issues():
    assert {(a.value, b.value) for a, targets in MOVES.items() for b in targets} == ALLOWED


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["in_progress", "done", "cancelled", "open"]), max_size=6))
def test_any_sequence_of_moves_follows_the_table(session, wanted):
    compound = make_compound(session)
    order = create_order(session, compound=compound, data=OrderCreate(kind=OrderKind.other, title="x"), by="t")
    for to in wanted:
        before = order.status
        if (before, to) in ALLOWED:
            move(session, compound=compound, order=order, to=to, done_note="done", done_date=date(2026, 10, 1))
            assert order.status == to
        else:
            with pytest.raises(Conflict):
                move(session, compound=compound, order=order, to=to, done_note="done")
            assert order.status == before
    assert order.status != OrderStatus.done or order.done_note == "done"
