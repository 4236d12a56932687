"""Arrears ageing: what is owed, by how long past its due date, grouped by account, building, zone, class or payer.

One query: the open items (billing/ledger/balances.py), each put in a bucket by comparing its due date with the
bucket's boundary dates (no date arithmetic in SQL, so the same on both databases), summed per group.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.balances import HasCompound, open_items_query
from billing.ledger.entries import Payers, yuan
from billing.models import CustomerClass
from compound.register.models import Account, Building, Zone

# (label, the oldest overdue days in the bucket); the last has no limit. "0–30" holds what is not yet due, too.
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("91-180", 180),
    ("over-180", None),
)


class AgeBy(StrEnum):
    account = "account"  # the consumer
    building = "building"
    zone = "zone"
    customer_class = "class"
    payer = "payer"


@dataclass
class AgeingRow:
    key: int | None  # the group's id (None: accounts with no building, zone or class)
    code: str
    name: str
    buckets: list[Decimal] = field(default_factory=list)  # in BUCKETS' order
    accounts: int = 0  # consumers with something open

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal("0.00"))


def _bucket_columns(items: sa.Subquery, as_of: date) -> list[sa.ColumnElement]:
    columns, newer = [], None
    for i, (_label, days) in enumerate(BUCKETS):
        oldest = as_of - timedelta(days=days) if days is not None else None
        cond = []
        if oldest is not None:
            cond.append(items.c.due_on >= oldest)
        if newer is not None:
            cond.append(items.c.due_on < newer)
        columns.append(sa.func.sum(sa.case((sa.and_(sa.true(), *cond), items.c.open_fen), else_=0)).label(f"b{i}"))
        newer = oldest
    return columns


def _group(by: AgeBy, items: sa.Subquery) -> tuple[sa.Select, list[sa.ColumnElement]]:
    """The select of the group's key, code and name over the items, with the joins it needs."""
    account, building, zone = Account.__table__, Building.__table__, Zone.__table__
    cls = CustomerClass.__table__
    on_account = sa.and_(account.c.compound_id == items.c.compound_id, account.c.id == items.c.account_id)
    if by is AgeBy.account:
        cols = [account.c.id, account.c.code, account.c.name]
        return sa.select(*cols).select_from(items.join(account, on_account)), cols
    if by is AgeBy.payer:
        on_payer = sa.and_(account.c.compound_id == items.c.compound_id, account.c.id == items.c.payer_id)
        cols = [account.c.id, account.c.code, account.c.name]
        return sa.select(*cols).select_from(items.join(account, on_payer)), cols
    if by is AgeBy.customer_class:
        on_class = sa.and_(cls.c.compound_id == items.c.compound_id, cls.c.id == items.c.class_id)
        cols = [cls.c.id, cls.c.code, cls.c.name]
        return sa.select(*cols).select_from(items.outerjoin(cls, on_class)), cols
    joined = items.join(account, on_account).outerjoin(
        building, sa.and_(building.c.compound_id == account.c.compound_id, building.c.id == account.c.building_id)
    )
    if by is AgeBy.building:
        cols = [building.c.id, building.c.name, building.c.name]
        return sa.select(*cols).select_from(joined), cols
    joined = joined.outerjoin(
        zone, sa.and_(zone.c.compound_id == building.c.compound_id, zone.c.id == building.c.zone_id)
    )
    cols = [zone.c.id, zone.c.name, zone.c.name]
    return sa.select(*cols).select_from(joined), cols


def ageing_query(compound: HasCompound, as_of: date, by: AgeBy, payers: Payers = None) -> sa.Select:
    """(key, code, name, b0 … b4 in fen, accounts) per group, largest total first."""
    items = open_items_query(compound, as_of, payers).subquery("items")
    select, cols = _group(by, items)
    return (
        select.add_columns(*_bucket_columns(items, as_of), sa.func.count(sa.distinct(items.c.account_id)))
        .group_by(*cols)
        .order_by(sa.func.sum(items.c.open_fen).desc(), cols[1])
    )


def ageing(
    session: Session, *, compound: HasCompound, as_of: date, by: AgeBy = AgeBy.account, payers: Payers = None
) -> list[AgeingRow]:
    """The ageing table, one row per group with anything open, largest total first."""
    rows = session.execute(ageing_query(compound, as_of, by, payers))
    return [
        AgeingRow(r[0], r[1] or "", r[2] or "", [yuan(r[3 + i]) for i in range(len(BUCKETS))], r[3 + len(BUCKETS)])
        for r in rows
    ]


def totals(rows: list[AgeingRow]) -> AgeingRow:
    """The table's last line: every bucket summed."""
    buckets = [sum((r.buckets[i] for r in rows), Decimal("0.00")) for i in range(len(BUCKETS))]
    return AgeingRow(None, "", "", buckets, sum(r.accounts for r in rows))
