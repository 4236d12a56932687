"""The night-flow test for maintenance, on a phone: readings of a master or zone meter in the quiet hours."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import clock, lookups
from compound.kit.errors import AppError
from compound.kit.forms import FormDep, FormProblem, parse_date, parse_int, required, validate
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from meters.labels import label
from reports import charts
from reports.balance import settings as balance_settings
from reports.bill_pages import save_settings, show_settings
from reports.models import NightFlowTest
from reports.night_flow import create_test, list_tests, test_meters, work_out
from reports.schemas import NightFlowCreate, NightReadingIn

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
READ = [Require(Perm.readings_write)]
ROWS = 4


def _form_page(request: Request, session, compound: Compound, *, values: dict, error: AppError | None = None,
               status_code: int = 200) -> Response:  # fmt: skip
    s = balance_settings.get_settings(session, compound=compound)
    context = {
        "compound": compound,
        "meters": test_meters(session, compound=compound),
        "label": label,
        "values": values,
        "error": error,
        "rows": range(ROWS),
        "window": f"{s.night_start:%H:%M}–{s.night_end:%H:%M}",
        "tests": list_tests(session, compound=compound, limit=20),
    }
    return render(request, "reports/night_flow.html", context, status_code=status_code)


@router.get("/c/{compound_id}/night-flow", name="night_flow_page", dependencies=READ)
def night_flow_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    s = balance_settings.get_settings(session, compound=compound)
    today = clock.today(compound)
    values = {"test_date": today.isoformat(), "time_0": f"{s.night_start:%H:%M}"}
    return _form_page(request, session, compound, values=values)


def _reading(text_time: str, text_value: str, day: date, i: int, window_start: time) -> NightReadingIn | None:
    if not text_time.strip() and not text_value.strip():
        return None
    try:
        at = time.fromisoformat(required(text_time, name=f"time_{i}"))
    except ValueError:
        raise FormProblem(_("“%(text)s” is not a time (HH:MM).", text=text_time), field=f"time_{i}") from None
    try:
        value = Decimal(required(text_value, name=f"value_{i}").replace(",", ""))
    except InvalidOperation:
        raise FormProblem(_("“%(text)s” is not a number.", text=text_value), field=f"value_{i}") from None
    # The test date is the night's first reading: in a window across midnight, a time before the start is the morning.
    if at < window_start and window_start.hour >= 12:
        day = day + timedelta(days=1)
    return NightReadingIn(read_at=datetime.combine(day, at), value=value)


@router.post("/c/{compound_id}/night-flow", dependencies=READ)
def night_flow_post(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    start = balance_settings.get_settings(session, compound=compound).night_start
    try:
        meter_id = parse_int(values.get("meter_id", ""), name="meter_id")
        if meter_id is None:
            raise FormProblem(_("This field is required."), field="meter_id")
        day = parse_date(values.get("test_date", ""), name="test_date")
        texts = [(values.get(f"time_{i}", ""), values.get(f"value_{i}", ""), i) for i in range(ROWS)]
        readings = [r for t, v, i in texts if (r := _reading(t, v, day, i, start)) is not None]
        if len(readings) < 2:
            raise FormProblem(_("A night-flow test needs at least two readings."), field="readings")
        data = validate(
            NightFlowCreate,
            {"meter_id": meter_id, "readings": readings, "read_by": values.get("read_by", ""),
             "note": values.get("note", "")},
        )  # fmt: skip
        with session.begin_nested():  # a refusal undoes at once what was flushed; the 422 rolls the request back
            test = create_test(session, compound=compound, data=data)
    except AppError as exc:
        return _form_page(request, session, compound, values=values, error=exc, status_code=422)
    flash(request, _("The night-flow test is saved."))
    return RedirectResponse(f"/c/{compound.id}/night-flow/{test.id}", status_code=303)


# Before /night-flow/{test_id}, which would take "settings" for an id.
@router.get("/c/{compound_id}/night-flow/settings", name="night_flow_settings", dependencies=READ)
def night_settings_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return show_settings(request, session, compound, night=True)


@router.post("/c/{compound_id}/night-flow/settings", dependencies=READ)
def night_settings_post(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    return save_settings(request, session, compound, form, night=True)


def _test(session, compound: Compound, test_id: int) -> NightFlowTest:
    return lookups.get_or_raise(
        session, NightFlowTest, compound_id=compound.id, id=test_id, message=_("No such night-flow test."),
        field="test_id",
    )  # fmt: skip


@router.get("/c/{compound_id}/night-flow/{test_id}", name="night_flow_test", dependencies=READ)
def night_flow_test(request: Request, session: SessionDep, compound: CompoundDep, test_id: IdPath) -> Response:
    result = work_out(session, compound=compound, test=_test(session, compound, test_id))
    base = f"/c/{compound.id}/night-flow/{test_id}/chart"
    return render(
        request,
        "reports/night_flow_test.html",
        {"compound": compound, "r": result, "chart": base + ".{fmt}", "label": label},
    )


@router.get("/c/{compound_id}/night-flow/{test_id}/chart.{fmt}", name="night_flow_chart", dependencies=READ)
def night_flow_chart(session: SessionDep, compound: CompoundDep, test_id: IdPath, fmt: str) -> Response:
    if fmt not in ("png", "svg", "csv"):
        raise FormProblem(_("No such chart."), field="fmt")
    result = work_out(session, compound=compound, test=_test(session, compound, test_id))
    body, media = charts.render(night_chart(result), fmt)
    return Response(body, media_type=media)


def night_chart(result) -> charts.Chart:  # type: ignore[no-untyped-def]
    e = result.estimate
    intervals = [(f"{i.start:%H:%M}–{i.end:%H:%M}", i.rate) for i in result.intervals]
    return charts.night_flow(
        intervals=intervals,
        minimum=e.minimum.rate,
        legitimate=e.legitimate_use,
        daily_leakage=e.daily_leakage,
        month_per_day=result.month_real_losses_per_day,
        title=_("Night flow of %(serial)s, %(date)s", serial=result.meter.serial, date=result.test.test_date),
    )
