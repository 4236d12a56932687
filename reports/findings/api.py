"""JSON API of findings, work orders, meter accuracy tests, verified savings, events and the finding thresholds."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep
from reports.findings import accuracy, orders, savings, service, summary
from reports.findings import settings as finding_settings
from reports.findings.models import Finding, WorkOrder
from reports.findings.schemas import (
    FindingCreate,
    FindingDismiss,
    FindingRead,
    FindingSettingsRead,
    FindingSettingsUpdate,
    MeterTestCreate,
    MeterTestRead,
    OrderCreate,
    OrderMove,
    OrderRead,
    OrderUpdate,
)
from reports.findings.texts import basis_text, kind_label, order_kind_label, since, volume, yuan
from reports.periods import parse_period

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["findings"], route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.findings_view)]
EDIT = [Require(Perm.orders_edit)]
CREATED = {"status_code": status.HTTP_201_CREATED}
PeriodText = Annotated[str, Query(max_length=40, description="2025-03, 2025-Q1, 2025 or 2025-01..2025-06")]
StatusText = Annotated[str | None, Query(max_length=20)]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def finding_read(f: Finding) -> dict[str, Any]:
    return FindingRead(
        id=f.id,
        kind=f.kind,
        kind_label=kind_label(f.kind),
        utility=f.utility,
        period=f.period_label,
        since=since(f),
        status=f.status,
        meter_id=f.meter_id,
        zone_id=f.zone_id,
        building_id=f.building_id,
        basis=basis_text(f),
        volume_per_month=_text(volume(f.volume_milli_per_month)),
        value_per_month=_text(yuan(f.value_fen_per_month)),
        cost_per_unit=_text(f.cost_per_unit),
        estimated=f.estimated,
        raised_by=f.raised_by,
        dismissed_reason=f.dismissed_reason,
    ).model_dump(mode="json")


def order_read(o: WorkOrder) -> dict[str, Any]:
    s = savings.stored(o)
    return OrderRead(
        id=o.id,
        kind=o.kind,
        kind_label=order_kind_label(o.kind),
        title=o.title,
        status=o.status,
        finding_id=o.finding_id,
        utility=o.utility,
        zone_id=o.zone_id,
        building_id=o.building_id,
        meter_id=o.meter_id,
        assignee=o.assignee,
        due_date=o.due_date,
        notes=o.notes,
        done_note=o.done_note,
        done_date=o.done_date,
        saving=None if s is None else savings.describe(s),
    ).model_dump(mode="json")


# Findings


@router.get("/findings", dependencies=VIEW)
def list_findings(session: SessionDep, compound: CompoundDep, status: StatusText = None) -> list[dict[str, Any]]:
    """The findings, the most valuable first; ?status=open|dismissed|resolved."""
    return [finding_read(f) for f in service.list_findings(session, compound=compound, status=status)]


@router.post("/findings", dependencies=EDIT, **CREATED)
def raise_finding(session: SessionDep, compound: CompoundDep, principal: PrincipalDep, data: FindingCreate) -> dict:
    """A finding raised by hand: what it rests on (note), where, and its worth per month if known."""
    return finding_read(service.raise_by_hand(session, compound=compound, data=data, by=principal.user.username))


@router.post("/findings/raise", dependencies=EDIT)
def raise_findings(session: SessionDep, compound: CompoundDep, period: PeriodText) -> dict[str, Any]:
    """Raise a period's findings now (as the scheduler does after each month); raising again adds nothing."""
    balances = service.Balances(session, compound)
    result = service.raise_period(session, compound=compound, period=parse_period(period), balances=balances)
    return {**result.counts, "savings_measured": savings.refresh(session, compound=compound, balances=balances)}


@router.get("/findings/{finding_id}", dependencies=VIEW)
def get_finding(session: SessionDep, compound: CompoundDep, finding_id: IdPath) -> dict[str, Any]:
    return finding_read(service.get_finding(session, compound=compound, finding_id=finding_id))


@router.post("/findings/{finding_id}/dismiss", dependencies=EDIT)
def dismiss_finding(
    session: SessionDep, compound: CompoundDep, principal: PrincipalDep, finding_id: IdPath, data: FindingDismiss
) -> dict[str, Any]:
    finding = service.get_finding(session, compound=compound, finding_id=finding_id, for_update=True)
    return finding_read(
        service.dismiss(session, compound=compound, finding=finding, reason=data.reason, by=principal.user.username)
    )


# Work orders


@router.get("/work-orders", dependencies=VIEW)
def list_orders(
    session: SessionDep, compound: CompoundDep, assignee: StatusText = None, open_only: bool = False
) -> list[dict[str, Any]]:
    return [
        order_read(o) for o in orders.list_orders(session, compound=compound, assignee=assignee, open_only=open_only)
    ]


@router.post("/work-orders", dependencies=EDIT, **CREATED)
def create_order(session: SessionDep, compound: CompoundDep, principal: PrincipalDep, data: OrderCreate) -> dict:
    return order_read(orders.create_order(session, compound=compound, data=data, by=principal.user.username))


@router.get("/work-orders/{order_id}", dependencies=VIEW)
def get_order(session: SessionDep, compound: CompoundDep, order_id: IdPath) -> dict[str, Any]:
    return order_read(orders.get_order(session, compound=compound, order_id=order_id))


@router.patch("/work-orders/{order_id}", dependencies=EDIT)
def update_order(session: SessionDep, compound: CompoundDep, order_id: IdPath, data: OrderUpdate) -> dict:
    order = orders.get_order(session, compound=compound, order_id=order_id)
    changes = data.model_dump(exclude_unset=True)
    return order_read(orders.update_order(session, compound=compound, order=order, changes=changes))


@router.post("/work-orders/{order_id}/move", dependencies=EDIT)
def move_order(
    session: SessionDep, compound: CompoundDep, principal: PrincipalDep, order_id: IdPath, data: OrderMove
) -> dict[str, Any]:
    """open → in_progress → done / cancelled (open → cancelled too); any other move is refused (409)."""
    order = orders.get_order(session, compound=compound, order_id=order_id)
    order = orders.move(
        session,
        compound=compound,
        order=order,
        to=data.status,
        done_note=data.done_note,
        done_date=data.done_date,
        error_pct=data.error_pct,
        by=principal.user.username,
    )
    if order.status == "done":
        savings.store(order, savings.measure(session, compound=compound, order=order))
    return order_read(order)


# Meter accuracy tests


@router.get("/meter-tests", dependencies=VIEW)
def list_meter_tests(session: SessionDep, compound: CompoundDep) -> list[dict[str, Any]]:
    tests = accuracy.list_tests(session, compound=compound)
    return [MeterTestRead.model_validate(t).model_dump(mode="json") for t in tests]


@router.post("/meter-tests", dependencies=EDIT, **CREATED)
def add_meter_test(session: SessionDep, compound: CompoundDep, principal: PrincipalDep, data: MeterTestCreate) -> dict:
    """A meter's measured error (%, negative when it registers less than flows): it feeds the balance."""
    test = accuracy.record_test(
        session,
        compound=compound,
        meter_id=data.meter_id,
        test_date=data.test_date,
        error_pct=data.error_pct,
        tested_by=data.tested_by or principal.user.username,
        note=data.note,
    )
    return MeterTestRead.model_validate(test).model_dump(mode="json")


# What the managers' page, the money view and the charts read


@router.get("/findings-summary", dependencies=[Require(Perm.reports_view)])
def findings_summary(
    session: SessionDep, compound: CompoundDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> dict[str, Any]:
    """Losses still open and savings achieved in the year, per month (yuan as decimal strings)."""
    t = summary.totals(session, compound=compound, year=year)
    return {
        "year": t.year,
        "open_findings": t.open_findings,
        "open_value_per_month": str(yuan(t.open_fen_per_month)),
        "open_without_value": t.open_without_value,
        "saved_value_per_month": str(yuan(t.saved_fen_per_month)),
        "orders_done": t.orders_done,
        "savings_measured": t.savings_measured,
        "open_orders": t.open_orders,
        "overdue_orders": t.overdue_orders,
        "by_utility": {
            u: {
                "open_volume_per_month": str(volume(v.open_milli_per_month)),
                "saved_volume_per_month": str(volume(v.saved_milli_per_month)),
            }
            for u, v in t.by_utility.items()
        },
    }


@router.get("/events", dependencies=[Require(Perm.reports_view)])
def list_events(
    session: SessionDep, compound: CompoundDep, start: Annotated[date, Query()], end: Annotated[date, Query()]
) -> list[dict[str, Any]]:
    """The work done in [start, end): the events of the loss-trend charts."""
    return [
        {
            "date": e.on.isoformat(),
            "kind": e.kind,
            "label": e.label,
            "count": e.count,
            "utility": e.utility,
            "order_ids": e.order_ids,
        }
        for e in summary.events(session, compound.id, start, end)
    ]


@router.get("/finding-settings", dependencies=VIEW)
def get_finding_settings(session: SessionDep, compound: CompoundDep) -> dict[str, Any]:
    row = finding_settings.get_settings(session, compound=compound)
    return FindingSettingsRead.model_validate(row).model_dump(mode="json")


@router.patch("/finding-settings", dependencies=[Require(Perm.billing_edit)])
def update_finding_settings(session: SessionDep, compound: CompoundDep, data: FindingSettingsUpdate) -> dict:
    """The thresholds for raising findings (finance); defaults hold until someone saves."""
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    row = finding_settings.update_settings(session, compound=compound, changes=changes)
    return FindingSettingsRead.model_validate(row).model_dump(mode="json")
