"""The fingerprint of everything a period's money view rests on: when it changes, a cached page is stale.

Readings, bills, payments and allocations are never edited in place: a change is a new row (a new, larger id),
a reading superseded (its replacement is a new row), a draft bill re-run (deleted and inserted again) or issued
(its status). So counts, sums of ids and the largest id of the rows a period draws on change with every change,
and a sha256 of them is exact: two different sets of rows cannot give the same counts and id sums when every
new row's id is larger than every old one's (a replaced row leaves, a larger id enters: the sum grows).

What a period [start, end) draws on:

- readings: of each meter, those from its last reading at or before the start to its first reading at or after
  the end (the ones the balance interpolates and carries from), not superseded (see `_readings` for how one
  pass fingerprints them);
- bills and adjustments of the billing months before the end (the period's own, and the arrears owed at its end);
- payments received before the end, and allocations to the bills of those months or of those payments;
  reversals;
- the utility's bills, and the audit trail's last entry of the register, the meter tree and the settings (every
  change to those is audited; readings are counted above).
"""

import hashlib
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from billing.models import Bill, BillAdjustment, BillingPeriod
from billing.payments.models import Payment, PaymentAllocation, PaymentReversal
from compound.audit.models import AuditEntry
from compound.kit import clock
from compound.register.models import Compound
from meters.models import Reading
from reports.models import UtilityBill
from reports.periods import Period

# Audited tables whose changes move a balance (the readings' own entries are left to the reading counts).
REGISTER_TYPES = (
    "meter", "transformer", "unmetered_use", "seal", "account", "zone", "building", "compound",
    "balance_settings", "unbilled_account", "loss_cable", "utility_bill", "utility_bill_line",
    "billing_account", "customer_class", "work_order",
)  # fmt: skip


def _readings(session: Session, compound_id: int, windows: list[tuple[datetime, datetime]]) -> list[tuple]:
    """Per window [start, end), from one pass over the compound's readings:

    - the live readings at or before the start (count, Σ id): a backdated reading or a correction there;
    - the live readings inside (count, Σ id);
    - the meters with a live reading at or after the end: a meter's first reading after the end (the balance
      carries a meter not read since at its last rate, so that first reading changes the period);
    - the superseded readings at or after the end: an estimate or reading there replaced.

    A new reading always comes after its meter's last one (the readings refuse one before it), so a reading after
    the end that is not its meter's first one there changes none of these, and the cache of a past month survives
    every later round. The last two parts may also move for changes the period does not see (an estimate replaced
    long after it): the cache is then recomputed for nothing, never kept wrongly.
    """
    r = Reading.__table__.c
    live = r.superseded_by_id.is_(None)
    parts = []
    for start, end in windows:
        before = sa.and_(live, r.read_at <= start)
        inside = sa.and_(live, r.read_at > start, r.read_at < end)
        parts += [
            sa.func.sum(sa.case((before, 1), else_=0)),
            sa.func.sum(sa.case((before, r.id), else_=0)),
            sa.func.sum(sa.case((inside, 1), else_=0)),
            sa.func.sum(sa.case((inside, r.id), else_=0)),
            sa.func.count(sa.distinct(sa.case((sa.and_(live, r.read_at >= end), r.meter_id)))),
            sa.func.sum(sa.case((sa.and_(r.superseded_by_id.is_not(None), r.read_at >= end), r.id), else_=0)),
        ]
    return [tuple(session.execute(sa.select(*parts).where(r.compound_id == compound_id)).one())]


def _count(session: Session, table: sa.Table, *where: sa.ColumnElement) -> tuple:
    c = table.c
    return tuple(session.execute(sa.select(sa.func.count(), sa.func.sum(c.id), sa.func.max(c.id)).where(*where)).one())


def _ledger(session: Session, compound_id: int, end: date) -> list[tuple]:
    """Bills, adjustments, payments, allocations and reversals the period's end can see."""
    b, p, j = Bill.__table__.c, BillingPeriod.__table__.c, BillAdjustment.__table__.c
    months = sa.select(p.id).where(p.compound_id == compound_id, p.month < end)
    issued = sa.func.sum(sa.case((b.status == "issued", b.id), else_=0))
    out = [
        tuple(
            session.execute(
                sa.select(sa.func.count(), sa.func.sum(b.id), issued).where(
                    b.compound_id == compound_id, b.period_id.in_(months)
                )
            ).one()
        ),  # fmt: skip
        _count(session, BillAdjustment.__table__, j.compound_id == compound_id, j.period_id.in_(months)),
    ]
    return out + _payments(session, compound_id, end)


def _payments(session: Session, compound_id: int, end: date) -> list[tuple]:
    """Payments received before the end, their allocations, and every reversal."""
    pay, alloc, rev = Payment.__table__.c, PaymentAllocation.__table__.c, PaymentReversal.__table__.c
    received = sa.select(pay.id).where(pay.compound_id == compound_id, pay.received_on < end)
    return [
        _count(session, Payment.__table__, pay.compound_id == compound_id, pay.received_on < end),
        _count(session, PaymentAllocation.__table__, alloc.compound_id == compound_id, alloc.payment_id.in_(received)),
        _count(session, PaymentReversal.__table__, rev.compound_id == compound_id),
    ]


def _register(session: Session, compound_id: int) -> list[tuple]:
    a, u = AuditEntry.__table__.c, UtilityBill.__table__.c
    last = session.execute(
        sa.select(sa.func.max(a.id)).where(a.compound_id == compound_id, a.object_type.in_(REGISTER_TYPES))
    ).scalar_one()
    bills = session.execute(
        sa.select(sa.func.count(), sa.func.sum(u.id), sa.func.sum(u.amount_fen), sa.func.sum(u.quantity_milli)).where(
            u.compound_id == compound_id)).one()  # fmt: skip
    return [(last,), tuple(bills)]


def fingerprint(session: Session, *, compound: Compound, periods: list[Period]) -> str:
    """A sha256 of every row the periods' money view draws on (see the module docstring)."""
    tz = clock.tz_of(compound)
    windows = [p.bounds(tz) for p in periods]
    parts: list[tuple] = _readings(session, compound.id, windows)
    parts += _ledger(session, compound.id, max(p.end for p in periods))
    parts += _register(session, compound.id)
    text = repr([tuple(str(v) for v in part) for part in parts]) + repr([p.label for p in periods])
    return hashlib.sha256(text.encode()).hexdigest()
