"""The balance page of a period and utility (managers and finance), its charts, and the quick balance page."""

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit.errors import AppError, InvalidInput
from compound.kit.forms import FormDep
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render
from compound.register.deps import CompoundDep
from meters.labels import label
from reports import charts, views
from reports.balance.components import vol
from reports.balance.output import ili_reason_text, warning_text
from reports.balance.service import period_balance
from reports.cli import quick
from reports.night_flow import list_tests
from reports.periods import add_months, month
from reports.quick_balance import WATER_KEYS

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.reports_view)]

FIGURES = {
    "water": (
        ("system_input", N_("System input")),
        ("billed_metered", N_("Billed metered")),
        ("billed_unmetered", N_("Billed unmetered")),
        ("unbilled_metered", N_("Unbilled metered (the centre's own use)")),
        ("unbilled_unmetered", N_("Unbilled unmetered (landscaping, public toilets, offices)")),
        ("water_losses", N_("Water losses")),
        ("apparent_losses", N_("Apparent losses")),
        ("unauthorised", N_("— unauthorised use")),
        ("customer_meter_error", N_("— customer meter under-registration")),
        ("data_handling_errors", N_("— data-handling errors")),
        ("estimated_read_error", N_("— estimated-read error")),
        ("real_losses", N_("Real losses (leakage)")),
        ("non_revenue", N_("Non-revenue water")),
    ),
    "electricity": (
        ("system_input", N_("Input")),
        ("billed_metered", N_("Billed sub-meters")),
        ("own_use", N_("The centre's own use")),
        ("public_lighting", N_("Public lighting")),
        ("public_lighting_metered", N_("— metered")),
        ("public_lighting_lamps", N_("— lamps × watts × hours")),
        ("other_unmetered", N_("Other unmetered use")),
        ("transformer_no_load_losses", N_("Transformer no-load losses")),
        ("transformer_load_losses", N_("Transformer load losses")),
        ("line_losses", N_("Line losses")),
        ("technical_losses", N_("Technical losses in the gap")),
        ("unexplained", N_("Unexplained (unmetered rooms, theft, meter error)")),
        ("non_revenue", N_("Not billed")),
    ),
}
HOW = {
    "reading": N_("a reading on the boundary"),
    "interpolated": N_("interpolated between two readings"),
    "extrapolated": N_("carried from the last reading at its rate (estimated)"),
    "no_readings": N_("no readings"),
}


def show(value: Decimal | None, places: int = 3) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.{places}f}"


def _links(compound_id: int, period: str, utility: str) -> dict[str, str]:
    base = f"/c/{compound_id}/balance/charts"
    query = f"?period={period}&utility={utility}"
    return {name: f"{base}/{name}.{{fmt}}{query}" for name in views.CHARTS}


@router.get("/c/{compound_id}/balance", name="balance_page", dependencies=VIEW)
def balance_page(
    request: Request, session: SessionDep, compound: CompoundDep, period: str = "", utility: str = "water"
) -> Response:
    try:
        span, chosen = views.choose(session, compound, period, utility)
    except AppError as exc:
        return render(request, "reports/balance.html", {"compound": compound, "error": exc}, status_code=422)
    b = period_balance(session, compound=compound, utility=chosen, period=span)
    tests = [
        (t, serial) for t, serial in list_tests(session, compound=compound) if span.start <= t.test_date < span.end
    ]
    context: dict[str, Any] = {
        "compound": compound,
        "b": b,
        "period": span,
        "utility": chosen.value,
        "figures": FIGURES[chosen.value],
        "how": HOW,
        "show": show,
        "vol": vol,
        "label": label,
        "charts": _links(compound.id, span.label, chosen.value),
        "warnings": [warning_text(code, params) for code, params in b.warnings],
        "ili_reason": ili_reason_text(b.indicators["ili_not_valid_because"], b.indicators)
        if b.indicators.get("ili_not_valid_because")
        else None,
        "previous": month(add_months(span.start, -1)).label if span.is_month else None,
        "next": month(add_months(span.start, 1)).label if span.is_month else None,
        "tolerance": Decimal(b.settings.utility_tolerance_fraction),
        "night_tests": tests,
        **views.page_context(b),
    }
    return render(request, "reports/balance.html", context)


@router.get("/c/{compound_id}/balance/charts/{name}.{fmt}", name="balance_chart", dependencies=VIEW)
def balance_chart(
    session: SessionDep, compound: CompoundDep, name: str, fmt: str, period: str = "", utility: str = "water"
) -> Response:
    if name not in views.CHARTS or fmt not in views.FORMATS:
        raise InvalidInput(_("No such chart."), field="name")
    span, chosen = views.choose(session, compound, period, utility)
    body, media = charts.render(views.chart(session, compound, name, span, chosen), fmt)
    headers = (
        {"Content-Disposition": f'attachment; filename="{name}-{chosen.value}-{span.label}.csv"'}
        if fmt == "csv"
        else {}
    )
    return Response(body, media_type=media, headers=headers)


# The quick balance from totals

QUICK_EXAMPLE = {
    "water": {
        "days": 365, "system_input": 60000, "billed_metered": 38000, "unbilled_metered": 2500,
        "unbilled_unmetered": 6000, "customer_meter_error_fraction": "0.03", "meter_error_basis": "true",
        "connections": 860, "mains_km": "4.2", "service_km": "1.1", "pressure_m": 28,
        "variable_cost_per_unit": "2.80", "tariff_per_unit": "4.10",
    },
    "electricity": {
        "days": 31, "input": 128000, "billed": 119000, "billed_amount": "71400", "collected_amount": "65000",
        "lamps": [{"count": 60, "watts": 60, "hours_per_day": "4.5"}],
        "transformers": [{"name": "T1", "rated_kva": 630, "no_load_loss_kw": "1.18", "copper_loss_kw": "6.8",
                          "energy_kwh": 110000, "power_factor": "0.9", "load_factor": "0.5"}],
        "line_loss_rate": "0.02", "variable_cost_per_unit": "0.62", "tariff_per_unit": "0.60",
    },
}  # fmt: skip


@router.get("/c/{compound_id}/balance/quick", name="quick_balance_page", dependencies=VIEW)
def quick_page(request: Request, compound: CompoundDep, utility: str = "water") -> Response:
    chosen = "electricity" if utility == "electricity" else "water"
    text = json.dumps(QUICK_EXAMPLE[chosen], ensure_ascii=False, indent=2)
    return _quick(request, compound, chosen, text, None, None)


@router.post("/c/{compound_id}/balance/quick", dependencies=VIEW)
def quick_post(request: Request, compound: CompoundDep, form: FormDep, utility: str = "water") -> Response:
    chosen = "electricity" if utility == "electricity" else "water"
    text = form.get("totals")
    text = text if isinstance(text, str) else ""
    try:
        result = quick(chosen, text)
    except AppError as exc:
        return _quick(request, compound, chosen, text, None, exc, status_code=422)
    return _quick(request, compound, chosen, text, result, None)


def _quick(
    request: Request, compound: Any, utility: str, text: str, result: dict | None, error: AppError | None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    rows = []
    if result:
        for key, value in result.items():
            if isinstance(value, list | dict) or key == "utility":
                continue
            rows.append((key, "—" if value is None else str(value)))
    context = {
        "compound": compound,
        "utility": utility,
        "text": text,
        "rows": rows,
        "result": result,
        "error": error,
        "keys": sorted(WATER_KEYS) if utility == "water" else None,
    }
    return render(request, "reports/quick.html", context, status_code=status_code)
