"""Households in arrears for the collection tests, and what the run made for them."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.collections.models import CollectionAction, CollectionCase
from billing.payments.service import NewPayment, record_payment
from compound.kit import clock
from compound.register.models import Compound
from tests.billing.ledger_factories import make_bill


def bill(session: Session, c: Compound, a, amount: str, due_on: date, *, payer=None):
    """An issued bill of the month before `due_on`, issued a month before it is due."""
    month = date(due_on.year, due_on.month, 1)
    month = date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)
    return make_bill(session, compound=c, account=a, amount=amount, month=month, due_on=due_on,
                     issued_on=month.replace(day=28), payer=payer)


def set_today(on: date) -> None:
    at = datetime.combine(on, time(4), UTC)  # noon in Shanghai
    clock.set_clock(lambda: at)


def pay(session: Session, c: Compound, a, amount: str, on: date):
    set_today(on)
    return record_payment(session, compound=c,
                          data=NewPayment(payer_id=a.id, method="cash", amount=Decimal(amount), received_on=on))


def actions(session: Session, c: Compound, payer_id: int | None = None) -> list[tuple[int, str, str]]:
    t = CollectionAction.__table__.c
    q = sa.select(t.position, t.action, t.status).where(t.compound_id == c.id).order_by(t.id)
    if payer_id is not None:
        q = q.where(t.payer_id == payer_id)
    return [tuple(r) for r in session.execute(q)]


def open_case(session: Session, c: Compound, payer_id: int) -> CollectionCase | None:
    return session.execute(
        sa.select(CollectionCase).where(CollectionCase.compound_id == c.id, CollectionCase.payer_id == payer_id,
                                        CollectionCase.closed_on.is_(None))
        .execution_options(populate_existing=True)  # the run writes with Core: never an object of before it
    ).scalar_one_or_none()
