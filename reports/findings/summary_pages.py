"""The managers' page (losses found, work open, savings achieved: what a leader shows the district government) and
the finding thresholds (finance)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.forms import FormDep, FormField, FormPage, here, read_values, row_values, show_form, submit, validate
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render
from compound.register.deps import CompoundDep
from reports.findings import orders, service, summary
from reports.findings import settings as finding_settings
from reports.findings.models import OrderStatus, WorkOrder
from reports.findings.pages import HELPERS, _names
from reports.findings.schemas import FindingSettingsUpdate

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)


def _done_this_year(session, compound, year: int) -> list[WorkOrder]:
    w = WorkOrder.__table__.c
    return list(
        session.execute(
            sa.select(WorkOrder)
            .where(
                w.compound_id == compound.id,
                w.status == OrderStatus.done.value,
                w.done_date >= date(year, 1, 1),
                w.done_date < date(year + 1, 1, 1),
            )
            .order_by(sa.func.coalesce(w.saving_fen_per_month, -1).desc(), w.done_date)
        ).scalars()
    )


@router.get("/c/{compound_id}/findings/summary", name="findings_summary", dependencies=[Require(Perm.reports_view)])
def summary_page(request: Request, session: SessionDep, compound: CompoundDep, year: int | None = None) -> Response:
    chosen = year if year and 2000 <= year <= 2100 else clock.today(compound).year
    totals = summary.totals(session, compound=compound, year=chosen)
    context = {
        "compound": compound,
        "t": totals,
        "year": chosen,
        "findings": service.list_findings(session, compound=compound, status="open", limit=20),
        "open_orders": orders.list_orders(session, compound=compound, open_only=True, limit=20),
        "done": _done_this_year(session, compound, chosen),
        "names": _names(session, compound),
        "today": clock.today(compound),
        **HELPERS,
    }
    return render(request, "findings/summary.html", context)


FIELDS = (
    ("zone_loss_high_fraction", N_("A zone's loss rate is high above (a fraction of its input, 0.10 = 10 %)")),
    ("zone_loss_rising_fraction", N_("A zone's loss rate is rising when above its last three months by (0.05)")),
    ("min_water_per_month", N_("Nothing smaller is raised: water (m³ a month)")),
    ("min_power_per_month", N_("Nothing smaller is raised: electricity (kWh a month)")),
    ("night_leak_per_day", N_("A night-flow test points to a leak above (m³ a day)")),
    ("stopped_fraction", N_("A meter has stopped below this share of its usual use (0.10)")),
    ("stopped_history_days", N_("Its usual use: the days before the period (90)")),
    ("check_excess_fraction", N_("Meters may exceed their check meter by (a fraction, 0.02)")),
    ("seal_risk_fraction", N_("Of a meter with a broken seal, the share of its use at risk (0.10)")),
    ("saving_min_months", N_("Whole months after the work before a saving is measured (2)")),
)


def _form(request: Request, compound) -> FormPage:
    fields = [
        FormField(n, _(t), kind="number" if n.endswith(("days", "months")) else "decimal", required=True)
        for n, t in FIELDS
    ]
    return FormPage(
        title=_("Finding thresholds"),
        fields=fields,
        action=here(request),
        back=f"/c/{compound.id}/findings",
        back_label=_("Findings"),
        submit=_("Save"),
    )


def _plain(values: dict[str, str]) -> dict[str, str]:
    """Stored decimals without their trailing zeros (0.100000 → 0.1)."""
    out = {}
    for k, v in values.items():
        try:
            out[k] = format(Decimal(v).normalize(), "f")
        except ArithmeticError:
            out[k] = v
    return out


@router.get("/c/{compound_id}/findings/settings", dependencies=[Require(Perm.billing_edit)])
def settings_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    page = _form(request, compound)
    page.values = _plain(row_values(finding_settings.get_settings(session, compound=compound), page.fields))
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/findings/settings", dependencies=[Require(Perm.billing_edit)])
def settings_save(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    page = _form(request, compound)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        for f in page.fields:
            if not page.values.get(f.name):
                from compound.kit.forms import FormProblem

                raise FormProblem(_("This field is required."), field=f.name)
        data = validate(FindingSettingsUpdate, dict(page.values))
        finding_settings.update_settings(session, compound=compound, changes=data.model_dump(exclude_unset=True))
        return _("The thresholds are saved."), page.back

    return submit(request, session, page, compound, save)


__all__ = ["router", "_names"]
