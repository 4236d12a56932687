"""Work orders on a phone: maintenance's own orders first, each closed with what was done; and a new order."""

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit.errors import AppError
from compound.kit.forms import FormDep, FormField, FormPage, here, parse_new, problem_of, read_values, show_form, submit
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from reports.findings import orders, savings
from reports.findings.models import OrderKind, OrderStatus
from reports.findings.pages import HELPERS, _can_edit, _names
from reports.findings.schemas import OrderCreate, OrderMove
from reports.findings.texts import ORDER_KINDS

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.findings_view)]
EDIT = [Require(Perm.orders_edit)]


@router.get("/c/{compound_id}/orders", name="orders_page", dependencies=VIEW)
def orders_page(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, show: str = "mine"
) -> Response:
    me = principal.user.username
    chosen = show if show in ("mine", "open", "all") else "mine"
    rows = orders.list_orders(
        session, compound=compound, assignee=me if chosen == "mine" else None, open_only=chosen != "all"
    )
    context = {
        "compound": compound,
        "rows": rows,
        "show": chosen,
        "me": me,
        "names": _names(session, compound),
        "can_edit": _can_edit(principal),
        "today": _today(compound),
        **HELPERS,
    }
    return render(request, "findings/orders.html", context)


def _today(compound: Compound) -> date:
    from compound.kit import clock

    return clock.today(compound)


def _order_form(request: Request, session, compound: Compound) -> FormPage:
    names = _names(session, compound)
    fields = [
        FormField(
            "kind",
            _("Kind"),
            kind="select",
            required=True,
            options=[(k.value, _(ORDER_KINDS[k.value])) for k in OrderKind],
        ),
        FormField("title", _("What is to be done"), required=True, maxlength=200),
        FormField(
            "utility", _("Utility"), kind="select", options=[("water", _("Water")), ("electricity", _("Electricity"))]
        ),
        FormField("zone_id", _("Zone"), kind="select", options=[(str(i), n) for i, n in names["zones"].items()]),
        FormField(
            "building_id", _("Building"), kind="select", options=[(str(i), n) for i, n in names["buildings"].items()]
        ),
        FormField(
            "meter_id", _("Meter"), kind="select", options=sorted((str(i), s) for i, s in names["meters"].items())
        ),
        FormField("assignee", _("Assigned to (user name)"), maxlength=100),
        FormField("due_date", _("Due date"), kind="date"),
        FormField("notes", _("Notes"), maxlength=2000),
    ]
    return FormPage(
        title=_("New work order"),
        fields=fields,
        action=here(request),
        back=f"/c/{compound.id}/orders",
        back_label=_("Work orders"),
        submit=_("Make the order"),
    )


@router.get("/c/{compound_id}/orders/new", dependencies=EDIT)
def order_new(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    page = _order_form(request, session, compound)
    page.values = {"kind": "other", "utility": "water"}
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/orders/new", dependencies=EDIT)
def order_create(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, form: FormDep
) -> Response:
    page = _order_form(request, session, compound)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        order = orders.create_order(
            session, compound=compound, data=parse_new(OrderCreate, page), by=principal.user.username
        )
        return _("Work order %(id)s is made.", id=order.id), f"/c/{compound.id}/orders/{order.id}"

    return submit(request, session, page, compound, save)


def _order_page(
    request: Request,
    session,
    compound: Compound,
    principal: Any,
    order_id: int,
    *,
    error: AppError | None = None,
    values: dict | None = None,
    status_code: int = 200,
) -> Response:
    order = orders.get_order(session, compound=compound, order_id=order_id)
    context = {
        "compound": compound,
        "o": order,
        "moves": [m.value for m in orders.allowed_moves(order)],
        "names": _names(session, compound),
        "can_edit": _can_edit(principal),
        "error": error,
        "values": values or {},
        "saving": savings.stored(order),
        "today": _today(compound),
        **HELPERS,
    }
    return render(request, "findings/order.html", context, status_code=status_code)


@router.get("/c/{compound_id}/orders/{order_id}", name="order_page", dependencies=VIEW)
def order_page(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, order_id: IdPath
) -> Response:
    return _order_page(request, session, compound, principal, order_id)


@router.post("/c/{compound_id}/orders/{order_id}/move", dependencies=EDIT)
def order_move(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    order_id: IdPath,
    form: FormDep,
) -> Response:
    values = {k: str(form.get(k) or "").strip() for k in ("status", "done_note", "done_date", "error_pct")}
    try:
        data = OrderMove.model_validate({k: v for k, v in values.items() if v})
        with session.begin_nested():
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
            if order.status == OrderStatus.done:
                savings.store(order, savings.measure(session, compound=compound, order=order))
    except ValidationError as exc:
        return _order_page(
            request, session, compound, principal, order_id, error=problem_of(exc), values=values, status_code=422
        )
    except AppError as exc:
        code = exc.status_code if exc.status_code in (404, 409) else 422
        return _order_page(request, session, compound, principal, order_id, error=exc, values=values, status_code=code)
    flash(request, _("Work order %(id)s is %(status)s.", id=order.id, status=HELPERS["status"](order.status)))
    return RedirectResponse(f"/c/{compound.id}/orders/{order.id}", status_code=303)
