"""What the finance pages show: periods with their totals, a period's bills, notices to print, the bill register."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from billing.bills import bills_of_period, period_or_404
from billing.models import Bill, BillingPeriod, CustomerClass
from compound.register.models import Account, Building, Zone

ZERO = Decimal("0.00")


@dataclass
class PeriodRow:
    period: BillingPeriod
    bills: int = 0
    drafts: int = 0
    amount: Decimal = ZERO


def periods(session: Session, *, compound_id: int) -> list[PeriodRow]:
    """Every period, newest first, with its number of bills, drafts and total (summed as Decimal, in Python)."""
    rows = {
        p.id: PeriodRow(p)
        for p in session.execute(
            sa.select(BillingPeriod)
            .where(BillingPeriod.compound_id == compound_id)
            .order_by(BillingPeriod.month.desc())
        ).scalars()
    }
    for period_id, status, amount in session.execute(
        sa.select(Bill.period_id, Bill.status, Bill.amount).where(Bill.compound_id == compound_id)
    ):
        row = rows[period_id]
        row.bills += 1
        row.drafts += status == "draft"
        row.amount += amount
    return list(rows.values())


@dataclass
class Place:
    """Where each account is, for notices and the register's totals."""

    building: dict[int, str] = field(default_factory=dict)  # account id → building name
    zone: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    flats: dict[int, str] = field(default_factory=dict)


def places(session: Session, *, compound_id: int) -> Place:
    out = Place()
    q = (
        sa.select(Account.id, Account.name, Account.flat, Building.name, Zone.name)
        .outerjoin(Building, sa.and_(Building.compound_id == Account.compound_id, Building.id == Account.building_id))
        .outerjoin(Zone, sa.and_(Zone.compound_id == Building.compound_id, Zone.id == Building.zone_id))
        .where(Account.compound_id == compound_id)
    )
    for aid, name, flat, building, zone in session.execute(q):
        out.names[aid], out.flats[aid] = name, flat or ""
        out.building[aid], out.zone[aid] = building or "", zone or ""
    return out


def account_ids_in(
    session: Session, *, compound_id: int, building_id: int | None, zone_id: int | None, account_id: int | None
) -> set[int] | None:
    """The accounts a print covers: one account, a building's, a zone's (None: all)."""
    if account_id is not None:
        return {account_id}
    q = sa.select(Account.id).where(Account.compound_id == compound_id)
    if building_id is not None:
        q = q.where(Account.building_id == building_id)
    elif zone_id is not None:
        q = q.join(Building, sa.and_(Building.compound_id == Account.compound_id, Building.id == Account.building_id))
        q = q.where(Building.zone_id == zone_id)
    else:
        return None
    return set(session.execute(q).scalars())


def notices(session: Session, *, compound_id: int, month: date, accounts: set[int] | None) -> list[dict[str, Any]]:
    """One notice per consuming account: its bills of the period (water, electricity) with their lines."""
    period = period_or_404(session, compound_id=compound_id, month=month)
    ids = dict(
        session.execute(
            sa.select(Bill.id, Bill.account_id).where(Bill.compound_id == compound_id, Bill.period_id == period.id)
        ).all()
    )
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for bill in bills_of_period(session, compound_id=compound_id, month=month):
        aid = ids[bill["id"]]
        if accounts is None or aid in accounts:
            grouped[aid].append(bill)
    where = places(session, compound_id=compound_id)
    out = []
    for aid, bills in grouped.items():
        out.append(
            {
                "account_id": aid,
                "code": bills[0]["account_code"],
                "name": where.names.get(aid, ""),
                "flat": where.flats.get(aid, ""),
                "building": where.building.get(aid, ""),
                "zone": where.zone.get(aid, ""),
                "bills": bills,
                "total": sum((Decimal(b["amount"]) for b in bills), ZERO),
            }
        )
    return sorted(out, key=lambda n: (n["building"], n["flat"], n["code"]))


def register_rows(session: Session, *, compound_id: int, month: date) -> tuple[list[list[Any]], list[list[Any]]]:
    """The period's bill register: one row per bill, then the totals per zone, building, class and utility."""
    period = period_or_404(session, compound_id=compound_id, month=month)
    where = places(session, compound_id=compound_id)
    classes = dict(
        session.execute(
            sa.select(CustomerClass.id, CustomerClass.code).where(CustomerClass.compound_id == compound_id)
        ).all()
    )
    codes = dict(session.execute(sa.select(Account.id, Account.code).where(Account.compound_id == compound_id)).all())
    bills = (
        session.execute(
            sa.select(Bill)
            .where(Bill.compound_id == compound_id, Bill.period_id == period.id)
            .order_by(Bill.account_id, Bill.utility)
        )
        .scalars()
        .all()
    )
    rows, totals = [], {k: defaultdict(lambda: [Decimal(0), ZERO]) for k in ("zone", "building", "class", "utility")}
    for b in bills:
        z, bu, cl = where.zone.get(b.account_id, ""), where.building.get(b.account_id, ""), classes.get(b.class_id, "")
        rows.append(
            [
                codes.get(b.account_id, ""),
                where.names.get(b.account_id, ""),
                codes.get(b.payer_id, ""),
                z,
                bu,
                cl,
                b.utility,
                b.status,
                b.quantity,
                b.amount,
                "yes" if b.official_use else "",
            ]
        )
        for kind, key in (("zone", z), ("building", bu), ("class", cl), ("utility", b.utility)):
            # A zone's or building's quantity mixes m³ and kWh: keep them apart by utility.
            name = (key, b.utility) if kind in ("zone", "building", "class") else (key, "")
            totals[kind][name][0] += b.quantity
            totals[kind][name][1] += b.amount
    summary = [
        [kind, key, utility, q, a] for kind, group in totals.items() for (key, utility), (q, a) in sorted(group.items())
    ]
    return rows, summary


def buildings(session: Session, *, compound_id: int) -> list[Building]:
    return list(
        session.execute(
            sa.select(Building).where(Building.compound_id == compound_id).order_by(Building.name)
        ).scalars()
    )


def zones(session: Session, *, compound_id: int) -> list[Zone]:
    return list(session.execute(sa.select(Zone).where(Zone.compound_id == compound_id).order_by(Zone.name)).scalars())
