"""Register pages: the compounds, a compound's home, its zones, buildings and accounts — listed for everyone,
and added or changed by administrators through plain HTML forms (no JavaScript needed).

Every form is a list of fields shown by one template (register/form.html). A post is parsed into the
service's own pydantic schema and handed to the service; success is a 303 and a flash message
(Post/Redirect/Get), a refusal — by the schema or the service — the same form again, the values kept and
the reason beside the field it names (422). The form kit is shared with meters/register_pages.py.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.routing import NoMatchFound

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.db import UnitOfWorkRoute
from compound.deps import CompoundDep, SessionDep
from compound.errors import AppError, InvalidInput
from compound.i18n import N_
from compound.i18n import gettext as _
from compound.register import service
from compound.register.api import AccountDep, BuildingDep, ZoneDep
from compound.register.models import Account, AccountKind, Compound, Payer, ZoneKind
from compound.register.schemas import (
    AccountCreate,
    AccountUpdate,
    BuildingCreate,
    BuildingUpdate,
    CompoundCreate,
    ZoneCreate,
    ZoneUpdate,
)
from compound.web import flash, render

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.register_view)]
EDIT = [Require(Perm.register_edit)]

LABELS: dict[str, str] = {
    "office": N_("office"),
    "conference": N_("conference"),
    "living": N_("living"),
    "public": N_("public"),
    "household": N_("household"),
    "self": N_("self-paid"),
    "finance_bureau": N_("the finance bureau"),
}
ACCOUNT_KINDS = {"household": AccountKind.household, "office": AccountKind.office}


# The form kit


@dataclass
class FormField:
    """One input of a form. kind: text | tel | number | decimal | date | select | checkbox."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""
    maxlength: int | None = None
    empty: str | None = None  # what an empty input means on an edit: None clears it, "" for a text never null


@dataclass
class FormPage:
    """A form as shown: its fields, the values in them and, after a refused post, the reason."""

    title: str
    fields: list[FormField]
    action: str
    back: str
    back_label: str
    submit: str
    values: dict[str, str] = field(default_factory=dict)
    error: AppError | None = None
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields}


class FormProblem(InvalidInput):
    """A form value that cannot be read as what the field needs (nothing was written)."""


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


def choices(values: Iterable[StrEnum], labels: dict[str, str]) -> list[tuple[str, str]]:
    """Select options for an enum, in the reader's language."""
    return [(v.value, _(labels.get(v.value, v.value))) for v in values]


def as_text(value: object) -> str:
    """A stored value as an input shows it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def row_values(row: object, fields: list[FormField]) -> dict[str, str]:
    return {f.name: as_text(getattr(row, f.name, None)) for f in fields}


def read_values(form: FormData, fields: list[FormField]) -> dict[str, str]:
    """What the form sent for each field, trimmed; a checkbox is 'on' or ''."""
    values = {}
    for f in fields:
        raw = form.get(f.name)
        if f.kind == "checkbox":
            values[f.name] = "on" if raw is not None else ""
        else:
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
    return values


def _check_required(page: FormPage) -> None:
    for f in page.fields:
        if f.required and f.kind != "checkbox" and not page.values.get(f.name):
            raise FormProblem(_("This field is required."), field=f.name)


def _sent(f: FormField, text: str) -> object:
    return text == "on" if f.kind == "checkbox" else text


def parse_new(schema: type[BaseModel], page: FormPage, **fixed: object) -> Any:
    """A create schema from the form: empty fields are left out, so the schema's defaults apply."""
    _check_required(page)
    data = {f.name: _sent(f, page.values[f.name]) for f in page.fields if page.values[f.name] or f.kind == "checkbox"}
    return validate(schema, data | fixed)


def parse_changes(schema: type[BaseModel], page: FormPage, row: object) -> Any:
    """An update schema holding only what the form changed: an empty field clears an optional value, and
    an untouched one is not sent, so the service checks only what really changes."""
    _check_required(page)
    data = {
        f.name: _sent(f, page.values[f.name]) if f.kind == "checkbox" else page.values[f.name] or f.empty
        for f in page.fields
    }
    parsed = validate(schema, data)
    changed = {k: v for k, v in parsed.model_dump().items() if k in data and v != getattr(row, k, None)}
    return schema.model_validate(changed)


def validate(schema: type[BaseModel], data: dict[str, object]) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise problem_of(exc) from None


def problem_of(exc: ValidationError) -> FormProblem:
    """The first thing pydantic refused, in words a clerk understands, naming its field."""
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    name = str(loc[0]) if loc else ""
    text, ctx, kind = str(err.get("input", "")), err.get("ctx") or {}, err.get("type", "")
    if kind in ("missing", "string_too_short"):
        message = _("This field is required.")
    elif kind in ("int_parsing", "int_from_float", "int_type"):
        message = _("“%(text)s” is not a whole number.", text=text)
    elif kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        message = _("“%(text)s” is not a number.", text=text)
    elif kind.startswith("date"):
        message = _("“%(text)s” is not a date (YYYY-MM-DD).", text=text)
    elif kind == "string_too_long":
        message = _("Too long: at most %(max)s characters.", max=ctx.get("max_length", ""))
    elif kind == "greater_than":
        message = _("Must be more than %(limit)s.", limit=ctx.get("gt", ""))
    elif kind == "greater_than_equal":
        message = _("Must be at least %(limit)s.", limit=ctx.get("ge", ""))
    elif kind in ("less_than", "less_than_equal"):
        message = _("Must be at most %(limit)s.", limit=ctx.get("le", ctx.get("lt", "")))
    elif kind in ("decimal_max_places", "decimal_max_digits", "decimal_whole_digits"):
        message = _("“%(text)s” has too many digits.", text=text)
    elif kind in ("enum", "literal_error"):
        message = _("Choose one of the options.")
    elif kind == "string_pattern_mismatch":
        message = _("Use letters, digits and . _ - / only, beginning with a letter or a digit.")
    elif kind == "value_error" and "error" in ctx:
        message = str(ctx["error"])
    else:
        message = str(err.get("msg", ""))
    return FormProblem(message, field=name)


def show_form(request: Request, page: FormPage, compound: Compound | None, *, status_code: int = 200) -> Response:
    return render(request, "register/form.html", {"form": page, "compound": compound}, status_code=status_code)


def submit(
    request: Request,
    session: Session,
    page: FormPage,
    compound: Compound | None,
    save: Callable[[], tuple[str, str]],
) -> Response:
    """Run `save` (which returns the flash message and where to go); a refusal shows the form again.

    The refusal's 422 rolls the request back (UnitOfWorkRoute); the savepoint undoes at once what `save`
    flushed before it gave up, so the form is drawn from the register as it is.
    """
    try:
        with session.begin_nested():
            message, target = save()
    except AppError as exc:
        page.error = exc
        return show_form(request, page, compound, status_code=422)
    flash(request, message)
    return RedirectResponse(target, status_code=303)


def path(request: Request, name: str, **params: object) -> str:
    return str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))


def here(request: Request) -> str:
    """The page's own address: a form posts back to it."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


# The lists


def _import_path(request: Request, compound: Compound) -> str | None:
    """The readings-import page, if the app has one (it lives in another package, as route "readings_import")."""
    # By name, not by walking app.routes: FastAPI keeps included routers' routes out of that list.
    try:
        return str(request.app.url_path_for("readings_import", compound_id=compound.id))
    except NoMatchFound:
        return None


def _context(compound: Compound, **more: object) -> dict[str, object]:
    return {"compound": compound, "labels": LABELS, **more}


@router.get("/", name="home", dependencies=VIEW)
def compounds(request: Request, session: SessionDep) -> Response:
    # The compounds this user may see (the permission check has put the user on the request).
    ids = request.state.principal.compound_ids
    return render(request, "register/index.html", {"compounds": service.list_compounds(session, ids=ids)})


@router.get("/c/{compound_id}/", name="compound_home", dependencies=VIEW)
def compound_home(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    zones = service.list_zones(session, compound=compound)
    buildings = service.list_buildings(session, compound=compound)
    by_zone: dict[int, list] = {}
    for b in buildings:
        by_zone.setdefault(b.zone_id, []).append(b)
    return render(
        request,
        "register/home.html",
        _context(compound, zones=zones, by_zone=by_zone, import_path=_import_path(request, compound)),
    )


@router.get("/c/{compound_id}/zones", name="zones", dependencies=VIEW)
def zones(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return render(
        request, "register/zones.html", _context(compound, zones=service.list_zones(session, compound=compound))
    )


@router.get("/c/{compound_id}/buildings", name="buildings", dependencies=VIEW)
def buildings(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    zone_names = {z.id: z.name for z in service.list_zones(session, compound=compound)}
    return render(
        request,
        "register/buildings.html",
        _context(compound, buildings=service.list_buildings(session, compound=compound), zone_names=zone_names),
    )


@router.get("/c/{compound_id}/accounts", name="accounts", dependencies=VIEW)
def accounts(request: Request, session: SessionDep, compound: CompoundDep, kind: str = "") -> Response:
    chosen = ACCOUNT_KINDS.get(kind)
    rows = service.list_accounts(session, compound=compound, kind=chosen, limit=service.MAX_PAGE)
    flats = {b.id: b.name for b in service.list_buildings(session, compound=compound)}
    return render(
        request,
        "register/accounts.html",
        _context(compound, accounts=rows, kind=chosen.value if chosen else "", building_names=flats),
    )


# Compounds


def _compound_form(request: Request) -> FormPage:
    return FormPage(
        title=_("New compound"),
        fields=[
            FormField("code", _("Code"), required=True, maxlength=32, hint=_("Letters and digits, e.g. XC-01.")),
            FormField("name", _("Name"), required=True, maxlength=200),
            FormField("timezone", _("Timezone"), required=True, maxlength=64),
            FormField("spike_factor", _("Spike factor"), kind="decimal", required=True, hint=_spike_hint()),
        ],
        action=here(request),
        back="/",
        back_label=_("Compounds"),
        submit=_("Create the compound"),
        values={"timezone": "Asia/Shanghai", "spike_factor": "3"},
    )


def _spike_hint() -> str:
    return _("A reading this many times above the meter's recent average needs confirmation.")


@router.get("/compounds/new", name="compound_new", dependencies=EDIT)
def new_compound(request: Request) -> Response:
    return show_form(request, _compound_form(request), None)


@router.post("/compounds/new", dependencies=EDIT)
def create_compound(request: Request, session: SessionDep, principal: PrincipalDep, form: FormDep) -> Response:
    page = _compound_form(request)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_new(CompoundCreate, page)
        made = service.create_compound(session, data=data, grant_to=principal.user.id)
        return _("Compound %(name)s created.", name=made.name), path(request, "compound_home", compound_id=made.id)

    return submit(request, session, page, None, save)


# Zones


def _zone_form(request: Request, compound: Compound, *, title: str, submit_label: str) -> FormPage:
    return FormPage(
        title=title,
        fields=[
            FormField("name", _("Name"), required=True, maxlength=100),
            FormField("kind", _("Kind"), kind="select", required=True, options=choices(ZoneKind, LABELS)),
        ],
        action=here(request),
        back=path(request, "zones", compound_id=compound.id),
        back_label=_("Zones"),
        submit=submit_label,
    )


@router.get("/c/{compound_id}/zones/new", name="zone_new", dependencies=EDIT)
def new_zone(request: Request, compound: CompoundDep) -> Response:
    page = _zone_form(request, compound, title=_("New zone"), submit_label=_("Add the zone"))
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/zones/new", dependencies=EDIT)
def create_zone(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    page = _zone_form(request, compound, title=_("New zone"), submit_label=_("Add the zone"))
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        zone = service.create_zone(session, compound=compound, data=parse_new(ZoneCreate, page))
        return _("Zone %(name)s added.", name=zone.name), page.back

    return submit(request, session, page, compound, save)


def _zone_edit_form(request: Request, compound: Compound, zone_name: str) -> FormPage:
    return _zone_form(request, compound, title=_("Zone %(name)s", name=zone_name), submit_label=_("Save"))


@router.get("/c/{compound_id}/zones/{zone_id}/edit", name="zone_edit", dependencies=EDIT)
def edit_zone(request: Request, compound: CompoundDep, zone: ZoneDep) -> Response:
    page = _zone_edit_form(request, compound, zone.name)
    page.values = row_values(zone, page.fields)
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/zones/{zone_id}/edit", dependencies=EDIT)
def update_zone(request: Request, session: SessionDep, compound: CompoundDep, zone: ZoneDep, form: FormDep) -> Response:
    page = _zone_edit_form(request, compound, zone.name)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        service.update_zone(session, compound=compound, zone=zone, data=parse_changes(ZoneUpdate, page, zone))
        return _("Zone %(name)s saved.", name=zone.name), page.back

    return submit(request, session, page, compound, save)


# Buildings


def _building_form(
    request: Request, session: Session, compound: Compound, *, title: str, submit_label: str
) -> FormPage:
    zone_options = [(str(z.id), z.name) for z in service.list_zones(session, compound=compound)]
    return FormPage(
        title=title,
        fields=[
            FormField("name", _("Name"), required=True, maxlength=100),
            FormField("zone_id", _("Zone"), kind="select", required=True, options=zone_options),
        ],
        action=here(request),
        back=path(request, "buildings", compound_id=compound.id),
        back_label=_("Buildings"),
        submit=submit_label,
    )


@router.get("/c/{compound_id}/buildings/new", name="building_new", dependencies=EDIT)
def new_building(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    page = _building_form(request, session, compound, title=_("New building"), submit_label=_("Add the building"))
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/buildings/new", dependencies=EDIT)
def create_building(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    page = _building_form(request, session, compound, title=_("New building"), submit_label=_("Add the building"))
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        building = service.create_building(session, compound=compound, data=parse_new(BuildingCreate, page))
        return _("Building %(name)s added.", name=building.name), page.back

    return submit(request, session, page, compound, save)


def _building_edit_form(request: Request, session: Session, compound: Compound, name: str) -> FormPage:
    return _building_form(request, session, compound, title=_("Building %(name)s", name=name), submit_label=_("Save"))


@router.get("/c/{compound_id}/buildings/{building_id}/edit", name="building_edit", dependencies=EDIT)
def edit_building(request: Request, session: SessionDep, compound: CompoundDep, building: BuildingDep) -> Response:
    page = _building_edit_form(request, session, compound, building.name)
    page.values = row_values(building, page.fields)
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/buildings/{building_id}/edit", dependencies=EDIT)
def update_building(
    request: Request, session: SessionDep, compound: CompoundDep, building: BuildingDep, form: FormDep
) -> Response:
    page = _building_edit_form(request, session, compound, building.name)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_changes(BuildingUpdate, page, building)
        service.update_building(session, compound=compound, building=building, data=data)
        return _("Building %(name)s saved.", name=building.name), page.back

    return submit(request, session, page, compound, save)


# Accounts: office units and households


def _account_fields(session: Session, compound: Compound, kind: AccountKind) -> list[FormField]:
    buildings = [(str(b.id), b.name) for b in service.list_buildings(session, compound=compound)]
    code = FormField("code", _("Code"), required=True, maxlength=32)
    building = FormField("building_id", _("Building"), kind="select", options=buildings)
    moves = [
        FormField("move_in_date", _("Moved in"), kind="date"),
        FormField("move_out_date", _("Moved out"), kind="date", hint=_("Set this date when the account moves out.")),
    ]
    if kind is AccountKind.office:
        return [
            code,
            FormField("name", _("Department"), required=True, maxlength=200),
            FormField("payer", _("Paid by"), kind="select", required=True, options=choices(Payer, LABELS)),
            building,
            *moves,
        ]
    return [
        code,
        FormField("name", _("Head of household"), required=True, maxlength=200),
        FormField("phone", _("Phone"), kind="tel", maxlength=32),
        building,
        FormField("flat", _("Flat"), maxlength=32),
        *moves,
    ]


def _account_form(
    request: Request, session: Session, compound: Compound, kind: AccountKind, *, title: str, submit_label: str
) -> FormPage:
    office = kind is AccountKind.office
    return FormPage(
        title=title,
        fields=_account_fields(session, compound, kind),
        action=here(request),
        back=path(request, "accounts", compound_id=compound.id) + f"?kind={kind.value}",
        back_label=_("Office units") if office else _("Households"),
        submit=submit_label,
    )


def _new_account_form(request: Request, session: Session, compound: Compound, kind: str) -> FormPage:
    chosen = ACCOUNT_KINDS.get(kind, AccountKind.household)
    office = chosen is AccountKind.office
    page = _account_form(
        request,
        session,
        compound,
        chosen,
        title=_("New office unit") if office else _("New household"),
        submit_label=_("Add the office unit") if office else _("Add the household"),
    )
    if office:
        page.values = {"payer": Payer.self.value}
    return page


@router.get("/c/{compound_id}/accounts/new", name="account_new", dependencies=EDIT)
def new_account(request: Request, session: SessionDep, compound: CompoundDep, kind: str = "household") -> Response:
    return show_form(request, _new_account_form(request, session, compound, kind), compound)


@router.post("/c/{compound_id}/accounts/new", dependencies=EDIT)
def create_account(
    request: Request, session: SessionDep, compound: CompoundDep, form: FormDep, kind: str = "household"
) -> Response:
    page = _new_account_form(request, session, compound, kind)
    page.values = read_values(form, page.fields)
    chosen = ACCOUNT_KINDS.get(kind, AccountKind.household)

    def save() -> tuple[str, str]:
        data = parse_new(AccountCreate, page, kind=chosen)
        account = service.create_account(session, compound=compound, data=data)
        return _account_saved(account), page.back

    return submit(request, session, page, compound, save)


def _account_saved(account: Account) -> str:
    if account.kind == AccountKind.office:
        return _("Office unit %(code)s (%(name)s) saved.", code=account.code, name=account.name)
    return _("Household %(code)s (%(name)s) saved.", code=account.code, name=account.name)


def _account_edit_form(request: Request, session: Session, compound: Compound, account: Account) -> FormPage:
    kind = AccountKind(account.kind)
    title = _("Office unit %(code)s", code=account.code)
    if kind is AccountKind.household:
        title = _("Household %(code)s", code=account.code)
    return _account_form(request, session, compound, kind, title=title, submit_label=_("Save"))


@router.get("/c/{compound_id}/accounts/{account_id}/edit", name="account_edit", dependencies=EDIT)
def edit_account(request: Request, session: SessionDep, compound: CompoundDep, account: AccountDep) -> Response:
    page = _account_edit_form(request, session, compound, account)
    page.values = row_values(account, page.fields)
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/accounts/{account_id}/edit", dependencies=EDIT)
def update_account(
    request: Request, session: SessionDep, compound: CompoundDep, account: AccountDep, form: FormDep
) -> Response:
    page = _account_edit_form(request, session, compound, account)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_changes(AccountUpdate, page, account)
        service.update_account(session, compound=compound, account=account, data=data)
        return _account_saved(account), page.back

    return submit(request, session, page, compound, save)
