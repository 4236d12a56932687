"""Reading bills back: the issue's JSON shape for scripts, one bill with its lines, a period's exceptions."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from billing.errors import BillingNotFound
from billing.models import Bill, BillAdjustment, BillException, BillingPeriod, BillLine
from billing.periods import find_period, month_label
from compound.kit.i18n import gettext as _
from compound.register.models import Account
from meters.models import Meter

Consumer, Payer = aliased(Account), aliased(Account)


def period_or_404(session: Session, *, compound_id: int, month: date) -> BillingPeriod:
    period = find_period(session, compound_id=compound_id, month=month)
    if period is None:
        raise BillingNotFound(_("There are no bills for %(month)s yet.", month=month_label(month)), field="period")
    return period


def _bills_query(compound_id: int) -> sa.Select:
    return (
        sa.select(Bill, Consumer.code, Payer.code, BillingPeriod.month)
        .join(Consumer, sa.and_(Consumer.compound_id == Bill.compound_id, Consumer.id == Bill.account_id))
        .join(Payer, sa.and_(Payer.compound_id == Bill.compound_id, Payer.id == Bill.payer_id))
        .join(BillingPeriod, sa.and_(BillingPeriod.compound_id == Bill.compound_id, BillingPeriod.id == Bill.period_id))
        .where(Bill.compound_id == compound_id)
    )


def _lines(session: Session, compound_id: int, bill_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    q = (
        sa.select(BillLine, Meter.serial)
        .outerjoin(Meter, sa.and_(Meter.compound_id == BillLine.compound_id, Meter.id == BillLine.meter_id))
        .where(BillLine.compound_id == compound_id, BillLine.bill_id.in_(bill_ids))
        .order_by(BillLine.bill_id, BillLine.position, BillLine.id)
    )
    for line, serial in session.execute(q):
        found[line.bill_id].append(line_json(line, serial))
    return found


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def line_json(line: BillLine, serial: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": line.kind,
        "component": line.component,
        "quantity": _text(line.quantity),
        "price": _text(line.price),
        "amount": _text(line.amount),
        "label": line.label,
        "block": line.block,
        "days": line.days,
        "tariff_id": line.tariff_id,
    }
    if line.meter_id is not None:
        body.update(
            meter=serial,
            previous_reading=_text(line.previous_value),
            previous_estimated=line.previous_estimated,
            current_reading=_text(line.current_value),
            current_estimated=line.current_estimated,
            multiplier=line.multiplier,
        )
    return body


def bill_json(bill: Bill, consumer: str, payer: str, month: date, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": bill.id,
        "account_code": consumer,
        "payer_code": payer,
        "utility": bill.utility,
        "period": month_label(month),
        "status": bill.status,
        "quantity": str(bill.quantity),
        "amount": str(bill.amount),
        "official_use": bill.official_use,
        "due_on": bill.due_on.isoformat() if bill.due_on else None,
        "lines": lines,
    }


def bills_of_period(
    session: Session, *, compound_id: int, month: date, account_id: int | None = None, building_id: int | None = None
) -> list[dict[str, Any]]:
    """Every bill of the period in the issue's shape, quantities and money as decimal strings."""
    period = period_or_404(session, compound_id=compound_id, month=month)
    q = _bills_query(compound_id).where(Bill.period_id == period.id)
    if account_id is not None:
        q = q.where(Bill.account_id == account_id)
    if building_id is not None:
        q = q.where(Consumer.building_id == building_id)
    rows = session.execute(q.order_by(Consumer.code, Bill.utility)).all()
    lines = _lines(session, compound_id, [b.id for b, *_ in rows])
    return [bill_json(b, consumer, payer, month, lines[b.id]) for b, consumer, payer, month in rows]


def one_bill(session: Session, *, compound_id: int, bill_id: int) -> dict[str, Any]:
    row = session.execute(_bills_query(compound_id).where(Bill.id == bill_id)).first()
    if row is None:
        raise BillingNotFound(_("No such bill."), field="bill_id")
    bill, consumer, payer, month = row
    body = bill_json(bill, consumer, payer, month, _lines(session, compound_id, [bill.id])[bill.id])
    body["adjustments"] = [
        {
            "id": a.id,
            "amount": str(a.amount),
            "reason": a.reason,
            "created_by": a.created_by,
            "created_at": a.created_at.isoformat() if a.created_at else None,
        }
        for a in session.execute(
            sa.select(BillAdjustment)
            .where(BillAdjustment.compound_id == compound_id, BillAdjustment.bill_id == bill.id)
            .order_by(BillAdjustment.id)
        ).scalars()
    ]
    return body


def exceptions_of_period(session: Session, *, compound_id: int, month: date) -> list[dict[str, Any]]:
    period = period_or_404(session, compound_id=compound_id, month=month)
    q = (
        sa.select(BillException, Account.code, Account.name, Meter.serial)
        .outerjoin(
            Account, sa.and_(Account.compound_id == BillException.compound_id, Account.id == BillException.account_id)
        )
        .outerjoin(Meter, sa.and_(Meter.compound_id == BillException.compound_id, Meter.id == BillException.meter_id))
        .where(BillException.compound_id == compound_id, BillException.period_id == period.id)
        .order_by(BillException.code, Account.code)
    )
    return [
        {
            "code": e.code,
            "account_code": code,
            "account_name": name,
            "meter": serial,
            "utility": e.utility,
            "account_id": e.account_id,
            "detail": e.detail,
        }
        for e, code, name, serial in session.execute(q)
    ]
