"""The demo compound's collection history: the daily collection run replayed over its 24 months of bills and
payments (every second week, which is what the daily run would have made: an action is made once per case and
level), and the staff's outcomes — letters delivered within days, calls and visits answered, promises made and
mostly kept, a collector's visit followed by the payment it brought in.

Runs after the payments' history (compound/shell/demo/payments.py), from the ledger as it stood on each day; does
nothing in a database without issued bills. Deterministic for a given seed.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from billing.collections.models import (
    LETTERS,
    ActionKind,
    ActionStatus,
    CollectionAction,
    CollectionCase,
    CollectionContact,
    ContactOutcome,
)
from billing.collections.run import run_collections
from billing.models import Bill, BillStatus
from billing.payments.models import Payment
from compound.register.models import Compound

STEP_DAYS = 14
COLLECTORS = ("张志强", "刘桂英", "陈军")  # the centre's staff who call and visit
action_t, case_t, contact_t = CollectionAction.__table__, CollectionCase.__table__, CollectionContact.__table__
payment_t = Payment.__table__


@dataclass
class CollectionsDemo:
    runs: int
    actions: int
    contacts: int


def build_collections(session: Session, *, compound_id: int, seed: str = "demo") -> CollectionsDemo:
    """Replay the collection runs from the first bill's due date to today, with the staff's outcomes. Flushes.

    A database migrated only as far as before collections (tests/compound/test_schema_rules.py builds the demo at an
    older revision) has nothing to chase.
    """
    if not sa.inspect(session.connection()).has_table(CollectionCase.__tablename__):
        return CollectionsDemo(0, 0, 0)
    b = Bill.__table__
    first, last = session.execute(
        sa.select(sa.func.min(b.c.due_on), sa.func.max(b.c.issued_at))
        .where(b.c.compound_id == compound_id, b.c.status == BillStatus.issued)
    ).one()
    if first is None:
        return CollectionsDemo(0, 0, 0)
    compound = session.get(Compound, compound_id)
    rnd = random.Random(f"{seed}-collections")
    day, end = _as_date(first) + timedelta(days=30), _as_date(last) + timedelta(days=20)
    runs = contacts = 0
    while day <= end:
        run_collections(session, compound=compound, as_of=day)
        contacts += _outcomes(session, compound_id, day, rnd)
        runs += 1
        day += timedelta(days=STEP_DAYS)
    actions = session.execute(sa.select(sa.func.count()).where(action_t.c.compound_id == compound_id)).scalar_one()
    session.flush()
    return CollectionsDemo(runs, actions, contacts)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _outcomes(session: Session, compound_id: int, day: date, rnd: random.Random) -> int:
    """The staff work through the open tasks of the run: one contact each, dated within the fortnight."""
    tasks = session.execute(
        sa.select(action_t.c.id, action_t.c.case_id, action_t.c.payer_id, action_t.c.action, case_t.c.owed_fen)
        .join(case_t, sa.and_(case_t.c.compound_id == action_t.c.compound_id, case_t.c.id == action_t.c.case_id))
        .where(action_t.c.compound_id == compound_id, action_t.c.status == ActionStatus.open.value,
               action_t.c.action != ActionKind.key_defaulter.value)
        .order_by(action_t.c.id)
    ).all()
    rows, done, promises = [], [], []
    for t in tasks:
        on = day + timedelta(days=rnd.randint(1, STEP_DAYS - 2))
        outcome, payment_id, promise = _outcome(session, compound_id, t, on, rnd)
        at = datetime.combine(on, time(rnd.randint(1, 9), rnd.randint(0, 59)), UTC)  # 09:00–17:59 in Beijing
        rows.append({"compound_id": compound_id, "action_id": t.id, "case_id": t.case_id, "at": at,
                     "by": "" if t.action in LETTERS else rnd.choice(COLLECTORS), "outcome": outcome.value,
                     "promise_date": promise[0] if promise else None, "promise_fen": promise[1] if promise else None,
                     "payment_id": payment_id, "note": ""})
        if outcome != ContactOutcome.not_reached:
            done.append({"b_id": t.id, "b_on": on, "b_outcome": outcome.value})
        if promise:
            promises.append({"b_case": t.case_id, "b_date": promise[0], "b_fen": promise[1], "b_made": on})
    if rows:
        session.execute(sa.insert(contact_t), rows)
    if done:
        session.execute(
            sa.update(action_t)
            .where(action_t.c.compound_id == compound_id, action_t.c.id == sa.bindparam("b_id"))
            .values(status=ActionStatus.done.value, done_on=sa.bindparam("b_on"), outcome=sa.bindparam("b_outcome")),
            done,
            execution_options={"synchronize_session": False},
        )
    if promises:
        session.execute(
            sa.update(case_t)
            .where(case_t.c.compound_id == compound_id, case_t.c.id == sa.bindparam("b_case"))
            .values(promise_date=sa.bindparam("b_date"), promise_fen=sa.bindparam("b_fen"),
                    promise_made_on=sa.bindparam("b_made")),
            promises,
            execution_options={"synchronize_session": False},
        )
    return len(rows)


def _outcome(session: Session, compound_id: int, t: sa.Row, on: date, rnd: random.Random):
    """(outcome, payment_id, (promise date, fen) or None) for one task."""
    if t.action in LETTERS:
        return ContactOutcome.sent, None, None
    # The payment the payer made within a week of the contact, if any: a visit that collected it, a call that
    # brought it in.
    paid = session.execute(
        sa.select(payment_t.c.id)
        .where(payment_t.c.compound_id == compound_id, payment_t.c.payer_id == t.payer_id,
               payment_t.c.received_on >= on, payment_t.c.received_on <= on + timedelta(days=7))
        .order_by(payment_t.c.received_on).limit(1)
    ).scalar_one_or_none()
    if paid is not None and t.action == ActionKind.home_visit:
        return ContactOutcome.paid, paid, None
    roll = rnd.random()
    if paid is not None or roll < 0.3:
        return ContactOutcome.promised, None, (on + timedelta(days=rnd.choice((7, 14, 21))), max(1, t.owed_fen))
    if roll < 0.6:
        return ContactOutcome.reached, None, None
    if roll < 0.85:
        return ContactOutcome.not_reached, None, None
    return ContactOutcome.refused, None, None
