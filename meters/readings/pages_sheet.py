"""The round sheet: a building's or zone's meters in walking order, typed in on a phone and saved.

A long sheet comes in parts of at most 40 meters (meters/readings/sheet_parts.py), each saved on its own, so
a round is never one 400-meter form that a lapsed session throws away. The page is one ordinary form that works
without JavaScript; where JavaScript runs (static/meters/round_sheet.js) each reading is also posted as soon as
it is typed, to the same address with `Accept: application/json`, and the row says saved or why not. Every
reading is taken at the time it was typed (`at_<id>`, sent by the script or kept across a login) or else at
the time it reaches the server: never at the time the page was opened.

All of a post is saved by one set-based call (meters/readings/sheet_save.py).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from compound.auth import relogin
from compound.auth.deps import Require
from compound.auth.labels import can
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.forms import FormDep, FormProblem, optional, parse_datetime
from compound.kit.i18n import gettext as _
from compound.kit.i18n import ngettext
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from meters.labels import LABELS
from meters.quantity import fmt
from meters.readings.round_sheet import Place, SheetRow, round_sheet, sheet_meter_ids, sheet_place, zone_buildings
from meters.readings.sheet_parts import Part, part_of, split
from meters.readings.sheet_save import EntryResult, SheetEntry, save_sheet
from meters.readings.validation import CONFIRMABLE, Code, Problem

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.register_view)]
READ = [Require(Perm.readings_write)]

ROLLOVER_CODES = frozenset({Code.lower_than_previous, Code.rollover_not_lower})
WHO_MAX = 100  # the API's limit for read_by


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


def _script_labels() -> dict[str, str]:
    """What the script writes into a row, in the reader's language (data-* attributes of the form)."""
    return {
        "saving": _("saving…"),
        "saved": _("saved"),
        "offline": _("Not saved yet: no connection. It is kept on this phone; press Save readings when online."),
        "login": _("Not saved yet: you were logged out. What you typed is kept on this phone: log in again."),
        "restored": _("Typed before and not saved yet: saving it now."),
        "confirm": _("confirm: the reading is right"),
        "rollover": _("rollover: the dials went past zero"),
        "login_link": _("Log in again"),
    }


@dataclass
class RowResult:
    """What became of one meter's typed value, as the row shows it."""

    status: str  # saved | refused | confirm
    value: str = ""
    messages: list[str] = field(default_factory=list)
    offer_rollover: bool = False
    rollover: bool = False
    at: str = ""  # when it was typed (kept for a form shown again), ISO 8601

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "messages": self.messages,
            "offer_rollover": self.offer_rollover,
            "rollover": self.rollover,
        }


FILTERS = ("building_id", "utility", "q")


def _zone_filters(
    request: Request, session: Session, compound: Compound, place: Place, rows: list[SheetRow]
) -> tuple[list[SheetRow], list[tuple[str, str, Any, str]]]:
    """A zone's sheet (a whole living area) narrowed by building, utility and serial or location (?building_id,
    ?utility, ?q), in walking order; with the filter form the template shows."""
    if place.zone_id is None:
        return rows, []
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
    filters = [
        ("building_id", _("Building"), [(str(bid), name) for bid, name in buildings], building),
        ("utility", _("Utility"), [(u, _(LABELS[u])) for u in ("water", "electricity")], utility),
        ("q", _("Serial or location"), None, q),
    ]
    return rows, filters


def _address(request: Request, place: Place, part: int | None) -> str:
    """The sheet's address for a part, keeping a zone sheet's filters."""
    query = {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)}
    if part is not None:
        query["part"] = str(part)
    return place.path + (f"?{urlencode(query)}" if query else "")


def _part_number(request: Request) -> int | None:
    raw = request.query_params.get("part", "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


def _parts(rows: list[SheetRow]) -> list[Part]:
    return split([r.location or r.serial for r in rows])




def _restored(request: Request, place: Place) -> dict[int, RowResult]:
    """Values posted when the session had lapsed, kept across the login (compound.auth.relogin)."""
    kept = relogin.kept_form(request, place.path)
    if kept is None:
        return {}
    fields, at = kept
    out = {}
    for name, value in fields.items():
        if name.startswith("value_") and name[6:].isdigit() and value.strip():
            mid = name[6:]
            typed_at = fields.get(f"at_{mid}", "") if fields.get(f"was_{mid}") == value else ""
            out[int(mid)] = RowResult(
                status="restored",
                value=value,
                rollover=f"rollover_{mid}" in fields,
                offer_rollover=f"rollover_{mid}" in fields,
                at=typed_at or at,
            )
    return out


def _sheet_page(
    request: Request,
    session: Session,
    compound: Compound,
    place: Place,
    *,
    read_by: str = "",
    results: dict[int, RowResult] | None = None,
    error: FormProblem | None = None,
    status_code: int = 200,
) -> Response:
    rows = round_sheet(
        session, compound=compound, building_id=place.building_id, zone_id=place.zone_id, now=clock.now()
    )
    rows, filters = _zone_filters(request, session, compound, place, rows)
    unread = sum(1 for r in rows if not r.read_this_month)
    parts = _parts(rows)
    part = part_of(parts, _part_number(request))
    shown = rows[part.start : part.end] if part else rows
    writer = can(request.state.principal.view, Perm.readings_write.value)
    restored = _restored(request, place) if writer and results is None else {}
    results = results or restored
    if restored:
        read_by = read_by or (relogin.kept_form(request, place.path) or ({}, ""))[0].get("read_by", "")
    return render(
        request,
        "meters/round_sheet.html",
        {
            "compound": compound,
            "labels": LABELS,
            "fmt": fmt,
            "place": place,
            "rows": shown,
            "total": len(rows),
            "unread": unread,
            "filters": filters,
            "part": part if len(parts) > 1 else None,
            "parts": [(p, sum(1 for r in rows[p.start : p.end] if not r.read_this_month)) for p in parts],
            "filter_args": {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)},
            "action": _address(request, place, part.number if part and len(parts) > 1 else None),
            "previous": _address(request, place, part.number - 1) if part and part.number > 1 else "",
            "next": _address(request, place, part.number + 1) if part and part.number < len(parts) else "",
            "results": results,
            "restored": bool(restored),
            "read_by": read_by or _remembered_reader(request),
            "error": error,
            "writer": writer,
            "css_labels": _sheet_labels(),
            "script_labels": _script_labels(),
        },
        status_code=status_code,
    )


def _typed_at(form: FormData, mid: int, value: str, *, tz: Any, now: datetime) -> datetime:
    """When the value was typed: `at_<id>` if it was sent for this very value (`was_<id>`), else now.

    A phone's clock a little ahead of the server's must not make a reading "in the future": it is taken as now.
    """
    raw = str(form.get(f"at_{mid}") or "").strip()
    if not raw or str(form.get(f"was_{mid}") or "").strip() != value:
        return now
    return min(parse_datetime(raw, tz=tz, name="read_at"), now)


def _row_result(result: EntryResult, value: str, rollover: bool) -> RowResult:
    problems = result.problems
    if result.status == "refused" and _already_saved(problems):
        return RowResult(status="saved", messages=[_("Already saved.")])
    codes = {p.code for p in problems}
    return RowResult(
        status=result.status,
        value=value,
        messages=[p.message for p in problems] if result.status != "saved" else [],
        offer_rollover=rollover or bool(codes & ROLLOVER_CODES),
        rollover=rollover,
    )


def _already_saved(problems: list[Problem]) -> bool:
    """The same value again for a meter that has it: the row was saved before (by the script, or a resent form)."""
    return [p.code for p in problems] == [Code.duplicate] and problems[0].params.get("value") == problems[0].params.get(
        "last"
    )


def _reader_key(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    return f"read_by:{principal.user.id}" if principal is not None else "read_by"


def _remembered_reader(request: Request) -> str:
    """Who read the last sheet this user saved: "抄表人" need not be typed on every sheet."""
    return str(request.session.get(_reader_key(request), "")) if "session" in request.scope else ""


def _save(request: Request, session: Session, compound: Compound, place: Place, form: FormData) -> Response:
    relogin.forget_form(request, place.path)  # this post carries whatever was kept
    wants_json = "application/json" in request.headers.get("accept", "")
    now, tz = clock.now(), clock.tz_of(compound)
    ids = sheet_meter_ids(session, compound=compound, building_id=place.building_id, zone_id=place.zone_id)
    typed = {mid: str(form.get(f"value_{mid}") or "").strip() for mid in ids}
    typed = {mid: v for mid, v in typed.items() if v}
    try:
        read_by = optional(str(form.get("read_by") or ""), name="read_by", max_length=WHO_MAX)
        if read_by and "session" in request.scope:
            request.session[_reader_key(request)] = read_by
    except FormProblem as exc:  # nothing saved: every value back in its box, the reason beside the reader's name
        if wants_json:
            return JSONResponse({"saved": 0, "error": exc.message, "results": {}}, status_code=exc.status_code)
        kept = {mid: RowResult(status="kept", value=v) for mid, v in typed.items()}
        raw = str(form.get("read_by") or "")
        return _sheet_page(request, session, compound, place, read_by=raw, results=kept, error=exc, status_code=422)
    results: dict[int, RowResult] = {}
    entries = []
    for mid, value in typed.items():
        rollover = form.get(f"rollover_{mid}") is not None
        try:
            at = _typed_at(form, mid, value, tz=tz, now=now)
        except FormProblem as exc:
            results[mid] = RowResult(status="refused", value=value, messages=[exc.message], rollover=rollover)
            continue
        confirm = CONFIRMABLE if form.get(f"confirm_{mid}") is not None else frozenset()
        entries.append(SheetEntry(mid, value, at, rollover=rollover, confirm=confirm))
    saved = save_sheet(session, compound=compound, entries=entries, read_by=read_by, now=now)
    for entry in entries:
        results[entry.meter_id] = _row_result(saved[entry.meter_id], entry.value, entry.rollover)
    new = sum(1 for r in saved.values() if r.status == "saved")
    done = all(r.status == "saved" for r in results.values())  # saved now, or before (by the script)
    # Whatever was saved is committed (2xx); nothing saved is a refusal (422), which commits nothing.
    status_code = 200 if new or (done and results) else 422
    if wants_json:
        return JSONResponse(
            {"saved": new, "results": {str(mid): r.to_json() for mid, r in results.items()}}, status_code=status_code
        )
    if not typed:
        flash(request, _("Nothing was saved: no reading was typed."), "error")
        return RedirectResponse(_back(request, place), status_code=303)
    if done:
        flash(request, ngettext("%(num)s reading saved.", "%(num)s readings saved.", len(results)))
        return RedirectResponse(_after_save(request, session, compound, place), status_code=303)
    return _sheet_page(request, session, compound, place, read_by=read_by, results=results, status_code=status_code)


def _back(request: Request, place: Place) -> str:
    return _address(request, place, _part_number(request))


def _after_save(request: Request, session: Session, compound: Compound, place: Place) -> str:
    """The next part once every meter of this one is read this month; else this part again."""
    number = _part_number(request)
    if not number:
        return _back(request, place)
    rows = round_sheet(
        session, compound=compound, building_id=place.building_id, zone_id=place.zone_id, now=clock.now()
    )
    rows, _filters = _zone_filters(request, session, compound, place, rows)
    parts = _parts(rows)
    part = part_of(parts, number)
    if part is None or part.number >= len(parts) or not all(r.read_this_month for r in rows[part.start : part.end]):
        return _back(request, place)
    return _address(request, place, part.number + 1)


@router.get("/c/{compound_id}/rounds/building/{building_id}", name="round_sheet_building", dependencies=VIEW)
def building_sheet(request: Request, session: SessionDep, compound: CompoundDep, building_id: IdPath) -> Response:
    return _sheet_page(request, session, compound, sheet_place(session, compound=compound, building_id=building_id))


@router.post("/c/{compound_id}/rounds/building/{building_id}", dependencies=READ)
def save_building_sheet(
    request: Request, session: SessionDep, compound: CompoundDep, building_id: IdPath, form: FormDep
) -> Response:
    place = sheet_place(session, compound=compound, building_id=building_id)
    return _save(request, session, compound, place, form)


@router.get("/c/{compound_id}/rounds/zone/{zone_id}", name="round_sheet_zone", dependencies=VIEW)
def zone_sheet(request: Request, session: SessionDep, compound: CompoundDep, zone_id: IdPath) -> Response:
    return _sheet_page(request, session, compound, sheet_place(session, compound=compound, zone_id=zone_id))


@router.post("/c/{compound_id}/rounds/zone/{zone_id}", dependencies=READ)
def save_zone_sheet(
    request: Request, session: SessionDep, compound: CompoundDep, zone_id: IdPath, form: FormDep
) -> Response:
    return _save(request, session, compound, sheet_place(session, compound=compound, zone_id=zone_id), form)
