"""Pages of findings and work orders: the list by value, a finding, the phone list of orders, an order, new ones."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm, allowed
from compound.kit.errors import AppError
from compound.kit.forms import FormDep, FormField, FormPage, here, parse_new, read_values, show_form, submit
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep
from compound.register.models import Building, Compound, Zone
from meters.models import Meter
from reports.findings import orders, savings, service
from reports.findings.models import FindingKind, OrderKind
from reports.findings.schemas import FindingCreate, OrderCreate
from reports.findings.texts import (
    KINDS,
    ORDER_KINDS,
    basis_text,
    kind_label,
    order_kind_label,
    since,
    status_label,
    yuan,
)
from reports.findings.texts import volume as vol

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.findings_view)]
EDIT = [Require(Perm.orders_edit)]
HELPERS = {
    "basis": basis_text,
    "kind_label": kind_label,
    "order_kind": order_kind_label,
    "status": status_label,
    "since": since,
    "vol": vol,
    "yuan": yuan,
    "stored_saving": savings.stored,
}


def _names(session, compound: Compound) -> dict[str, dict[int, str]]:
    """Serials of meters and names of zones and buildings, to show a row's place."""
    import sqlalchemy as sa

    def of(model: Any, column: str) -> dict[int, str]:
        t = model.__table__.c
        return dict(session.execute(sa.select(t.id, t[column]).where(t.compound_id == compound.id)).all())

    return {"meters": of(Meter, "serial"), "zones": of(Zone, "name"), "buildings": of(Building, "name")}


def _can_edit(principal: Any) -> bool:
    return allowed(principal.role, Perm.orders_edit)


# Findings


@router.get("/c/{compound_id}/findings", name="findings_page", dependencies=VIEW)
def findings_page(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, status: str = "open"
) -> Response:
    chosen = status if status in ("open", "dismissed", "resolved", "all") else "open"
    rows = service.list_findings(session, compound=compound, status=None if chosen == "all" else chosen)
    context = {
        "compound": compound,
        "rows": rows,
        "status_filter": chosen,
        "names": _names(session, compound),
        "can_edit": _can_edit(principal),
        **HELPERS,
    }
    return render(request, "findings/findings.html", context)


def _finding_form(request: Request, session, compound: Compound) -> FormPage:
    names = _names(session, compound)
    fields = [
        FormField(
            "kind", _("Kind"), kind="select", required=True, options=[(k.value, _(KINDS[k.value])) for k in FindingKind]
        ),
        FormField(
            "utility",
            _("Utility"),
            kind="select",
            required=True,
            options=[("water", _("Water")), ("electricity", _("Electricity"))],
        ),
        FormField(
            "meter_id", _("Meter"), kind="select", options=sorted((str(i), s) for i, s in names["meters"].items())
        ),
        FormField("zone_id", _("Zone"), kind="select", options=[(str(i), n) for i, n in names["zones"].items()]),
        FormField("note", _("What it is based on"), required=True, maxlength=1000),
        FormField("volume_per_month", _("Worth per month (m³ or kWh), if known"), kind="decimal"),
    ]
    return FormPage(
        title=_("Raise a finding"),
        fields=fields,
        action=here(request),
        back=f"/c/{compound.id}/findings",
        back_label=_("Findings"),
        submit=_("Raise"),
    )


@router.get("/c/{compound_id}/findings/new", dependencies=EDIT)
def finding_new(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    page = _finding_form(request, session, compound)
    page.values = {"kind": "other", "utility": "water"}
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/findings/new", dependencies=EDIT)
def finding_create(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, form: FormDep
) -> Response:
    page = _finding_form(request, session, compound)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_new(FindingCreate, page)
        f = service.raise_by_hand(session, compound=compound, data=data, by=principal.user.username)
        return _("The finding is raised."), f"/c/{compound.id}/findings/{f.id}"

    return submit(request, session, page, compound, save)


def _finding_page(
    request: Request,
    session,
    compound: Compound,
    principal: Any,
    finding_id: int,
    *,
    error: AppError | None = None,
    values: dict | None = None,
    status_code: int = 200,
) -> Response:
    f = service.get_finding(session, compound=compound, finding_id=finding_id)
    related = [o for o in orders.list_orders(session, compound=compound) if o.finding_id == f.id]
    context = {
        "compound": compound,
        "f": f,
        "orders": related,
        "names": _names(session, compound),
        "can_edit": _can_edit(principal),
        "error": error,
        "values": values or {},
        "order_kinds": [(k.value, _(ORDER_KINDS[k.value])) for k in OrderKind],
        "suggested": orders.ORDER_FOR.get(str(f.kind), OrderKind.other).value,
        **HELPERS,
    }
    return render(request, "findings/finding.html", context, status_code=status_code)


@router.get("/c/{compound_id}/findings/{finding_id}", name="finding_page", dependencies=VIEW)
def finding_page(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, finding_id: IdPath
) -> Response:
    return _finding_page(request, session, compound, principal, finding_id)


@router.post("/c/{compound_id}/findings/{finding_id}/dismiss", dependencies=EDIT)
def finding_dismiss(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    finding_id: IdPath,
    form: FormDep,
) -> Response:
    reason = str(form.get("reason") or "")
    try:
        with session.begin_nested():
            f = service.get_finding(session, compound=compound, finding_id=finding_id, for_update=True)
            service.dismiss(session, compound=compound, finding=f, reason=reason, by=principal.user.username)
    except AppError as exc:
        return _finding_page(
            request,
            session,
            compound,
            principal,
            finding_id,
            error=exc,
            values={"reason": reason},
            status_code=422 if exc.status_code != 404 else 404,
        )
    flash(request, _("The finding is dismissed."))
    return RedirectResponse(f"/c/{compound.id}/findings/{finding_id}", status_code=303)


@router.post("/c/{compound_id}/findings/{finding_id}/order", dependencies=EDIT)
def finding_order(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    finding_id: IdPath,
    form: FormDep,
) -> Response:
    values = {k: str(form.get(k) or "").strip() for k in ("kind", "assignee", "due_date", "notes")}
    try:
        with session.begin_nested():
            service.get_finding(session, compound=compound, finding_id=finding_id)
            data = OrderCreate.model_validate({**{k: v for k, v in values.items() if v}, "finding_id": finding_id})
            order = orders.create_order(session, compound=compound, data=data, by=principal.user.username)
    except AppError as exc:
        return _finding_page(
            request,
            session,
            compound,
            principal,
            finding_id,
            error=exc,
            values=values,
            status_code=422 if exc.status_code != 404 else 404,
        )
    except ValueError as exc:  # pydantic
        from compound.kit.forms import problem_of

        return _finding_page(
            request, session, compound, principal, finding_id, error=problem_of(exc), values=values, status_code=422
        )
    flash(request, _("Work order %(id)s is made.", id=order.id))
    return RedirectResponse(f"/c/{compound.id}/orders/{order.id}", status_code=303)
