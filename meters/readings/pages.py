"""Pages for maintenance staff: the round sheet, a meter's page with its chart, replacements and seals.

Server-rendered, no JavaScript needed. Form posts end in a 303 and a flash message (Post/Redirect/Get);
when something could not be saved the page is shown again with the reason beside the field.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select
from starlette.datastructures import FormData

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.errors import AppError
from compound.kit.forms import FormDep, FormProblem, optional, parse_date, parse_datetime, parse_int, required
from compound.kit.i18n import N_, ngettext
from compound.kit.i18n import gettext as _
from compound.kit.pagination import Window, page_links, page_number
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
from meters.readings.round_sheet import (
    Place,
    SheetRow,
    building_meters,
    round_sheet,
    sheet_meter_ids,
    sheet_place,
    zone_buildings,
)
from meters.readings.service import estimate_reading, load_states, record_reading
from meters.readings.validation import CONFIRMABLE, Code
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


def _css_text(text: str) -> str:
    """A translated label safe inside a CSS string in a <style> element (where HTML escapes mean nothing)."""
    return "".join(ch for ch in text if ch not in "\\\"'<>&")


def _sheet_labels() -> dict[str, str]:
    return {
        "unread": _css_text(_("not read yet")),
        "last": _css_text(_("Last reading")),
        "range": _css_text(_("Expected now")),
        "new": _css_text(_("New reading")),
    }


def _local_input(at: datetime, tz: ZoneInfo) -> str:
    """The value of a datetime-local input."""
    return at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


# The round sheet


@dataclass
class RowResult:
    """What became of one meter's typed value."""

    status: str  # saved | refused | confirm
    value: str = ""
    messages: list[str] = field(default_factory=list)
    offer_rollover: bool = False
    rollover: bool = False


def _sheet_page(
    request: Request,
    session: Session,
    compound: Compound,
    place: Place,
    *,
    read_at: str = "",
    read_by: str = "",
    results: dict[int, RowResult] | None = None,
    error: AppError | None = None,
    status_code: int = 200,
) -> Response:
    now = clock.now()
    rows = round_sheet(session, compound=compound, building_id=place.building_id, zone_id=place.zone_id, now=now)
    results = results or {}
    unread = sum(1 for r in rows if not r.read_this_month)
    zone_page: dict[str, Any] = {}
    if place.zone_id is not None:  # a zone's sheet can hold a whole living area: a page of it at a time
        rows, zone_page = _zone_sheet_page(request, session, compound, place, rows)
    return render(
        request,
        "meters/round_sheet.html",
        {
            **_common(request, compound),
            "place": place,
            "rows": rows,
            "results": results,
            "read_at": read_at or now.isoformat(timespec="seconds"),
            "read_by": read_by or _remembered_reader(request),
            "error": error,
            "unread": unread,
            "css_labels": _sheet_labels(),
            "action": place.path + (f"?{request.url.query}" if request.url.query else ""),
            **zone_page,
        },
        status_code=status_code,
    )


ZONE_SHEET_PAGE = 40


def _zone_sheet_page(
    request: Request, session: Session, compound: Compound, place: Place, rows: list[SheetRow]
) -> tuple[list[SheetRow], dict[str, Any]]:
    """One page of a zone's sheet, filtered by building, utility and serial or location (?building_id, ?utility,
    ?q, ?page), in walking order; with the filter form and the pager the template shows."""
    args = request.query_params
    building, utility, q = args.get("building_id", ""), args.get("utility", ""), args.get("q", "").strip()[:64]
    buildings = zone_buildings(session, compound=compound, zone_id=place.zone_id)
    if building.isdigit() and int(building) in dict(buildings):
        in_building = sheet_meter_ids(session, compound=compound, building_id=int(building))
        rows = [r for r in rows if r.meter_id in in_building]
    if utility in ("water", "electricity"):
        rows = [r for r in rows if r.utility == utility]
    if q:
        rows = [r for r in rows if q.lower() in r.serial.lower() or q.lower() in r.location.lower()]
    number = page_number(args.get("page", ""))
    start = (number - 1) * ZONE_SHEET_PAGE
    window = Window(rows=rows[start : start + ZONE_SHEET_PAGE], total=len(rows), limit=ZONE_SHEET_PAGE, offset=start)
    params = {"building_id": building, "utility": utility, "q": q}
    filters = [
        ("building_id", _("Building"), [(str(bid), name) for bid, name in buildings], building),
        ("utility", _("Utility"), [(u, _(LABELS[u])) for u in ("water", "electricity")], utility),
        ("q", _("Serial or location"), None, q),
    ]
    return window.rows, {"filters": filters, "pager": page_links(request.url.path, params, window, page=number)}


def _reader_key(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    return f"read_by:{principal.user.id}" if principal is not None else "read_by"


def _remembered_reader(request: Request) -> str:
    """Who read the last sheet this user saved: "抄表人" need not be typed on every sheet."""
    return str(request.session.get(_reader_key(request), "")) if "session" in request.scope else ""


def _save_sheet(request: Request, session: Session, compound: Compound, place: Place, form: FormData) -> Response:
    read_by = str(form.get("read_by") or "").strip()
    if read_by and len(read_by) <= 100 and "session" in request.scope:
        request.session[_reader_key(request)] = read_by
    raw_at = str(form.get("read_at") or "")
    try:
        optional(read_by, name="read_by", max_length=WHO_MAX)
        read_at = parse_datetime(raw_at, tz=clock.tz_of(compound), name="read_at") if raw_at else clock.now()
    except FormProblem as exc:
        return _sheet_page(request, session, compound, place, read_by=read_by, error=exc, status_code=422)
    ids = sheet_meter_ids(session, compound=compound, building_id=place.building_id, zone_id=place.zone_id)
    typed = {mid: str(form.get(f"value_{mid}") or "").strip() for mid in ids}
    typed = {mid: v for mid, v in typed.items() if v}
    if not typed:
        flash(request, _("Nothing was saved: no reading was typed."), "error")
        return RedirectResponse(_here(request, place), status_code=303)
    meters = session.exec(select(Meter).where(Meter.compound_id == compound.id, Meter.id.in_(list(typed))))
    results = {}
    for meter in meters:
        results[meter.id] = _save_one(session, compound, meter, typed[meter.id], read_at, read_by, form)
    saved = sum(1 for r in results.values() if r.status == "saved")
    if saved == len(results):
        flash(request, ngettext("%(num)s reading saved.", "%(num)s readings saved.", saved))
        return RedirectResponse(_here(request, place), status_code=303)
    # Some saved and some not is a success that needs attention (200: what was saved is committed); none saved is
    # a refusal (422: nothing is committed).
    return _sheet_page(
        request,
        session,
        compound,
        place,
        read_at=raw_at,
        read_by=read_by,
        results=results,
        status_code=200 if saved else 422,
    )


def _here(request: Request, place: Place) -> str:
    """The sheet's page the form was posted from (a zone sheet's filters and page are in its address)."""
    return place.path + (f"?{request.url.query}" if request.url.query else "")


def _save_one(
    session: Session, compound: Compound, meter: Meter, value: str, read_at: datetime, read_by: str, form: FormData
) -> RowResult:
    rollover = form.get(f"rollover_{meter.id}") is not None
    confirm = CONFIRMABLE if form.get(f"confirm_{meter.id}") is not None else frozenset()
    try:
        record_reading(
            session,
            compound=compound,
            meter=meter,
            value=value,
            read_at=read_at,
            read_by=read_by,
            rollover=rollover,
            confirm=confirm,
        )
    except ReadingProblems as exc:
        codes = {p.code for p in exc.problems}
        return RowResult(
            status="confirm" if isinstance(exc, NeedsConfirmation) else "refused",
            value=value,
            messages=[p.message for p in exc.problems] or [exc.message],
            offer_rollover=rollover or bool(codes & {Code.lower_than_previous, Code.rollover_not_lower}),
            rollover=rollover,
        )
    except AppError as exc:
        return RowResult(status="refused", value=value, messages=[exc.message])
    return RowResult(status="saved")


@router.get("/c/{compound_id}/rounds/building/{building_id}", name="round_sheet_building", dependencies=VIEW)
def building_sheet(request: Request, session: SessionDep, compound: CompoundDep, building_id: IdPath) -> Response:
    return _sheet_page(request, session, compound, sheet_place(session, compound=compound, building_id=building_id))


@router.post("/c/{compound_id}/rounds/building/{building_id}", dependencies=READ)
def save_building_sheet(
    request: Request, session: SessionDep, compound: CompoundDep, building_id: IdPath, form: FormDep
) -> Response:
    place = sheet_place(session, compound=compound, building_id=building_id)
    return _save_sheet(request, session, compound, place, form)


@router.get("/c/{compound_id}/rounds/zone/{zone_id}", name="round_sheet_zone", dependencies=VIEW)
def zone_sheet(request: Request, session: SessionDep, compound: CompoundDep, zone_id: IdPath) -> Response:
    return _sheet_page(request, session, compound, sheet_place(session, compound=compound, zone_id=zone_id))


@router.post("/c/{compound_id}/rounds/zone/{zone_id}", dependencies=READ)
def save_zone_sheet(
    request: Request, session: SessionDep, compound: CompoundDep, zone_id: IdPath, form: FormDep
) -> Response:
    return _save_sheet(request, session, compound, sheet_place(session, compound=compound, zone_id=zone_id), form)


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


def _meter_page(
    request: Request,
    session: Session,
    compound: Compound,
    meter: Meter,
    *,
    error: AppError | None = None,
    form_name: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    tz = clock.tz_of(compound)
    now = clock.now()
    chain = replacement_chain(session, compound_id=compound.id, meter_id=meter.id)
    history = meter_history(session, compound_id=compound.id, meter_ids=chain)
    return render(
        request,
        "meters/meter.html",
        {
            **_common(request, compound),
            "facts": meter_facts(session, meter=meter),
            "meter": meter,
            "history": history,
            "chained": len(chain) > 1,
            "tz": tz,
            "now_local": _local_input(now, tz),
            "today": now.astimezone(tz).date().isoformat(),
            "error": error,
            "form_name": form_name,
            "values": values or {},
            "offer_estimate": _offer_estimate(session, compound, meter, history, now),
        },
        status_code=status_code,
    )


def _form_failed(
    request: Request,
    session: Session,
    compound: Compound,
    meter: Meter,
    exc: AppError,
    form_name: str,
    values: dict[str, str],
) -> Response:
    return _meter_page(
        request, session, compound, meter, error=exc, form_name=form_name, values=values, status_code=exc.status_code
    )


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
        return _form_failed(request, session, compound, meter, exc, "replace", values)
    flash(request, _("Meter %(old)s replaced by %(new)s.", old=meter.serial, new=new.serial))
    return RedirectResponse(_meter_path(compound, new.id), status_code=303)


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
        seal = seals.add_seal(
            session,
            compound=compound,
            meter=meter,
            number=required(number, name="number", max_length=SERIAL_MAX),
            sealed_date=parse_date(sealed_date, name="sealed_date"),
            sealed_by=required(sealed_by, name="sealed_by", max_length=WHO_MAX),
        )
    except AppError as exc:
        return _form_failed(request, session, compound, meter, exc, "seal", values)
    flash(request, _("Seal %(number)s recorded.", number=seal.number))
    return RedirectResponse(_meter_path(compound, meter.id), status_code=303)


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
        seals.break_seal(
            session,
            compound=compound,
            seal=seal,
            broken_date=parse_date(broken_date, name="broken_date"),
            broken_by=required(broken_by, name="broken_by", max_length=WHO_MAX),
            note=optional(note, name="note", max_length=NOTE_MAX),
        )
    except AppError as exc:
        return _form_failed(request, session, compound, meter, exc, "break", values)
    flash(request, _("Seal %(number)s recorded as broken.", number=seal.number))
    return RedirectResponse(_meter_path(compound, meter.id), status_code=303)


@router.post("/c/{compound_id}/meters/{meter_id}/estimate", name="meter_estimate", dependencies=READ)
def estimate(request: Request, session: SessionDep, compound: CompoundDep, meter: MeterDep) -> Response:
    now = clock.now()
    history = meter_history(session, compound_id=compound.id, meter_ids=[meter.id])
    try:
        if blocked := _estimate_blocked(history, meter, now, clock.tz_of(compound)):
            raise blocked
        reading = estimate_reading(session, compound=compound, meter=meter, at=now, now=now)
    except AppError as exc:
        return _form_failed(request, session, compound, meter, exc, "estimate", {})
    flash(
        request,
        _(
            "Estimated reading %(value)s saved for meter %(serial)s; the next real reading replaces it.",
            value=fmt(reading.value_milli),
            serial=meter.serial,
        ),
    )
    return RedirectResponse(_meter_path(compound, meter.id), status_code=303)
