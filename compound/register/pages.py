"""Register pages: the compounds, a compound's home, its zones, buildings and accounts — listed for everyone,
and added or changed by administrators through plain HTML forms (no JavaScript needed).

The forms are built with the kit's form kit (compound/kit/forms.py).
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.routing import NoMatchFound

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit.forms import (
    FormDep,
    FormField,
    FormPage,
    choices,
    here,
    parse_changes,
    parse_new,
    path,
    read_values,
    row_values,
    show_form,
    submit,
)
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.pagination import page_links, page_number, paged
from compound.kit.params import MAX_ID
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render
from compound.register import service
from compound.register.deps import AccountDep, BuildingDep, CompoundDep, MayAddCompound, ZoneDep
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

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.register_view)]
EDIT = [Require(Perm.register_edit)]

LABELS: dict[str, str] = {
    "office": N_("office"),
    "conference": N_("conference"),
    "living": N_("living"),
    "public": N_("public"),
    "household": N_("household"),
    "payer": N_("payer"),
    "self": N_("self-paid"),
    "finance_bureau": N_("the finance bureau"),
}
ACCOUNT_KINDS = {"household": AccountKind.household, "office": AccountKind.office}


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


PAGE_SIZE = 30  # about five screens of cards on a phone


def _row_id(text: str) -> int | None:
    """A filter's id from the address; anything else is no filter."""
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


@router.get("/c/{compound_id}/accounts", name="accounts", dependencies=VIEW)
def accounts(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    kind: str = "",
    building_id: str = "",
    q: str = "",
    page: str = "",
) -> Response:
    chosen = ACCOUNT_KINDS.get(kind)
    q, number = q.strip()[:64], page_number(page)
    query = service.accounts_query(compound=compound, kind=chosen, building_id=_row_id(building_id), q=q or None)
    window = paged(session, query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    buildings = service.list_buildings(session, compound=compound)
    params = {"kind": chosen.value if chosen else "", "building_id": building_id, "q": q}
    return render(
        request,
        "register/accounts.html",
        _context(
            compound,
            accounts=window.rows,
            kind=params["kind"],
            building_names={b.id: b.name for b in buildings},
            filters=[
                ("building_id", _("Building"), [(str(b.id), b.name) for b in buildings], building_id),
                ("q", _("Code, name, flat or phone"), None, q),
            ],
            keep={"kind": params["kind"]} if chosen else {},
            pager=page_links(request.url.path, params, window, page=number),
            filtered=bool(building_id or q),
        ),
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


@router.get("/compounds/new", name="compound_new", dependencies=[*EDIT, MayAddCompound])
def new_compound(request: Request) -> Response:
    return show_form(request, _compound_form(request), None)


@router.post("/compounds/new", dependencies=[*EDIT, MayAddCompound])
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
