"""Work orders: from a finding or on their own, assigned, and moved open → in progress → done / cancelled.

Any other move is refused. A move is a compare-and-swap on the status, so two people closing the same order at
once cannot both succeed. Done, the order resolves its finding and becomes an event on the loss charts; a
"test a meter" order closed with a measured error records the meter's accuracy test.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock, lookups
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Building, Compound, Zone
from meters.models import Meter
from reports.findings.accuracy import record_test
from reports.findings.models import Finding, FindingStatus, OrderKind, OrderStatus, WorkOrder
from reports.findings.texts import kind_label

S = OrderStatus
MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.open: frozenset({S.in_progress, S.cancelled}),
    S.in_progress: frozenset({S.done, S.cancelled}),
    S.done: frozenset(),
    S.cancelled: frozenset(),
}
# What a finding of each kind usually calls for.
ORDER_FOR = {
    "zone_loss_high": OrderKind.repair_leak,
    "zone_loss_rising": OrderKind.repair_leak,
    "night_flow_leak": OrderKind.repair_leak,
    "utility_disagrees": OrderKind.test_meter,
    "stopped_meter": OrderKind.replace_meter,
    "broken_seal": OrderKind.seal_meter,
    "check_exceeded": OrderKind.test_meter,
    "unmetered_over": OrderKind.remove_unmetered_wiring,
}


def check_place(session: Session, compound: Compound, data: Any) -> None:
    for model, name, message in (
        (Meter, "meter_id", _("No such meter.")),
        (Zone, "zone_id", _("No such zone.")),
        (Building, "building_id", _("No such building.")),
    ):
        value = getattr(data, name, None)
        if value is not None:
            lookups.get_or_raise(
                session, model, compound_id=compound.id, id=value, error=InvalidInput, message=message, field=name
            )


def create_order(session: Session, *, compound: Compound, data: Any, by: str) -> WorkOrder:
    """A work order; from a finding it takes the finding's place and utility unless given others."""
    check_place(session, compound, data)
    finding = None
    if data.finding_id is not None:
        finding = lookups.get_or_raise(
            session,
            Finding,
            compound_id=compound.id,
            id=data.finding_id,
            error=InvalidInput,
            message=_("No such finding."),
            field="finding_id",
        )
        if finding.status == FindingStatus.dismissed:
            raise Conflict(_("The finding was dismissed."), field="finding_id")
    title = (data.title or "").strip() or (kind_label(finding.kind) if finding else "")
    if not title:
        raise InvalidInput(_("This field is required."), field="title")
    order = WorkOrder(
        compound_id=compound.id,
        finding_id=finding.id if finding else None,
        kind=OrderKind(data.kind),
        title=title,
        utility=data.utility or (finding.utility if finding else ""),
        zone_id=data.zone_id if data.zone_id is not None else (finding.zone_id if finding else None),
        building_id=data.building_id if data.building_id is not None else (finding.building_id if finding else None),
        meter_id=data.meter_id if data.meter_id is not None else (finding.meter_id if finding else None),
        assignee=(data.assignee or "").strip(),
        due_date=data.due_date,
        notes=(data.notes or "").strip(),
        created_by=by,
    )
    session.add(order)
    session.flush()
    return order


def get_order(session: Session, *, compound: Compound, order_id: int) -> WorkOrder:
    return lookups.get_or_raise(
        session, WorkOrder, compound_id=compound.id, id=order_id, message=_("No such work order."), field="order_id"
    )


def allowed_moves(order: WorkOrder) -> list[OrderStatus]:
    return sorted(MOVES[OrderStatus(order.status)], key=list(OrderStatus).index)


def move(
    session: Session,
    *,
    compound: Compound,
    order: WorkOrder,
    to: str,
    done_note: str = "",
    done_date: date | None = None,
    error_pct: Decimal | None = None,
    by: str = "",
) -> WorkOrder:
    """Move the order to `to` if the table allows it; done needs what was done."""
    try:
        target = OrderStatus(to)
    except ValueError:
        raise InvalidInput(_("Choose one of the options."), field="status") from None
    current = OrderStatus(order.status)
    if target not in MOVES[current]:
        raise Conflict(
            _("A work order that is %(now)s cannot become %(then)s.", now=_status(current), then=_status(target)),
            field="status",
        )
    values: dict[str, Any] = {"status": target.value}
    now = clock.now()
    if target == S.in_progress:
        values["started_at"] = now
    if target in (S.done, S.cancelled):
        values["closed_at"] = now
    if target == S.done:
        if not done_note.strip():
            raise InvalidInput(_("Say what was done."), field="done_note")
        day = done_date or clock.today(compound)
        if day > clock.today(compound):
            raise InvalidInput(_("The work cannot be done in the future."), field="done_date")
        values.update(done_note=done_note.strip(), done_date=day)
    w = WorkOrder.__table__.c
    changed = session.execute(
        sa.update(WorkOrder.__table__)
        .where(w.compound_id == compound.id, w.id == order.id, w.status == current.value)
        .values(**values)
    ).rowcount
    if changed != 1:
        raise Conflict(_("Someone else changed this work order; reload it."), field="status")
    session.refresh(order)
    if target == S.done:
        _done(session, compound, order, error_pct, by)
    return order


def _status(s: OrderStatus) -> str:
    from reports.findings.texts import status_label

    return status_label(s.value)


# Done, an order resolves its own finding and the open findings of these kinds on its meter (a repaired leak
# resolves the balance's and the night flow's findings of the same leak).
RESOLVES = {
    OrderKind.repair_leak: {"zone_loss_high", "zone_loss_rising", "night_flow_leak", "unmetered_over"},
    OrderKind.replace_meter: {"stopped_meter", "broken_seal", "check_exceeded", "utility_disagrees"},
    OrderKind.seal_meter: {"broken_seal"},
    OrderKind.test_meter: {"utility_disagrees", "check_exceeded"},
    OrderKind.remove_unmetered_wiring: {"unmetered_over"},
}


def _resolved_by(session: Session, compound: Compound, order: WorkOrder) -> list[Finding]:
    f = Finding.__table__.c
    kinds = RESOLVES.get(OrderKind(order.kind), set())
    ids = {order.finding_id} if order.finding_id is not None else set()
    if order.meter_id is not None and kinds:
        mine = sa.select(f.id).where(
            f.compound_id == compound.id,
            f.meter_id == order.meter_id,
            f.kind.in_(sorted(kinds)),
            f.status == FindingStatus.open.value,
        )
        ids |= set(session.execute(mine).scalars())
    if not ids:
        return []
    q = sa.select(Finding).where(Finding.compound_id == compound.id, Finding.id.in_(sorted(ids)))
    return list(session.execute(q).scalars())


def _done(session: Session, compound: Compound, order: WorkOrder, error_pct: Decimal | None, by: str) -> None:
    for finding in _resolved_by(session, compound, order):
        if finding.status == FindingStatus.open:
            finding.status = FindingStatus.resolved
            session.add(finding)
    if error_pct is not None:
        if order.meter_id is None:
            raise InvalidInput(_("A measured error needs the order's meter."), field="error_pct")
        record_test(
            session,
            compound=compound,
            meter_id=order.meter_id,
            test_date=order.done_date,
            error_pct=error_pct,
            tested_by=by,
            note=order.done_note[:500],
            work_order_id=order.id,
        )
    session.flush()


def update_order(session: Session, *, compound: Compound, order: WorkOrder, changes: dict[str, Any]) -> WorkOrder:
    """Assignee, due date and notes, while the order is not closed."""
    if order.status in (S.done, S.cancelled):
        raise Conflict(_("A closed work order cannot be changed."), field="status")
    for name in ("assignee", "due_date", "notes", "title"):
        if name in changes:
            value = changes[name]
            setattr(order, name, value.strip() if isinstance(value, str) else value)
    if not order.title:
        raise InvalidInput(_("This field is required."), field="title")
    session.add(order)
    session.flush()
    return order


def list_orders(
    session: Session, *, compound: Compound, assignee: str | None = None, open_only: bool = False, limit: int = 200
) -> list[WorkOrder]:
    """Orders, the open ones first by due date (none last), then the closed ones newest first."""
    q = sa.select(WorkOrder).where(WorkOrder.compound_id == compound.id)
    if assignee:
        q = q.where(WorkOrder.assignee == assignee)
    if open_only:
        q = q.where(WorkOrder.status.in_([S.open.value, S.in_progress.value]))
    closed = sa.case((WorkOrder.status.in_([S.open.value, S.in_progress.value]), 0), else_=1)
    no_due = sa.case((WorkOrder.due_date.is_(None), 1), else_=0)
    q = q.order_by(closed, no_due, WorkOrder.due_date, WorkOrder.closed_at.desc(), WorkOrder.id.desc())
    return list(session.execute(q.limit(limit)).scalars())
