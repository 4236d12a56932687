"""What the ledger says was paid: payments allocated to bills, and the arrears a period's payments cleared.

Every figure comes from the ledger's own entries (billing/ledger/entries.py): an allocation counts as of a day
when its payment was received by then and not reversed by then, and it was made by then; amounts are integer fen
in SQL, so they may be added up there on both databases.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.entries import AsOf, bill, live_allocations, payment, yuan
from billing.ledger.entries import period as billing_period
from compound.kit import clock
from compound.register.models import Compound
from meters.models import Utility
from reports.formulas.numbers import ZERO
from reports.periods import Period


@dataclass(frozen=True)
class Allocation:
    bill_id: int
    amount: Decimal
    on: date  # the day the payment it comes from was received


def _as_of(compound: Compound, day: date | None) -> AsOf:
    return AsOf.of(compound, day or clock.today(compound))


def allocations(
    session: Session, *, compound: Compound, bill_ids: list[int] | None, as_of: date | None = None
) -> list[Allocation]:
    """The live allocations as of the day (by default today) to these bills (None: to every bill)."""
    live = live_allocations(compound.id, _as_of(compound, as_of)).subquery("live")
    q = sa.select(live.c.bill_id, live.c.fen, payment.c.received_on).join(
        payment, sa.and_(payment.c.compound_id == compound.id, payment.c.id == live.c.payment_id)
    )
    if bill_ids is not None:
        if not bill_ids:
            return []
        q = q.where(live.c.bill_id.in_(bill_ids))
    return [Allocation(bill_id, yuan(fen), on) for bill_id, fen, on in session.execute(q).all()]


def allocated_to(
    session: Session, *, compound: Compound, bill_ids: list[int] | None, as_of: date | None = None
) -> dict[int, Decimal]:
    """{bill id: yuan allocated to it} as of the day."""
    out: dict[int, Decimal] = {}
    for a in allocations(session, compound=compound, bill_ids=bill_ids, as_of=as_of):
        out[a.bill_id] = out.get(a.bill_id, ZERO) + a.amount
    return out


def arrears_collected(
    session: Session, *, compound: Compound, utility: Utility, period: Period, as_of: date | None = None
) -> Decimal:
    """Payments received inside the period, allocated to bills of billing months before it (live as of the day)."""
    live = live_allocations(compound.id, _as_of(compound, as_of)).subquery("live")
    q = (
        sa.select(sa.func.coalesce(sa.func.sum(live.c.fen), 0))
        .select_from(live)
        .join(payment, sa.and_(payment.c.compound_id == compound.id, payment.c.id == live.c.payment_id))
        .join(bill, sa.and_(bill.c.compound_id == compound.id, bill.c.id == live.c.bill_id))
        .join(
            billing_period,
            sa.and_(billing_period.c.compound_id == compound.id, billing_period.c.id == bill.c.period_id),
        )
        .where(
            payment.c.received_on >= period.start,
            payment.c.received_on < period.end,
            bill.c.utility == utility.value,
            billing_period.c.month < period.start,
        )
    )
    return yuan(session.execute(q).scalar_one())


def paid_by_payer(
    session: Session, *, compound: Compound, as_of: date, due_before: date
) -> dict[tuple[int, bool], int]:
    """{(payer, official use?): fen} allocated by the day to the payer's bills due before `due_before`."""
    live = live_allocations(compound.id, _as_of(compound, as_of)).subquery("live")
    due = sa.func.coalesce(bill.c.due_on, bill.c.issued_at)
    q = (
        sa.select(bill.c.payer_id, bill.c.official_use, sa.func.sum(live.c.fen))
        .select_from(live)
        .join(bill, sa.and_(bill.c.compound_id == compound.id, bill.c.id == live.c.bill_id))
        .where(due < due_before)
        .group_by(bill.c.payer_id, bill.c.official_use)
    )
    return {(payer, official): int(fen) for payer, official, fen in session.execute(q).all()}
