"""Allocating payments to bills: to the bills the clerk picks, then oldest bill first, set-based.

An allocation never exceeds what is free of its payment nor what is left of its bill: both are computed from
the live rows (billing/ledger/entries.py) in the same statement that inserts, with the payers' rows locked
first (lock_payers) so that two payments of one payer never allocate the same fen twice.
"""

from datetime import date
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.balances import HasCompound
from billing.ledger.entries import AsOf, Payers, bill_open, from_fen, payment_unallocated, yuan
from billing.payments.models import PaymentAllocation
from compound.kit.db import AwareDateTime
from compound.register.models import Account

allocation = PaymentAllocation.__table__


def lock_payers(session: Session, *, compound_id: int, payers: Payers) -> None:
    """PostgreSQL: lock the payers' account rows, in id order (no deadlock); SQLite's write lock already serialises."""
    if session.get_bind().dialect.name != "postgresql":
        return
    a = Account.__table__
    q = sa.select(a.c.id).where(a.c.compound_id == compound_id).order_by(a.c.id).with_for_update()
    if payers is not None:
        q = q.where(a.c.id.in_(list(payers)))
    session.execute(q).all()


def apply_credit(session: Session, *, compound: HasCompound, on: date, payers: Payers = None) -> int:
    """Allocate every payer's free credit to their open bills, oldest first (FIFO). Returns the rows inserted.

    Credit pieces (live payments, oldest first) and debit pieces (bills still owed, oldest period first) each
    cover a stretch of the payer's running total; an allocation is where a payment's stretch meets a bill's.
    The caller holds the payers' locks (lock_payers). The statement is built once (bound parameters): building
    it took most of a payment's time.
    """
    at = AsOf.of(compound, on)
    params = {"cid": compound.id, "day": at.day, "until": at.until}
    if payers is not None:
        params["payers"] = list(payers)
    return session.execute(_apply_credit_statement(payers is not None), params).rowcount


@cache
def _apply_credit_statement(some_payers: bool) -> sa.Insert:
    cid = sa.bindparam("cid", type_=sa.BigInteger)
    at = AsOf(sa.bindparam("day", type_=sa.Date), sa.bindparam("until", type_=AwareDateTime()))  # type: ignore[arg-type]
    payers = sa.bindparam("payers", expanding=True) if some_payers else None
    bo = bill_open(cid, at, payers).subquery("bo")  # type: ignore[arg-type]
    free = payment_unallocated(cid, at, payers).subquery("pu")  # type: ignore[arg-type]
    d_hi = sa.func.sum(bo.c.open_fen).over(partition_by=bo.c.payer_id, order_by=(bo.c.month, bo.c.due_on, bo.c.bill_id))
    c_hi = sa.func.sum(free.c.free_fen).over(
        partition_by=free.c.payer_id, order_by=(free.c.received_on, free.c.payment_id)
    )
    debits = (
        sa.select(bo.c.payer_id, bo.c.bill_id, bo.c.open_fen, d_hi.label("hi")).where(bo.c.open_fen > 0).subquery("d")
    )
    credits = (
        sa.select(free.c.payer_id, free.c.payment_id, free.c.free_fen, c_hi.label("hi"))
        .where(free.c.free_fen > 0)
        .subquery("c")
    )
    d_lo, c_lo = debits.c.hi - debits.c.open_fen, credits.c.hi - credits.c.free_fen
    top = sa.case((credits.c.hi < debits.c.hi, credits.c.hi), else_=debits.c.hi)
    bottom = sa.case((c_lo > d_lo, c_lo), else_=d_lo)
    pieces = (
        sa.select(
            cid.label("compound_id"),
            credits.c.payment_id,
            debits.c.bill_id,
            from_fen(top - bottom).label("amount"),
            sa.bindparam("day", type_=sa.Date).label("allocated_on"),
        )
        .select_from(credits.join(debits, debits.c.payer_id == credits.c.payer_id))
        .where(c_lo < debits.c.hi, d_lo < credits.c.hi)
    )
    cols = ["compound_id", "payment_id", "bill_id", "amount", "allocated_on"]
    return sa.insert(allocation).from_select(cols, pieces)


def allocate_to_bills(
    session: Session, *, compound: HasCompound, payment_id: int, payer_id: int, bill_ids: list[int], on: date
) -> list[tuple[int, int]]:
    """Allocate one payment to the picked bills in the order given, each up to what is left of it.

    Returns (bill_id, fen) of each allocation made; bills that owe nothing any more get none.
    """
    at = AsOf.of(compound, on)
    free_q = payment_unallocated(compound.id, at, [payer_id]).subquery("pu")
    free = session.execute(sa.select(free_q.c.free_fen).where(free_q.c.payment_id == payment_id)).scalar_one()
    bo = bill_open(compound.id, at, [payer_id]).subquery("bo")
    owed = dict(session.execute(sa.select(bo.c.bill_id, bo.c.open_fen).where(bo.c.bill_id.in_(bill_ids))).all())
    made = []
    for bill_id in bill_ids:
        take = min(free, owed.get(bill_id, 0))
        if take <= 0:
            continue
        session.execute(
            sa.insert(allocation).values(
                compound_id=compound.id,
                payment_id=payment_id,
                bill_id=bill_id,
                amount=yuan(take),
                allocated_on=on,
            )
        )
        made.append((bill_id, take))
        free -= take
    return made
