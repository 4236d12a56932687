"""Balances and open items of payers, as of a day: sums of the ledger's entries, in a few set-based queries."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.entries import AsOf, Payers, bill_open, payment_unallocated, signed_entries, yuan
from compound.kit.clock import HasTimezone


class HasCompound(HasTimezone):
    id: int


def balances(session: Session, *, compound: HasCompound, as_of: date, payers: Payers = None) -> dict[int, Decimal]:
    """Every payer's balance at the end of `as_of` (owed > 0, credit < 0); payers with no entry are left out."""
    entries = signed_entries(compound.id, AsOf.of(compound, as_of), payers).subquery("e")
    q = sa.select(entries.c.payer_id, sa.func.sum(entries.c.fen)).group_by(entries.c.payer_id)
    return {payer: yuan(total) for payer, total in session.execute(q)}


def balance(session: Session, *, compound: HasCompound, payer_id: int, as_of: date) -> Decimal:
    return balances(session, compound=compound, as_of=as_of, payers=[payer_id]).get(payer_id, Decimal("0.00"))


def open_items_query(compound: HasCompound, as_of: date, payers: Payers = None) -> sa.Select:
    """What is still owed, bill by bill, after every credit of the payer has been set against the oldest.

    Columns: compound_id, payer_id, bill_id, account_id (the consumer), class_id, utility, official_use, month
    (the period's first day), due_on, open_fen (> 0). Stored allocations come first; the rest of a payer's
    credit (unallocated payments, credit notes beyond what a bill still owed) covers the oldest bills, so the
    items always add up to the balance, whether or not the credit has been allocated yet.
    """
    at = AsOf.of(compound, as_of)
    # CTEs: each is used twice, and SQLite materialises a CTE used more than once (it would run a subquery twice).
    bo = bill_open(compound.id, at, payers).cte("bo")
    free = payment_unallocated(compound.id, at, payers).cte("pu")
    credit = sa.union_all(
        sa.select(bo.c.payer_id, (-bo.c.open_fen).label("fen")).where(bo.c.open_fen < 0),
        sa.select(free.c.payer_id, free.c.free_fen).where(free.c.free_fen > 0),
    ).subquery("cr")
    credits = (
        sa.select(credit.c.payer_id, sa.func.sum(credit.c.fen).label("fen"))
        .group_by(credit.c.payer_id)
        .subquery("credits")
    )
    cumulative = sa.func.sum(bo.c.open_fen).over(
        partition_by=bo.c.payer_id, order_by=(bo.c.month, bo.c.due_on, bo.c.bill_id)
    )
    pos = sa.select(bo, cumulative.label("cum")).where(bo.c.open_fen > 0).subquery("pos")
    left = pos.c.cum - sa.func.coalesce(credits.c.fen, 0)
    remaining = sa.case((left <= 0, 0), (left >= pos.c.open_fen, pos.c.open_fen), else_=left)
    items = (
        sa.select(
            pos.c.compound_id,
            pos.c.payer_id,
            pos.c.bill_id,
            pos.c.account_id,
            pos.c.class_id,
            pos.c.utility,
            pos.c.official_use,
            pos.c.month,
            pos.c.due_on,
            remaining.label("open_fen"),
        )
        .outerjoin(credits, credits.c.payer_id == pos.c.payer_id)
        .subquery("items")
    )
    return sa.select(items).where(items.c.open_fen > 0)


@dataclass(frozen=True)
class OpenItem:
    payer_id: int
    bill_id: int
    account_id: int
    utility: str
    month: date
    due_on: date
    amount: Decimal


def open_items(session: Session, *, compound: HasCompound, as_of: date, payers: Payers = None) -> list[OpenItem]:
    """The bills still (partly) owed, oldest first."""
    q = open_items_query(compound, as_of, payers).subquery("o")
    rows = session.execute(sa.select(q).order_by(q.c.payer_id, q.c.month, q.c.due_on, q.c.bill_id))
    return [
        OpenItem(r.payer_id, r.bill_id, r.account_id, r.utility, _day(r.month), _day(r.due_on), yuan(r.open_fen))
        for r in rows
    ]


def arrears_query(compound: HasCompound, as_of: date, payers: Payers = None) -> sa.Select:
    """Per payer with anything owed: owed_fen (the open items' sum = a positive balance), overdue_fen (due before
    `as_of`) and oldest_due_on (of the oldest open item): what a collection run needs, in one query."""
    o = open_items_query(compound, as_of, payers).subquery("o")
    overdue = sa.func.sum(sa.case((o.c.due_on < as_of, o.c.open_fen), else_=0))
    return sa.select(
        o.c.payer_id,
        sa.func.sum(o.c.open_fen).label("owed_fen"),
        overdue.label("overdue_fen"),
        sa.func.min(o.c.due_on).label("oldest_due_on"),
    ).group_by(o.c.payer_id)


def _day(value: object) -> date:
    """SQLite hands a date computed in SQL (COALESCE) back as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
