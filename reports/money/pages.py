"""The money pages (managers and finance): a period's waterfalls, each chart on its own page, the chart files."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import i18n
from compound.kit.errors import AppError, InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render
from compound.register.deps import CompoundDep
from reports import charts as balance_charts
from reports.money import views
from reports.money.dashboard import dashboard
from reports.money.labels import cause_label, total_label, utility_label
from reports.money.output import warning_text
from reports.money.report import report_html
from reports.money.service import compound_money
from reports.periods import add_months, month

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.reports_view)]


def yuan(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def pct(fraction: Decimal | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.2f} %"


def chart_src(compound_id: int, name: str, period: str, utility: str, fmt: str) -> str:
    return f"/c/{compound_id}/money/charts/{name}.{fmt}?period={period}&utility={utility}"


def chart_page(compound_id: int, name: str, period: str, utility: str = "") -> str:
    query = f"?period={period}" + (f"&utility={utility}" if utility else "")
    return f"/c/{compound_id}/money/charts/{name}{query}"


HELPERS = {"yuan": yuan, "pct": pct, "cause_label": cause_label, "total_label": total_label,
           "utility_label": utility_label, "chart_src": chart_src, "chart_page": chart_page}  # fmt: skip


def _neighbours(span: Any) -> dict[str, str | None]:
    if not span.is_month:
        return {"previous": None, "next": None}
    return {"previous": month(add_months(span.start, -1)).label, "next": month(add_months(span.start, 1)).label}


@router.get("/c/{compound_id}/money", name="money_page", dependencies=VIEW)
def money_page(request: Request, session: SessionDep, compound: CompoundDep, period: str = "") -> Response:
    try:
        span = views.choose(session, compound, period)
    except AppError as exc:
        return render(request, "reports/money/money.html", {"compound": compound, "error": exc}, status_code=422)
    m = compound_money(session, compound=compound, period=span)
    warnings = [(utility_label(pm.utility.value), warning_text(c, p)) for pm in (m.water, m.electricity)
                for c, p in pm.warnings]  # fmt: skip
    context = {"compound": compound, "period": span, "m": m, "warnings": warnings, "charts": views.CHARTS,
               **_neighbours(span), **HELPERS}  # fmt: skip
    return render(request, "reports/money/money.html", context)


@router.get("/c/{compound_id}/money/charts/{name}.{fmt}", name="money_chart", dependencies=VIEW)
def money_chart(
    session: SessionDep, compound: CompoundDep, name: str, fmt: str, period: str = "", utility: str = ""
) -> Response:
    if name not in views.CHARTS or fmt not in views.FORMATS:
        raise InvalidInput(_("No such chart."), field="name")
    span = views.choose(session, compound, period)
    chosen = views.utility_for(name, utility)
    body, media = balance_charts.render(views.chart(session, compound, name, span, chosen), fmt)
    headers = (
        {"Content-Disposition": f'attachment; filename="{name}-{chosen}-{span.label}.csv"'} if fmt == "csv" else {}
    )
    return Response(body, media_type=media, headers=headers)


@router.get("/c/{compound_id}/money/charts/{name}", name="money_chart_page", dependencies=VIEW)
def money_chart_page(
    request: Request, session: SessionDep, compound: CompoundDep, name: str, period: str = "", utility: str = ""
) -> Response:
    if name not in views.CHARTS:
        raise InvalidInput(_("No such chart."), field="name")
    span = views.choose(session, compound, period)
    chosen = views.utility_for(name, utility)
    drawn = views.chart(session, compound, name, span, chosen)
    context = {"compound": compound, "period": span, "name": name, "heading": _(views.CHARTS[name]),
               "utility": chosen, "utilities": views.BY_UTILITY.get(name, ()), "rows": drawn.rows,
               "charts": views.CHARTS, **_neighbours(span), **HELPERS}  # fmt: skip
    return render(request, "reports/money/chart.html", context)


def change(now: str | None, before: str | None) -> str:
    """The change from `before` to `now` (decimal strings), with its sign; — when either is missing."""
    if now is None or before is None:
        return "—"
    diff = Decimal(now) - Decimal(before)
    return f"{diff:+,.2f}"


def money_s(text: str | None) -> str:
    return "—" if text is None else f"{Decimal(text):,.2f}"


@router.get("/c/{compound_id}/dashboard", name="money_dashboard", dependencies=VIEW)
def dashboard_page(request: Request, session: SessionDep, compound: CompoundDep, period: str = "") -> Response:
    try:
        span = views.choose(session, compound, period)
    except AppError as exc:
        return render(request, "reports/money/dashboard.html", {"compound": compound, "error": exc}, status_code=422)
    data, cached = dashboard(session, compound=compound, period=span)
    warnings = [(utility_label(u), warning_text(code, params)) for u, code, params in data["warnings"]]
    context = {"compound": compound, "period": span, "d": data, "cached": cached, "charts": views.CHARTS,
               "change": change, "money": money_s, "warnings": warnings, **_neighbours(span), **HELPERS}  # fmt: skip
    return render(request, "reports/money/dashboard.html", context)


@router.get("/c/{compound_id}/report", name="money_report", dependencies=VIEW)
def report_page(
    request: Request, session: SessionDep, compound: CompoundDep, period: str = "", lang: str = ""
) -> Response:
    """The leadership's monthly report as one print-ready HTML page (the reader's language, or ?lang=zh|en)."""
    span = views.choose(session, compound, period)
    if not span.is_month:
        raise InvalidInput(_("The report is of one month (2025-03)."), field="period")
    chosen = {"zh": "zh_Hans", "en": "en"}.get(lang)
    if lang and chosen is None:
        raise InvalidInput(_("The language is zh or en, not “%(text)s”.", text=lang), field="lang")
    if chosen:
        i18n.set_locale(chosen)
    return HTMLResponse(report_html(session, compound=compound, period=span))
