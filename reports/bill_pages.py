"""Finance's pages of the balance: the utility's bills and the balance settings; maintenance's night-flow settings."""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit.errors import AppError
from compound.kit.forms import (
    FormDep,
    FormField,
    FormPage,
    FormProblem,
    here,
    parse_changes,
    parse_int,
    read_values,
    row_values,
    show_form,
    submit,
    validate,
)
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register import service as register
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from meters.models import Meter, MeterRole
from reports import utility_bills
from reports.balance import settings as balance_settings
from reports.balance.components import vol
from reports.models import UnbilledPurpose
from reports.schemas import BalanceSettingsUpdate, BillLineIn, UtilityBillCreate

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.reports_view)]
EDIT = [Require(Perm.billing_edit)]
READ = [Require(Perm.readings_write)]


def _utility_meters(session: Session, compound: Compound) -> list[tuple[str, str]]:
    rows = session.execute(
        sa.select(Meter).where(Meter.compound_id == compound.id, Meter.role == MeterRole.utility)
    ).scalars()
    return [
        (str(m.id), f"{m.serial} · {m.location}" if m.location else m.serial)
        for m in sorted(rows, key=lambda m: m.serial)
    ]


@router.get("/c/{compound_id}/utility-bills", name="utility_bills", dependencies=VIEW)
def bills_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    bills = utility_bills.list_bills(session, compound=compound)[:200]
    checks = utility_bills.check_bills(session, compound=compound, bills=bills)
    serials = dict(session.execute(sa.select(Meter.id, Meter.serial).where(Meter.compound_id == compound.id)).all())
    context = {
        "compound": compound,
        "checks": checks,
        "serials": serials,
        "lines": utility_bills.bill_lines(session, compound=compound, bill_ids=[b.id for b in bills]),
        "tolerance": utility_bills.tolerance(session, compound=compound),
        "vol": vol,
        "yuan": utility_bills.to_yuan,
    }
    return render(request, "reports/utility_bills.html", context)


def _bill_form(request: Request, session: Session, compound: Compound) -> FormPage:
    return FormPage(
        title=_("The utility's bill"),
        fields=[
            FormField(
                "meter_id", _("Utility meter"), kind="select", required=True, options=_utility_meters(session, compound)
            ),  # fmt: skip
            FormField("period_start_date", _("From (first day)"), kind="date", required=True),
            FormField("period_end_date", _("To (last day)"), kind="date", required=True),
            FormField("quantity", _("Quantity (m³ or kWh)"), kind="decimal", required=True),
            FormField("amount", _("Amount (yuan)"), kind="decimal", required=True),
            FormField("bill_number", _("Bill number"), maxlength=64),
            FormField("issued_date", _("Issued"), kind="date"),
            FormField(
                "lines",
                _("Printed lines"),
                hint=_("One line each: label; quantity; unit price; amount. E.g. “Water charge; 1200; 3.45; 4140.00”."),
            ),  # fmt: skip
            FormField("note", _("Note"), maxlength=500),
        ],
        action=here(request),
        back=f"/c/{compound.id}/utility-bills",
        back_label=_("The utility's bills"),
        submit=_("Save the bill"),
    )


def _lines(text: str) -> list[BillLineIn]:
    """ "label; quantity; unit price; amount" per line (';' or a tab or '|' between the parts)."""
    out = []
    for n, raw in enumerate(text.replace("|", ";").replace("\t", ";").replace("；", ";").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split(";")]
        if len(parts) != 4:
            raise FormProblem(_("Line %(n)s: write label; quantity; unit price; amount.", n=n), field="lines")
        try:
            numbers = [Decimal(p.replace(",", "")) if p else None for p in parts[1:]]
        except InvalidOperation:
            raise FormProblem(
                _("Line %(n)s: the quantity, price and amount are numbers.", n=n), field="lines"
            ) from None
        if numbers[2] is None:
            raise FormProblem(_("Line %(n)s has no amount.", n=n), field="lines")
        out.append(validate(BillLineIn, {"label": parts[0], "quantity": numbers[0], "unit_price": numbers[1],
                                         "amount": numbers[2]}))  # fmt: skip
    return out


@router.get("/c/{compound_id}/utility-bills/new", name="utility_bill_new", dependencies=EDIT)
def new_bill(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return show_form(request, _bill_form(request, session, compound), compound)


@router.post("/c/{compound_id}/utility-bills/new", dependencies=EDIT)
def create_bill(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    page = _bill_form(request, session, compound)
    page.values = read_values(form, page.fields)
    # The lines come from a textarea-like input: keep every line of it.
    raw_lines = form.get("lines")
    page.values["lines"] = raw_lines.strip() if isinstance(raw_lines, str) else ""

    def save() -> tuple[str, str]:
        v = page.values
        for f in page.fields:
            if f.required and not v.get(f.name):
                raise FormProblem(_("This field is required."), field=f.name)
        data = {k: v[k] for k in ("meter_id", "period_start_date", "period_end_date", "quantity", "amount")}
        data |= {k: v[k] for k in ("bill_number", "issued_date", "note") if v.get(k)}
        data["lines"] = _lines(v["lines"])
        bill = utility_bills.create_bill(session, compound=compound, data=validate(UtilityBillCreate, data))
        return _("The bill from %(date)s is saved.", date=bill.period_start_date), page.back

    return submit(request, session, page, compound, save)


# Settings

FIELDS_BALANCE = (
    ("meter_error_fraction", "decimal", N_("Customer meter under-registration (a fraction, 0.02 = 2 %)")),
    ("meter_error_basis", "select", N_("Of which volume")),
    ("data_handling_fraction", "decimal", N_("Data-handling errors (a fraction of the billed metered volume)")),
    ("unauthorised_fraction", "decimal", N_("Unauthorised use (a fraction of the system input)")),
    (
        "estimated_read_error_fraction",
        "decimal",
        N_("Error of a bill on an estimated reading (a fraction of that use)"),
    ),
    ("utility_tolerance_fraction", "decimal", N_("Tolerance between the utility and our own reading (a fraction)")),
    ("line_loss_rate", "decimal", N_("Line losses (a fraction of the input, unless loss cables are registered)")),
    ("power_factor", "decimal", N_("Power factor")),
    ("load_factor", "decimal", N_("Load factor of the transformers (average load / peak load)")),
    ("loss_load_k", "decimal", N_("k of the loss load factor")),
    ("mains_km", "decimal", N_("Length of mains (km)")),
    ("connections", "number", N_("Service connections (empty: the water billing meters)")),
    ("service_km", "decimal", N_("Private pipe from the property boundary to the meters, total (km)")),
    ("pressure_m", "decimal", N_("Average pressure (m)")),
    ("supply_hours_per_day", "decimal", N_("Hours of supply a day")),
)
FIELDS_NIGHT = (
    ("night_start", "text", N_("Night window from (HH:MM)")),
    ("night_end", "text", N_("Night window to (HH:MM)")),
    ("night_people", "number", N_("People living in the area")),
    ("night_active_fraction", "decimal", N_("Share of them using water at night (0.06)")),
    ("litres_per_person_hour", "decimal", N_("Litres per active person per hour (10)")),
    ("small_users", "number", N_("Small non-domestic users (offices, the boiler house)")),
    ("litres_per_small_user_hour", "decimal", N_("Litres per small user per hour (50)")),
    ("exceptional_litres_per_hour", "decimal", N_("Known exceptional night use (litres per hour)")),
    ("night_day_hours", "decimal", N_("Night-day factor (hours a day), without a pressure profile")),
    ("pressure_profile", "text", N_("Pressure profile: 24 hourly pressures (m), comma-separated")),
    ("favad_n1", "decimal", N_("FAVAD N1 (about 1.1; background leakage 1.5)")),
)
CLEARABLE = {"mains_km", "connections", "service_km", "pressure_m", "pressure_profile"}


def _settings_form(request: Request, compound: Compound, fields, *, title: str, back: str, back_label: str) -> FormPage:
    out = []
    for name, kind, text in fields:
        options = [("true", _("the true volume: V/(1 − u) − V")), ("registered", _("the registered volume: V × u"))]
        out.append(FormField(name, _(text), kind=kind, required=name not in CLEARABLE, maxlength=400 if kind == "text"
                             else None, options=options if kind == "select" else [],
                             empty=None if name in CLEARABLE else ""))  # fmt: skip
    return FormPage(title=title, fields=out, action=here(request), back=back, back_label=back_label, submit=_("Save"))


def _settings_values(row, fields) -> dict[str, str]:
    values = row_values(row, [FormField(n, "", kind=k) for n, k, _t in fields])
    for name in ("night_start", "night_end"):
        if name in values and values[name]:
            values[name] = values[name][:5]
    return values


def _settings_page(request: Request, session: Session, compound: Compound, *, night: bool) -> FormPage:
    if night:
        return _settings_form(request, compound, FIELDS_NIGHT, title=_("Night-flow settings"),
                              back=f"/c/{compound.id}/night-flow", back_label=_("Night-flow test"))  # fmt: skip
    return _settings_form(request, compound, FIELDS_BALANCE, title=_("Balance settings"),
                          back=f"/c/{compound.id}/balance", back_label=_("Balance"))  # fmt: skip


def show_settings(request, session, compound, *, night: bool) -> Response:  # type: ignore[no-untyped-def]
    page = _settings_page(request, session, compound, night=night)
    row = balance_settings.get_settings(session, compound=compound)
    page.values = _settings_values(row, FIELDS_NIGHT if night else FIELDS_BALANCE)
    if not night:
        page.links = [(f"/c/{compound.id}/balance/unbilled", _("Accounts whose use is not billed"))]
    else:
        page.links = [(f"/c/{compound.id}/night-flow", _("Night-flow test"))]
    return show_form(request, page, compound)


def save_settings(request, session, compound, form, *, night: bool) -> Response:  # type: ignore[no-untyped-def]
    page = _settings_page(request, session, compound, night=night)
    page.values = read_values(form, page.fields)
    row = balance_settings.get_settings(session, compound=compound)

    def save() -> tuple[str, str]:
        changes = parse_changes(BalanceSettingsUpdate, page, row).model_dump(exclude_unset=True)
        balance_settings.update_settings(session, compound=compound, changes=changes)
        return _("Settings saved."), page.back

    return submit(request, session, page, compound, save)


@router.get("/c/{compound_id}/balance/settings", name="balance_settings", dependencies=EDIT)
def balance_settings_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return show_settings(request, session, compound, night=False)


@router.post("/c/{compound_id}/balance/settings", dependencies=EDIT)
def balance_settings_post(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    return save_settings(request, session, compound, form, night=False)


# Accounts whose metered use is authorised but not billed


def _unbilled(request: Request, session: Session, compound: Compound, *, values: dict, error=None,
              status_code: int = 200) -> Response:  # fmt: skip
    accounts = register.list_accounts(session, compound=compound, limit=register.MAX_PAGE)
    context = {
        "compound": compound,
        "accounts": accounts,
        "names": {a.id: f"{a.code} · {a.name}" for a in accounts},
        "rows": balance_settings.unbilled_accounts(session, compound=compound),
        "purposes": PURPOSES,
        "values": values,
        "error": error,
    }
    return render(request, "reports/unbilled.html", context, status_code=status_code)


PURPOSES = {UnbilledPurpose.own_use.value: N_("the centre's own use"),
            UnbilledPurpose.public_lighting.value: N_("public lighting")}  # fmt: skip


@router.get("/c/{compound_id}/balance/unbilled", name="unbilled_accounts", dependencies=EDIT)
def unbilled_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _unbilled(request, session, compound, values={})


@router.post("/c/{compound_id}/balance/unbilled", dependencies=EDIT)
def unbilled_post(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        account_id = parse_int(values.get("account_id", ""), name="account_id")
        with session.begin_nested():
            if values.get("remove"):
                balance_settings.remove_unbilled(session, compound=compound, account_id=account_id)
            else:
                balance_settings.set_unbilled(
                    session, compound=compound, account_id=account_id, purpose=values.get("purpose", "")
                )
    except AppError as exc:
        return _unbilled(request, session, compound, values=values, error=exc, status_code=422)
    flash(request, _("Saved."))
    return RedirectResponse(f"/c/{compound.id}/balance/unbilled", status_code=303)
