"""The utility's bills as finance types them in, and each one set beside the compound's own reading of the meter.

A master meter that disagrees with the utility beyond the compound's tolerance is itself a finding: either
meter may be wrong, and the money the utility charges follows its own reading.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock, lookups
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Meter, MeterRole
from reports.balance.settings import get_settings
from reports.balance.usage import Window, meter_use
from reports.formulas.numbers import HUNDRED, ratio, round_pct
from reports.models import UtilityBill, UtilityBillLine
from reports.schemas import UtilityBillCreate

FEN = 100


def to_fen(yuan: Decimal) -> int:
    """Yuan with at most two places → integer fen (the schema has already refused a third place)."""
    fen = Decimal(yuan) * FEN
    if fen != fen.to_integral_value():
        raise InvalidInput(_("Amounts are in yuan with at most two decimal places."), field="amount")
    return int(fen)


def to_yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def to_milli(quantity: Decimal) -> int:
    return int(Decimal(quantity).scaleb(3))


def _utility_meter(session: Session, compound: Compound, meter_id: int) -> Meter:
    meter = lookups.get_or_raise(
        session,
        Meter,
        compound_id=compound.id,
        id=meter_id,
        error=InvalidInput,
        message=_("No such meter."),
        field="meter_id",
    )
    if meter.role != MeterRole.utility:
        raise InvalidInput(_("The utility bills the compound on its utility meters only."), field="meter_id")
    return meter


def create_bill(session: Session, *, compound: Compound, data: UtilityBillCreate) -> UtilityBill:
    """Record one of the utility's bills with its printed lines; the lines must add up to the amount."""
    meter = _utility_meter(session, compound, data.meter_id)
    if data.period_end_date < data.period_start_date:
        raise InvalidInput(_("The bill's period ends before it starts."), field="period_end_date")
    amount = to_fen(data.amount)
    lines = [(line, to_fen(line.amount)) for line in data.lines]
    if lines and sum(fen for _line, fen in lines) != amount:
        total = to_yuan(sum(fen for _line, fen in lines))
        raise InvalidInput(
            _("The lines add up to %(total)s yuan, not the bill's %(amount)s yuan.", total=total, amount=data.amount),
            field="lines",
        )
    if lookups.exists(
        session, UtilityBill, compound_id=compound.id, meter_id=meter.id, period_start_date=data.period_start_date
    ):
        raise Conflict(
            _(
                "A bill of meter %(serial)s from %(date)s is already recorded.",
                serial=meter.serial,
                date=data.period_start_date,
            ),
            field="period_start_date",
        )
    bill = UtilityBill(
        compound_id=compound.id,
        meter_id=meter.id,
        period_start_date=data.period_start_date,
        period_end_date=data.period_end_date,
        quantity_milli=to_milli(data.quantity),
        amount_fen=amount,
        bill_number=data.bill_number,
        issued_date=data.issued_date,
        note=data.note,
    )
    session.add(bill)
    session.flush()
    for position, (line, fen) in enumerate(lines, start=1):
        session.add(
            UtilityBillLine(
                compound_id=compound.id,
                bill_id=bill.id,
                position=position,
                label=line.label,
                quantity_milli=None if line.quantity is None else to_milli(line.quantity),
                unit_price=line.unit_price,
                amount_fen=fen,
            )
        )
    session.flush()
    return bill


def list_bills(
    session: Session,
    *,
    compound: Compound,
    meter_ids: list[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[UtilityBill]:
    """Bills of the compound (of these meters), those whose days meet [start, end), newest first."""
    q = sa.select(UtilityBill).where(UtilityBill.compound_id == compound.id)
    if meter_ids is not None:
        q = q.where(UtilityBill.meter_id.in_(meter_ids))
    if start is not None:
        q = q.where(UtilityBill.period_end_date >= start)
    if end is not None:
        q = q.where(UtilityBill.period_start_date < end)
    return list(session.execute(q.order_by(UtilityBill.period_start_date.desc(), UtilityBill.id.desc())).scalars())


def bill_lines(session: Session, *, compound: Compound, bill_ids: list[int]) -> dict[int, list[UtilityBillLine]]:
    if not bill_ids:
        return {}
    rows = session.execute(
        sa.select(UtilityBillLine)
        .where(UtilityBillLine.compound_id == compound.id, UtilityBillLine.bill_id.in_(bill_ids))
        .order_by(UtilityBillLine.bill_id, UtilityBillLine.position)
    ).scalars()
    out: dict[int, list[UtilityBillLine]] = {}
    for line in rows:
        out.setdefault(line.bill_id, []).append(line)
    return out


@dataclass(frozen=True)
class BillCheck:
    """A utility bill beside the compound's own reading of the same meter over the same days."""

    bill: UtilityBill
    own_milli: int | None  # None: no readings cover the bill's days
    own_estimated: bool

    def difference_milli(self) -> int | None:
        return None if self.own_milli is None else self.bill.quantity_milli - self.own_milli

    def difference_pct(self) -> Decimal | None:
        diff = self.difference_milli()
        if diff is None or not self.own_milli:
            return None
        return round_pct(ratio(Decimal(diff) * HUNDRED, Decimal(self.own_milli)))

    def beyond(self, tolerance: Decimal) -> bool:
        diff = self.difference_milli()
        if diff is None:
            return False
        return abs(Decimal(diff)) > Decimal(tolerance) * Decimal(self.own_milli or 0)


def bill_window(compound: Compound, bill: UtilityBill) -> Window:
    tz = clock.tz_of(compound)
    start = datetime.combine(bill.period_start_date, time(), tzinfo=tz)
    end = datetime.combine(bill.period_end_date + timedelta(days=1), time(), tzinfo=tz)
    return Window(start, end)


def check_bills(session: Session, *, compound: Compound, bills: list[UtilityBill]) -> list[BillCheck]:
    """Each bill with the compound's own reading of its meter over its days (interpolated like the balance)."""
    dialect = session.get_bind().dialect.name
    out = []
    for bill in bills:
        use = meter_use(
            compound_id=compound.id, window=bill_window(compound, bill), dialect=dialect, meter_ids=[bill.meter_id]
        )
        row = session.execute(sa.select(use.c.use_milli, use.c.estimated_milli)).first()
        own = None if row is None else int(row[0])
        out.append(BillCheck(bill, own, bool(row and row[1])))
    return out


def tolerance(session: Session, *, compound: Compound) -> Decimal:
    return Decimal(get_settings(session, compound=compound).utility_tolerance_fraction)


def average_cost_per_unit(bills: list[UtilityBill]) -> Decimal | None:
    """Yuan per m³ or kWh over the bills (amount / quantity), carried exactly; None without quantity."""
    quantity = sum(b.quantity_milli for b in bills)
    if not quantity:
        return None
    return ratio(Decimal(sum(b.amount_fen for b in bills)) * 10, Decimal(quantity))
