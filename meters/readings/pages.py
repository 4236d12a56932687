"""Pages for maintenance staff: a meter's page with its chart, replacements and seals (the round sheet is in
pages_sheet.py).

Server-rendered, no JavaScript needed. Form posts end in a 303 and a flash message (Post/Redirect/Get);
when something could not be saved the page is shown again with the reason beside the field.
"""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from compound.auth import relogin
from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import clock, refusals
from compound.kit.errors import AppError
from compound.kit.forms import FormProblem, optional, parse_date, parse_datetime, parse_int, required
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from meters.deps import MeterDep, SealDep
from meters.errors import NeedsConfirmation, ReadingProblems
from meters.labels import LABELS
from meters.models import Meter, MeterStatus, ReadingSource
from meters.quantity import fmt
from meters.readings.history import HistoryRow, meter_facts, meter_history, monthly_use, replacement_chain
from meters.readings.round_sheet import building_meters, sheet_place
from meters.readings.service import estimate_reading, load_states
from meters.readings.validation import Code, Problem
from meters.register import seals
from meters.register.replacement import replace_meter

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.register_view)]
READ = [Require(Perm.readings_write)]
SERVICE = [Require(Perm.meters_service)]
# The API's limits (its schemas, the columns): a form may not store more than a JSON body may.
SERIAL_MAX, WHO_MAX, NOTE_MAX = 64, 100, 500


UNITS = {"water": N_("m³"), "electricity": N_("kWh")}
FIELD_LABELS: dict[str, str] = {
    "read_at": N_("Reading time"),
    "value": N_("Reading"),
    "final_value": N_("Final reading of the old meter"),
    "new_serial": N_("New meter's serial"),
    "new_value": N_("First reading of the new meter"),
    "at": N_("Date and time of the change"),
    "new_multiplier": N_("Multiplier"),
    "new_dials": N_("Dials"),
    "number": N_("Seal number"),
    "sealed_date": N_("Date sealed"),
    "sealed_by": N_("Sealed by"),
    "broken_date": N_("Date broken"),
    "broken_by": N_("Found broken by"),
    "note": N_("Note"),
    "read_by": N_("Read by"),
    "serial": N_("Serial"),
    "meter_id": N_("Meter"),
    "seal_id": N_("Seal"),
}


def _common(request: Request, compound: Compound) -> dict[str, Any]:
    # compound.kit.web.render adds the CSRF token every form carries.
    return {"compound": compound, "labels": LABELS, "units": UNITS, "field_labels": FIELD_LABELS, "fmt": fmt}


def _local_input(at: datetime, tz: ZoneInfo) -> str:
    """The value of a datetime-local input."""
    return at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


@router.get("/c/{compound_id}/buildings/{building_id}/meters", name="building_meters", dependencies=VIEW)
def building_meter_list(request: Request, session: SessionDep, compound: CompoundDep, building_id: IdPath) -> Response:
    place = sheet_place(session, compound=compound, building_id=building_id)
    rows = building_meters(session, compound_id=compound.id, building_id=building_id)
    return render(request, "meters/building_meters.html", {**_common(request, compound), "place": place, "rows": rows})


# A meter's page


def _meter_path(compound: Compound, meter_id: int) -> str:
    return f"/c/{compound.id}/meters/{meter_id}"


def _month_start(now: datetime, tz: ZoneInfo) -> datetime:
    return now.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _this_months(history: list[HistoryRow], meter: Meter, since: datetime, *, estimated: bool) -> HistoryRow | None:
    """The meter's newest counted reading since `since`: a real one, or (estimated=True) a standing estimate."""
    for h in history:  # newest first
        if h.read_at < since:
            return None
        if h.meter_id == meter.id and not h.superseded and (h.source == ReadingSource.estimated) == estimated:
            return h
    return None


def _estimate_blocked(history: list[HistoryRow], meter: Meter, now: datetime, tz: ZoneInfo) -> AppError | None:
    """Why no estimate should be made now, when the meter was read or estimated this month; else None.

    The service would estimate again after either; the page must not, or a second click doubles the estimate.
    """
    since = _month_start(now, tz)
    if h := _this_months(history, meter, since, estimated=False):
        when = h.read_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return FormProblem(
            _("Meter %(serial)s was read this month (%(at)s): nothing to estimate.", serial=meter.serial, at=when)
        )
    if h := _this_months(history, meter, since, estimated=True):
        when = h.read_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return FormProblem(
            _("Meter %(serial)s already has an estimated reading this month (%(at)s).", serial=meter.serial, at=when)
        )
    return None


def _offer_estimate(
    session: Session, compound: Compound, meter: Meter, history: list[HistoryRow], now: datetime
) -> bool:
    """Show the estimate button: an active meter, not read this month, with enough history to estimate from."""
    if meter.status != MeterStatus.active or _estimate_blocked(history, meter, now, clock.tz_of(compound)):
        return False
    state = load_states(session, compound_id=compound.id, meter_ids=[meter.id], now=now)[meter.id]
    return state.last_value is not None and state.avg_daily is not None


def _message_id(exc: AppError, form_name: str) -> str:
    """The msgid of a refused reading's message (it has no parameters): the page says it in any language."""
    if not isinstance(exc, ReadingProblems):
        return ""
    if form_name == "estimate":
        return N_("No estimate was made.")
    if isinstance(exc, NeedsConfirmation):
        return N_("The reading needs confirming before it is saved.")
    return N_("The reading was not saved.")


def _problems(exc: AppError) -> list[dict[str, Any]]:
    """A refused reading's problems as codes and parameters: the page says them again in any language."""
    if not isinstance(exc, ReadingProblems):
        return []
    return [{"code": p.code.value, "field": p.field, "params": p.params} for p in exc.problems]


# Where the cursor goes in a form shown again when the refusal names no field of it.
_FIRST_FIELD = {"seal": "number", "replace": "final_value", "break": "broken_by"}


def _shown_refusal(kept: refusals.Refusal | None) -> dict[str, Any] | None:
    """What the page shows beside the form that failed: the field, the reason and every problem, translated now."""
    if kept is None:
        return None
    problems = []
    for d in kept.details:
        try:
            problems.append(Problem(Code(d["code"]), str(d.get("field", "")), dict(d.get("params") or {})).message)
        except (KeyError, TypeError, ValueError):
            continue
    return {
        "form": kept.form,
        "field": kept.field,
        "message": _(kept.message_id) if kept.message_id else kept.message,
        "problems": problems,
        "focus": kept.field or _FIRST_FIELD.get(kept.form.split("-")[0], ""),
    }


def _meter_page(request: Request, session: Session, compound: Compound, meter: Meter) -> Response:
    tz = clock.tz_of(compound)
    now = clock.now()
    chain = replacement_chain(session, compound_id=compound.id, meter_id=meter.id)
    history = meter_history(session, compound_id=compound.id, meter_ids=chain)
    facts = meter_facts(session, meter=meter)
    kept = refusals.refusal(request, page=_meter_path(compound, meter.id)) or _kept_at_login(
        request, compound, meter, [s.id for s in facts.seals]
    )
    return render(
        request,
        "meters/meter.html",
        {
            **_common(request, compound),
            "facts": facts,
            "meter": meter,
            "history": history,
            "chained": len(chain) > 1,
            "tz": tz,
            "now_local": _local_input(now, tz),
            "today": now.astimezone(tz).date().isoformat(),
            "refused": _shown_refusal(kept),
            "values": kept.values if kept else {},
            "offer_estimate": _offer_estimate(session, compound, meter, history, now),
        },
    )


def _kept_at_login(request: Request, compound: Compound, meter: Meter, seal_ids: list[int]) -> refusals.Refusal | None:
    """A form of this page posted after the session had ended: its values, kept across the login (auth.relogin)."""
    path = _meter_path(compound, meter.id)
    forms = [("seal", f"{path}/seals"), ("replace", f"{path}/replace")]
    forms += [(f"break-{sid}", f"{path}/seals/{sid}/break") for sid in seal_ids]
    for name, action in forms:
        if kept := relogin.kept_form(request, action):
            message = _("Your session had ended, so this was not saved. Check it and send it again.")
            return refusals.Refusal(form=name, values=kept[0], field=None, message=message)
    return None


def _form_failed(
    request: Request, compound: Compound, meter: Meter, exc: AppError, form_name: str, values: dict[str, str]
) -> Response:
    """Back to the meter's page (303), scrolled to the form that failed, its reason beside it and the values kept.

    The page's own address, not the post's, so a reload or the language switch shows it again.
    """
    relogin.forget_form(request, request.url.path)  # what was kept across a login has been sent again
    target = refusals.keep(
        request,
        page=_meter_path(compound, meter.id),
        form=form_name,
        values=values,
        field=exc.field,
        message=exc.message,
        details=_problems(exc),
        message_id=_message_id(exc, form_name),
    )
    return RedirectResponse(target, status_code=303)


def _succeeded(request: Request, compound: Compound, meter: Meter, message: str, target: str) -> Response:
    refusals.clear(request, page=_meter_path(compound, meter.id))
    relogin.forget_form(request, request.url.path)
    flash(request, message)
    return RedirectResponse(target, status_code=303)


@router.get("/c/{compound_id}/meters/{meter_id}", name="meter_page", dependencies=VIEW)
def meter_page(request: Request, session: SessionDep, compound: CompoundDep, meter: MeterDep) -> Response:
    return _meter_page(request, session, compound, meter)


@router.get("/c/{compound_id}/meters/{meter_id}/chart.png", name="meter_chart", dependencies=VIEW)
def meter_chart(session: SessionDep, compound: CompoundDep, meter: MeterDep) -> Response:
    from meters.readings.charts import consumption_chart  # matplotlib loads on the first chart, not at start-up

    chain = replacement_chain(session, compound_id=compound.id, meter_id=meter.id)
    history = meter_history(session, compound_id=compound.id, meter_ids=chain)
    months = monthly_use(history, tz=clock.tz_of(compound), now=clock.now())
    png = consumption_chart(months, utility=meter.utility, title=_("Meter %(serial)s", serial=meter.serial))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


# A refused reading of the replacement names the form field it came from (meters.register.replacement marks it).
_REPLACEMENT_FIELDS = {
    "final": {"value": "final_value", "read_at": "at"},
    "initial": {"value": "new_value", "read_at": "at"},
}


def _reading_field(exc: AppError) -> AppError:
    fields = _REPLACEMENT_FIELDS.get(str(exc.extra.get("reading", "")))
    if fields and exc.field in fields:
        exc.field = fields[exc.field]
    return exc


@router.post("/c/{compound_id}/meters/{meter_id}/replace", name="meter_replace", dependencies=SERVICE)
def replace(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    meter: MeterDep,
    final_value: Annotated[str, Form()] = "",
    new_serial: Annotated[str, Form()] = "",
    new_value: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
    read_by: Annotated[str, Form()] = "",
    new_multiplier: Annotated[str, Form()] = "",
    new_dials: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "final_value": final_value,
        "new_serial": new_serial,
        "new_value": new_value,
        "at": at,
        "read_by": read_by,
        "new_multiplier": new_multiplier,
        "new_dials": new_dials,
        "note": note,
    }
    try:
        # A refusal's status rolls the request back (UnitOfWorkRoute); the savepoint undoes at once what the
        # service flushed before it gave up (a final reading, the old meter removed), so the page drawn next
        # shows the meter as it is.
        with session.begin_nested():
            new = replace_meter(
                session,
                compound=compound,
                meter=meter,
                final_value=required(final_value, name="final_value"),
                new_serial=required(new_serial, name="new_serial", max_length=SERIAL_MAX),
                new_value=required(new_value, name="new_value"),
                at=parse_datetime(required(at, name="at"), tz=clock.tz_of(compound), name="at"),
                read_by=optional(read_by, name="read_by", max_length=WHO_MAX),
                new_multiplier=parse_int(new_multiplier, name="new_multiplier"),
                new_dials=parse_int(new_dials, name="new_dials"),
                note=optional(note, name="note", max_length=NOTE_MAX),
            )
    except AppError as exc:
        return _form_failed(request, compound, meter, _reading_field(exc), "replace", values)
    message = _("Meter %(old)s replaced by %(new)s.", old=meter.serial, new=new.serial)
    return _succeeded(request, compound, meter, message, _meter_path(compound, new.id))


@router.post("/c/{compound_id}/meters/{meter_id}/seals", name="meter_add_seal", dependencies=SERVICE)
def add_seal(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    meter: MeterDep,
    number: Annotated[str, Form()] = "",
    sealed_date: Annotated[str, Form()] = "",
    sealed_by: Annotated[str, Form()] = "",
) -> Response:
    values = {"number": number, "sealed_date": sealed_date, "sealed_by": sealed_by}
    try:
        with session.begin_nested():  # a refusal answers 303 (the page, with its reason), which commits
            seal = seals.add_seal(
                session,
                compound=compound,
                meter=meter,
                number=required(number, name="number", max_length=SERIAL_MAX),
                sealed_date=parse_date(sealed_date, name="sealed_date"),
                sealed_by=required(sealed_by, name="sealed_by", max_length=WHO_MAX),
            )
    except AppError as exc:
        return _form_failed(request, compound, meter, exc, "seal", values)
    message = _("Seal %(number)s recorded.", number=seal.number)
    return _succeeded(request, compound, meter, message, _meter_path(compound, meter.id))


@router.post("/c/{compound_id}/meters/{meter_id}/seals/{seal_id}/break", name="meter_break_seal", dependencies=SERVICE)
def break_seal(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    meter: MeterDep,
    seal: SealDep,
    broken_date: Annotated[str, Form()] = "",
    broken_by: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    values = {"broken_date": broken_date, "broken_by": broken_by, "note": note, "seal_id": str(seal.id)}
    try:
        with session.begin_nested():
            seals.break_seal(
                session,
                compound=compound,
                seal=seal,
                broken_date=parse_date(broken_date, name="broken_date"),
                broken_by=required(broken_by, name="broken_by", max_length=WHO_MAX),
                note=optional(note, name="note", max_length=NOTE_MAX),
            )
    except AppError as exc:
        return _form_failed(request, compound, meter, exc, f"break-{seal.id}", values)
    message = _("Seal %(number)s recorded as broken.", number=seal.number)
    return _succeeded(request, compound, meter, message, _meter_path(compound, meter.id))


@router.post("/c/{compound_id}/meters/{meter_id}/estimate", name="meter_estimate", dependencies=READ)
def estimate(request: Request, session: SessionDep, compound: CompoundDep, meter: MeterDep) -> Response:
    now = clock.now()
    history = meter_history(session, compound_id=compound.id, meter_ids=[meter.id])
    try:
        if blocked := _estimate_blocked(history, meter, now, clock.tz_of(compound)):
            raise blocked
        with session.begin_nested():
            reading = estimate_reading(session, compound=compound, meter=meter, at=now, now=now)
    except AppError as exc:
        return _form_failed(request, compound, meter, exc, "estimate", {})
    message = _(
        "Estimated reading %(value)s saved for meter %(serial)s; the next real reading replaces it.",
        value=fmt(reading.value_milli),
        serial=meter.serial,
    )
    return _succeeded(request, compound, meter, message, _meter_path(compound, meter.id))
