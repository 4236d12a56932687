"""Finance's billing pages: periods and the bill run (draft, exceptions, issue, close), tariffs, a bill with its
lines and adjustments, printable notices (one account, a building, a zone) and the bill register as Excel."""

import json
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from billing import adjustments, bills, views
from billing.periods import month_label, parse_month
from billing.run import close_period, issue_period, run_draft
from billing.tariff_schemas import TariffFile, TariffIn
from billing.tariffs import list_tariffs, save_tariff
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit import i18n
from compound.kit.errors import AppError, InvalidInput
from compound.kit.export import xlsx_bytes
from compound.kit.forms import FormDep
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW, EDIT = [Require(Perm.billing_view)], [Require(Perm.billing_edit)]

EXCEPTIONS = {
    "no_reading": N_(
        "No reading in the period: not billed this month, the next bill starts at the last billed reading"
    ),
    "estimated": N_("An estimated reading"),
    "estimate_corrected": N_("An estimate billed earlier is corrected by the real reading"),
    "spike": N_("A confirmed spike"),
    "replaced": N_("A meter replaced"),
    "moved": N_("Moved in or out during the period: thresholds and fixed charges by days"),
    "household_size": N_("The household's size changed during the period"),
    "tariff_change": N_("A tariff change inside the period: split by days"),
    "no_tariff": N_("No tariff for the account's class and utility: the bill has no price"),
}
KINDS = {
    "usage": N_("Meter"),
    "block": N_("Block"),
    "fixed": N_("Fixed charge"),
    "minimum": N_("Minimum quantity"),
    "share": N_("Common-area share"),
    "correction": N_("Correction of an estimate"),
}
UTILITIES = {"water": N_("water"), "electricity": N_("electricity")}
STATUSES = {"draft": N_("draft"), "issued": N_("issued"), "open": N_("open"), "closed": N_("closed")}
LABELS = {"exceptions": EXCEPTIONS, "kinds": KINDS, "utilities": UTILITIES, "statuses": STATUSES}


def _home(compound_id: int) -> str:
    return f"/c/{compound_id}/billing"


@router.get("/c/{compound_id}/billing", name="billing_home", dependencies=VIEW)
def home(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _home_page(request, session, compound)


def _home_page(request: Request, session, compound, *, error: AppError | None = None, month: str = "") -> Response:
    context = {
        "compound": compound,
        "periods": views.periods(session, compound_id=compound.id),
        "error": error,
        "month": month,
        "labels": LABELS,
    }
    return render(request, "billing/home.html", context, status_code=error.status_code if error else 200)


@router.post("/c/{compound_id}/billing/run", dependencies=EDIT)
def run(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    text = str(form.get("period") or "").strip()
    try:
        with session.begin_nested():
            month = parse_month(text)
            result = run_draft(session, compound=compound, month=month)
    except AppError as e:
        return _home_page(request, session, compound, error=e, month=text)
    flash(
        request,
        _(
            "The draft of %(month)s is made: %(bills)s bills, %(exceptions)s exceptions to review.",
            month=text,
            bills=result.bills,
            exceptions=result.exceptions,
        ),
    )
    return RedirectResponse(f"{_home(compound.id)}/{month_label(month)}", status_code=303)


def _period_page(request, session, compound, period: str, *, error: AppError | None = None) -> Response:
    month = parse_month(period)
    found = bills.period_or_404(session, compound_id=compound.id, month=month)
    listed = bills.bills_of_period(session, compound_id=compound.id, month=month)
    totals: dict[str, Decimal] = {}
    for b in listed:
        totals[b["utility"]] = totals.get(b["utility"], Decimal("0.00")) + Decimal(b["amount"])
    context = {
        "compound": compound,
        "period": found,
        "label": period,
        "bills": listed,
        "totals": totals,
        "exceptions": bills.exceptions_of_period(session, compound_id=compound.id, month=month),
        "drafts": sum(b["status"] == "draft" for b in listed),
        "error": error,
        "labels": LABELS,
        "buildings": views.buildings(session, compound_id=compound.id),
        "zones": views.zones(session, compound_id=compound.id),
    }
    return render(request, "billing/period.html", context, status_code=error.status_code if error else 200)


@router.get("/c/{compound_id}/billing/{period}", name="billing_period", dependencies=VIEW)
def period_page(request: Request, session: SessionDep, compound: CompoundDep, period: str) -> Response:
    return _period_page(request, session, compound, period)


def _act(request: Request, session, compound, period: str, action) -> Response:
    try:
        with session.begin_nested():
            message = action(parse_month(period))
    except AppError as e:
        return _period_page(request, session, compound, period, error=e)
    flash(request, message)
    return RedirectResponse(f"{_home(compound.id)}/{period}", status_code=303)


@router.post("/c/{compound_id}/billing/{period}/run", dependencies=EDIT)
def rerun(request: Request, session: SessionDep, compound: CompoundDep, period: str, form: FormDep) -> Response:
    def go(month):
        r = run_draft(session, compound=compound, month=month)
        return _(
            "The draft of %(month)s is made: %(bills)s bills, %(exceptions)s exceptions to review.",
            month=period,
            bills=r.bills,
            exceptions=r.exceptions,
        )

    return _act(request, session, compound, period, go)


@router.post("/c/{compound_id}/billing/{period}/issue", dependencies=EDIT)
def issue(request: Request, session: SessionDep, compound: CompoundDep, period: str, form: FormDep) -> Response:
    def go(month):
        r = issue_period(session, compound=compound, month=month)
        return _("%(period)s: %(bills)s bills issued, %(amount)s yuan.", period=period, bills=r.bills, amount=r.amount)

    return _act(request, session, compound, period, go)


@router.post("/c/{compound_id}/billing/{period}/close", dependencies=EDIT)
def close(request: Request, session: SessionDep, compound: CompoundDep, period: str, form: FormDep) -> Response:
    def go(month):
        close_period(session, compound=compound, month=month)
        return _("%(period)s is closed.", period=period)

    return _act(request, session, compound, period, go)


@router.get("/c/{compound_id}/billing/{period}/notices", name="billing_notices", dependencies=VIEW)
def notices(
    request: Request, session: SessionDep, compound: CompoundDep, period: str, building_id: RefId = None,
    zone_id: RefId = None, account_id: RefId = None, lang: str = "zh_Hans",
) -> Response:  # fmt: skip
    """Bill notices to print, Chinese first (lang=en for English)."""
    month = parse_month(period)
    accounts = views.account_ids_in(
        session, compound_id=compound.id, building_id=building_id, zone_id=zone_id, account_id=account_id
    )
    found = views.notices(session, compound_id=compound.id, month=month, accounts=accounts)
    i18n.set_locale("en" if lang == "en" else "zh_Hans")
    return render(
        request, "billing/notices.html", {"compound": compound, "label": period, "notices": found, "labels": LABELS}
    )


@router.get("/c/{compound_id}/billing/{period}/register.xlsx", name="billing_register", dependencies=VIEW)
def register(request: Request, session: SessionDep, compound: CompoundDep, period: str) -> Response:
    """The period's bill register, with totals per zone, building, class and utility below the bills."""
    rows, summary = views.register_rows(session, compound_id=compound.id, month=parse_month(period))
    header = [
        _("Account"),
        _("Name"),
        _("Payer"),
        _("Zone"),
        _("Building"),
        _("Class"),
        _("Utility"),
        _("Status"),
        _("Quantity"),
        _("Amount (yuan)"),
        _("Official use"),
    ]
    blank = [[]]
    totals = [[_("Totals by"), _("Name"), _("Utility"), _("Quantity"), _("Amount (yuan)")]]
    data = xlsx_bytes(header, [*rows, *blank, *totals, *summary], sheet=period)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="bills-{period}.xlsx"'},
    )


@router.get("/c/{compound_id}/billing/bills/{bill_id}", name="billing_bill", dependencies=VIEW)
def bill_page(request: Request, session: SessionDep, compound: CompoundDep, bill_id: IdPath) -> Response:
    return _bill_page(request, session, compound, bill_id)


def _bill_page(request, session, compound, bill_id: int, *, error: AppError | None = None, values=None) -> Response:
    body = bills.one_bill(session, compound_id=compound.id, bill_id=bill_id)
    context = {"compound": compound, "bill": body, "error": error, "values": values or {}, "labels": LABELS}
    return render(request, "billing/bill.html", context, status_code=error.status_code if error else 200)


@router.post("/c/{compound_id}/billing/bills/{bill_id}/adjustments", dependencies=EDIT)
def adjust(
    request: Request, session: SessionDep, compound: CompoundDep, bill_id: IdPath, form: FormDep,
    principal: PrincipalDep,
) -> Response:  # fmt: skip
    values = {k: str(form.get(k) or "").strip() for k in ("amount", "reason")}
    try:
        with session.begin_nested():
            try:
                amount = Decimal(values["amount"].replace(",", ""))
            except InvalidOperation:
                raise InvalidInput(
                    _("The amount is a non-zero sum of yuan with at most two decimals."), field="amount"
                ) from None
            adjustments.make_adjustment(
                session,
                compound_id=compound.id,
                bill_id=bill_id,
                amount=amount,
                reason=values["reason"],
                by=principal.user.username,
            )
    except AppError as e:
        return _bill_page(request, session, compound, bill_id, error=e, values=values)
    flash(request, _("The adjustment of %(amount)s yuan is saved.", amount=values["amount"]))
    return RedirectResponse(f"{_home(compound.id)}/bills/{bill_id}", status_code=303)


@router.get("/c/{compound_id}/billing-tariffs", name="billing_tariffs", dependencies=VIEW)
def tariffs(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _tariffs_page(request, session, compound)


def _tariffs_page(request, session, compound, *, error: AppError | None = None, text: str = "") -> Response:
    context = {
        "compound": compound,
        "tariffs": list_tariffs(session, compound_id=compound.id),
        "error": error,
        "text": text,
        "labels": LABELS,
    }
    return render(request, "billing/tariffs.html", context, status_code=error.status_code if error else 200)


@router.post("/c/{compound_id}/billing-tariffs", dependencies=EDIT)
def load_tariffs(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    """Paste a price notice as JSON (the body of the API or of `compound tariffs load`)."""
    text = str(form.get("json") or "")
    try:
        with session.begin_nested():
            try:
                body = json.loads(text)
                found = (
                    TariffFile.model_validate(body).tariffs
                    if isinstance(body, dict) and "tariffs" in body
                    else [TariffIn.model_validate(body)]
                )
            except ValidationError as e:
                first = e.errors()[0]
                raise InvalidInput(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", field="json") from None
            except ValueError as e:
                raise InvalidInput(_("The file is not valid JSON: %(reason)s", reason=str(e)), field="json") from None
            for t in found:
                save_tariff(session, compound_id=compound.id, data=t)
    except AppError as e:
        return _tariffs_page(request, session, compound, error=e, text=text)
    flash(request, _("%(count)s tariff versions loaded.", count=len(found)))
    return RedirectResponse(f"/c/{compound.id}/billing-tariffs", status_code=303)
