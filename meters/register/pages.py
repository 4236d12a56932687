"""Register pages of the meter tree: lists of meters, transformers and unmetered uses, and the forms that add
and change them. The rules of the tree (a parent of the same utility, no loops, a billing meter's account,
a rule's figures) are the services'; a refusal comes back on the form beside the field it names.

The forms use the kit's form kit and template (compound/kit/forms.py, form.html).
"""

from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit.forms import (
    FormDep,
    FormField,
    FormPage,
    FormProblem,
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
from compound.kit.i18n import N_, ngettext
from compound.kit.i18n import gettext as _
from compound.kit.pagination import page_links, page_number, paged
from compound.kit.params import MAX_ID
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render
from compound.register import service as register
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from meters.deps import MeterDep, TransformerDep, UnmeteredDep
from meters.labels import LABELS, label
from meters.models import (
    EstimateRule,
    Meter,
    MeterRole,
    MeterStatus,
    Transformer,
    UnmeteredCategory,
    UnmeteredUse,
    Utility,
)
from meters.register import service, transformers, unmetered_uses
from meters.register.schemas import (
    MeterCreate,
    MeterUpdate,
    TransformerCreate,
    TransformerUpdate,
    UnmeteredCreate,
    UnmeteredUpdate,
)
from meters.register.unmetered_estimate import RULE_FIELDS

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.register_view)]
EDIT = [Require(Perm.meters_edit)]

CATEGORY_LABELS: dict[str, str] = {
    "landscaping": N_("landscaping"),
    "public_toilet": N_("public toilet"),
    "courtyard_lamps": N_("courtyard lamps"),
    "street_lights": N_("street lights"),
    "office_use": N_("office use"),
    "other": N_("other"),
}


def _utility(text: str) -> Utility:
    """The utility a 'new' page is for (water unless electricity is asked for)."""
    return Utility.electricity if text == Utility.electricity.value else Utility.water


def _meter_path(compound: Compound, meter_id: int) -> str:
    return f"/c/{compound.id}/meters/{meter_id}"


def _meter_option(m: Meter) -> tuple[str, str]:
    text = f"{m.serial} · {label(m.role)}" + (f" · {m.location}" if m.location else "")
    return str(m.id), text


def _upstream_options(
    session: Session, compound: Compound, utility: Utility, *, roles: tuple[MeterRole, ...], keep: int | None = None
) -> list[tuple[str, str]]:
    """Meters of the utility others may hang under (in service, of these roles); `keep` is always offered."""
    found: list[Meter] = []
    for role in roles:
        found += service.list_meters(session, compound=compound, utility=utility, role=role, limit=register.MAX_PAGE)
    ids = {m.id for m in found}
    if keep is not None and keep not in ids and (kept := service.get_meter(session, compound=compound, meter_id=keep)):
        found.append(kept)
    return [
        _meter_option(m)
        for m in sorted(found, key=lambda m: m.serial)
        if m.status == MeterStatus.active or m.id == keep
    ]


def _account_label(code: str, name: str) -> str:
    return f"{code} · {name}"


def _place_options(session: Session, compound: Compound) -> tuple[list, list, list]:
    accounts = register.list_accounts(session, compound=compound, limit=register.MAX_PAGE)
    return (
        [(str(a.id), _account_label(a.code, a.name)) for a in accounts],
        [(str(b.id), b.name) for b in register.list_buildings(session, compound=compound)],
        [(str(z.id), z.name) for z in register.list_zones(session, compound=compound)],
    )


# Meters


def _meter_fields(session: Session, compound: Compound, utility: Utility, meter: Meter | None) -> list[FormField]:
    accounts, buildings, zones = _place_options(session, compound)
    parents = _upstream_options(
        session, compound, utility, roles=(MeterRole.utility, MeterRole.check), keep=meter.parent_id if meter else None
    )
    if meter is not None:
        parents = [p for p in parents if p[0] != str(meter.id)]
    fields = [
        FormField("serial", _("Serial"), required=True, maxlength=64),
        FormField("location", _("Location"), maxlength=200, empty=""),
        FormField("role", _("Role"), kind="select", required=True, options=choices(MeterRole, LABELS)),
        FormField(
            "account_id",
            _("Account"),
            kind="search",
            options=accounts,
            hint=_("Billing meters only: type the account's code or name and pick it."),
        ),
        FormField("parent_id", _("Parent meter"), kind="select", options=parents),
    ]
    if utility is Utility.electricity:
        options = [(str(t.id), t.name) for t in transformers.list_transformers(session, compound=compound)]
        fields.append(
            FormField(
                "transformer_id",
                _("Transformer"),
                kind="select",
                options=options,
                hint=_("Instead of a parent meter: the transformer whose low-voltage side feeds it."),
            )
        )
    fields += [
        FormField("building_id", _("Building"), kind="select", options=buildings),
        FormField("zone_id", _("Zone"), kind="select", options=zones, hint=_("Empty: the building's zone.")),
        FormField("multiplier", _("Multiplier"), kind="number", required=True, hint=_("40 for a 200/5 CT.")),
        FormField("dials", _("Dials"), kind="number", required=True),
        FormField("walk_order", _("Walk order"), kind="number", required=True),
        FormField("installed_date", _("Installed"), kind="date"),
    ]
    if utility is Utility.electricity:
        fields.append(FormField("hv_side", _("Utility meter on the high-voltage side"), kind="checkbox"))
    if meter is not None:
        fields += [
            FormField("status", _("Status"), kind="select", required=True, options=choices(MeterStatus, LABELS)),
            FormField("removed_date", _("Removed"), kind="date", hint=_("Empty: today, when the status is removed.")),
        ]
        if (count := service.readings_count(session, meter=meter)) > 0:
            fields.append(_confirm_multiplier_field(meter, count))
    return fields


def _confirm_multiplier_field(meter: Meter, count: int) -> FormField:
    return FormField(
        "confirm_multiplier_change",
        _("I am changing the multiplier of a meter that has readings"),
        kind="checkbox",
        hint=ngettext(
            "This meter has %(num)s reading taken with multiplier %(old)s.",
            "This meter has %(num)s readings taken with multiplier %(old)s.",
            count,
            old=meter.multiplier,
        )
        + " "
        + _(
            "A new multiplier changes what its history means: use it to correct a register mistake (if the current "
            "transformer was changed, record a replacement instead). The change is written to the audit trail."
        ),
    )


def _with_account_id(session: Session, compound: Compound, page: FormPage) -> FormPage:
    """The form with the account typed or picked ("H-1-101 · 张三", or just the code) as its id, for the schema."""
    text = page.values.get("account_id", "")
    if not text:
        return page
    code = text.split(" · ", 1)[0].strip()
    account = register.find_account(session, compound=compound, code=code)
    if account is None:
        raise FormProblem(_("There is no account with code %(code)s.", code=code[:40]), field="account_id")
    return replace(page, values={**page.values, "account_id": str(account.id)})


def _meters_back(request: Request, compound: Compound) -> str:
    return path(request, "register_meters", compound_id=compound.id)


def _new_meter_form(request: Request, session: Session, compound: Compound, utility: Utility) -> FormPage:
    water = utility is Utility.water
    other = Utility.electricity if water else Utility.water
    new_path = path(request, "register_meter_new", compound_id=compound.id)
    return FormPage(
        title=_("New water meter") if water else _("New electricity meter"),
        fields=_meter_fields(session, compound, utility, None),
        action=here(request),
        back=_meters_back(request, compound),
        back_label=_("Meters"),
        submit=_("Add the meter"),
        values={"role": MeterRole.billing.value, "multiplier": "1", "dials": "6", "walk_order": "0"},
        links=[
            (
                f"{new_path}?utility={other.value}",
                _("An electricity meter instead") if water else _("A water meter instead"),
            )
        ],
    )


PAGE_SIZE = 30  # about five screens of cards on a phone


def _row_id(text: str) -> int | None:
    """A filter's id from the address; anything else is no filter."""
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


@router.get("/c/{compound_id}/register/meters", name="register_meters", dependencies=VIEW)
def meters_list(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    utility: str = "",
    building_id: str = "",
    zone_id: str = "",
    q: str = "",
    page: str = "",
) -> Response:
    chosen = Utility(utility) if utility in Utility.__members__ else None
    q = q.strip()[:64]
    number = page_number(page)
    query = service.meters_query(
        compound=compound, utility=chosen, building_id=_row_id(building_id), zone_id=_row_id(zone_id), q=q or None
    )
    window = paged(session, query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    meters = window.rows
    buildings = register.list_buildings(session, compound=compound)
    zones = register.list_zones(session, compound=compound)
    params = {"utility": chosen.value if chosen else "", "building_id": building_id, "zone_id": zone_id, "q": q}
    return render(
        request,
        "meters/register_meters.html",
        {
            "compound": compound,
            "labels": LABELS,
            "meters": meters,
            "utility": chosen.value if chosen else "",
            "serials": service.serials_of(session, compound=compound, ids={m.parent_id for m in meters}),
            "transformer_names": {t.id: t.name for t in transformers.list_transformers(session, compound=compound)},
            "building_names": {b.id: b.name for b in buildings},
            "filters": [
                ("utility", _("Utility"), choices(Utility, LABELS), params["utility"]),
                ("building_id", _("Building"), [(str(b.id), b.name) for b in buildings], building_id),
                ("zone_id", _("Zone"), [(str(z.id), z.name) for z in zones], zone_id),
                ("q", _("Serial or location"), None, q),
            ],
            "pager": page_links(request.url.path, params, window, page=number),
            "filtered": any(params.values()),
        },
    )


@router.get("/c/{compound_id}/register/meters/new", name="register_meter_new", dependencies=EDIT)
def new_meter(request: Request, session: SessionDep, compound: CompoundDep, utility: str = "water") -> Response:
    return show_form(request, _new_meter_form(request, session, compound, _utility(utility)), compound)


@router.post("/c/{compound_id}/register/meters/new", dependencies=EDIT)
def create_meter(
    request: Request, session: SessionDep, compound: CompoundDep, form: FormDep, utility: str = "water"
) -> Response:
    chosen = _utility(utility)
    page = _new_meter_form(request, session, compound, chosen)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_new(MeterCreate, _with_account_id(session, compound, page), utility=chosen)
        meter = service.create_meter(session, compound=compound, data=data)
        return _("Meter %(serial)s added.", serial=meter.serial), _meter_path(compound, meter.id)

    return submit(request, session, page, compound, save)


def _meter_edit_form(request: Request, session: Session, compound: Compound, meter: Meter) -> FormPage:
    return FormPage(
        title=_("Meter %(serial)s", serial=meter.serial),
        fields=_meter_fields(session, compound, Utility(meter.utility), meter),
        action=here(request),
        back=_meters_back(request, compound),
        back_label=_("Meters"),
        submit=_("Save"),
        links=[(_meter_path(compound, meter.id), _("The meter's page"))],
    )


@router.get("/c/{compound_id}/register/meters/{meter_id}/edit", name="register_meter_edit", dependencies=EDIT)
def edit_meter(request: Request, session: SessionDep, compound: CompoundDep, meter: MeterDep) -> Response:
    page = _meter_edit_form(request, session, compound, meter)
    page.values = row_values(meter, page.fields)
    if meter.account_id is not None and (
        account := register.get_account_or_none(session, compound=compound, account_id=meter.account_id)
    ):
        page.values["account_id"] = _account_label(account.code, account.name)
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/register/meters/{meter_id}/edit", dependencies=EDIT)
def update_meter(
    request: Request, session: SessionDep, compound: CompoundDep, meter: MeterDep, form: FormDep
) -> Response:
    page = _meter_edit_form(request, session, compound, meter)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_changes(MeterUpdate, _with_account_id(session, compound, page), meter)
        service.update_meter(session, compound=compound, meter=meter, data=data)
        return _("Meter %(serial)s saved.", serial=meter.serial), _meter_path(compound, meter.id)

    return submit(request, session, page, compound, save)


# Transformers


def _transformer_form(
    request: Request, session: Session, compound: Compound, *, title: str, submit_label: str, keep: int | None
) -> FormPage:
    feeders = _upstream_options(session, compound, Utility.electricity, roles=(MeterRole.utility,), keep=keep)
    return FormPage(
        title=title,
        fields=[
            FormField("name", _("Name"), required=True, maxlength=100),
            FormField("rated_kva", _("Rated power (kVA)"), kind="decimal", required=True),
            FormField("no_load_loss_w", _("No-load loss (W)"), kind="decimal", required=True),
            FormField("copper_loss_w", _("Full-load copper loss (W)"), kind="decimal", required=True),
            FormField(
                "parent_meter_id",
                _("Fed by"),
                kind="select",
                required=True,
                options=feeders,
                hint=_("The electricity utility meter on its high-voltage side."),
            ),
        ],
        action=here(request),
        back=path(request, "register_transformers", compound_id=compound.id),
        back_label=_("Transformers"),
        submit=submit_label,
    )


@router.get("/c/{compound_id}/register/transformers", name="register_transformers", dependencies=VIEW)
def transformers_list(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    feeders = service.list_meters(
        session, compound=compound, utility=Utility.electricity, role=MeterRole.utility, limit=register.MAX_PAGE
    )
    return render(
        request,
        "meters/register_transformers.html",
        {
            "compound": compound,
            "transformers": transformers.list_transformers(session, compound=compound),
            "serials": {m.id: m.serial for m in feeders},
        },
    )


@router.get("/c/{compound_id}/register/transformers/new", name="register_transformer_new", dependencies=EDIT)
def new_transformer(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    page = _transformer_form(
        request, session, compound, title=_("New transformer"), submit_label=_("Add the transformer"), keep=None
    )
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/register/transformers/new", dependencies=EDIT)
def create_transformer(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    page = _transformer_form(
        request, session, compound, title=_("New transformer"), submit_label=_("Add the transformer"), keep=None
    )
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_new(TransformerCreate, page)
        made = transformers.create_transformer(session, compound=compound, data=data)
        return _("Transformer %(name)s saved.", name=made.name), page.back

    return submit(request, session, page, compound, save)


def _transformer_edit_form(request: Request, session: Session, compound: Compound, row: Transformer) -> FormPage:
    return _transformer_form(
        request,
        session,
        compound,
        title=_("Transformer %(name)s", name=row.name),
        submit_label=_("Save"),
        keep=row.parent_meter_id,
    )


@router.get(
    "/c/{compound_id}/register/transformers/{transformer_id}/edit",
    name="register_transformer_edit",
    dependencies=EDIT,
)
def edit_transformer(
    request: Request, session: SessionDep, compound: CompoundDep, transformer: TransformerDep
) -> Response:
    page = _transformer_edit_form(request, session, compound, transformer)
    page.values = row_values(transformer, page.fields)
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/register/transformers/{transformer_id}/edit", dependencies=EDIT)
def update_transformer(
    request: Request, session: SessionDep, compound: CompoundDep, transformer: TransformerDep, form: FormDep
) -> Response:
    page = _transformer_edit_form(request, session, compound, transformer)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_changes(TransformerUpdate, page, transformer)
        transformers.update_transformer(session, compound=compound, transformer=transformer, data=data)
        return _("Transformer %(name)s saved.", name=transformer.name), page.back

    return submit(request, session, page, compound, save)


# Unmetered uses


def _rule_of(name: str) -> EstimateRule:
    return next(rule for rule, names in RULE_FIELDS.items() if name in names)


def _unmetered_fields(session: Session, compound: Compound, utility: Utility, *, keep: int | None) -> list[FormField]:
    parents = _upstream_options(session, compound, utility, roles=(MeterRole.utility, MeterRole.check), keep=keep)
    zones = [(str(z.id), z.name) for z in register.list_zones(session, compound=compound)]
    figures = [
        FormField(
            name,
            label(name),
            kind="number" if name == "lamp_count" else "decimal",
            hint=_("For the rule: %(rule)s", rule=label(_rule_of(name))),
        )
        for rule_names in RULE_FIELDS.values()
        for name in rule_names
    ]
    return [
        FormField("name", _("Name"), required=True, maxlength=100),
        FormField(
            "category", _("Category"), kind="select", required=True, options=choices(UnmeteredCategory, CATEGORY_LABELS)
        ),
        FormField("rule", _("Estimation rule"), kind="select", required=True, options=choices(EstimateRule, LABELS)),
        *figures,
        FormField("parent_meter_id", _("Parent meter"), kind="select", options=parents),
        FormField("zone_id", _("Zone"), kind="select", options=zones),
        FormField("active_from_date", _("In use from"), kind="date"),
        FormField("active_to_date", _("In use until"), kind="date", hint=_("The last day, inclusive.")),
    ]


def _unmetered_back(request: Request, compound: Compound) -> str:
    return path(request, "register_unmetered", compound_id=compound.id)


def _new_unmetered_form(request: Request, session: Session, compound: Compound, utility: Utility) -> FormPage:
    water = utility is Utility.water
    other = Utility.electricity if water else Utility.water
    new_path = path(request, "register_unmetered_new", compound_id=compound.id)
    return FormPage(
        title=_("New unmetered water use") if water else _("New unmetered electricity use"),
        fields=_unmetered_fields(session, compound, utility, keep=None),
        action=here(request),
        back=_unmetered_back(request, compound),
        back_label=_("Unmetered uses"),
        submit=_("Add the unmetered use"),
        values={"rule": (EstimateRule.area if water else EstimateRule.lamps).value},
        links=[
            (
                f"{new_path}?utility={other.value}",
                _("An electricity use instead") if water else _("A water use instead"),
            )
        ],
    )


@router.get("/c/{compound_id}/register/unmetered", name="register_unmetered", dependencies=VIEW)
def unmetered_list(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    meters = service.list_meters(session, compound=compound, limit=register.MAX_PAGE)
    return render(
        request,
        "meters/register_unmetered.html",
        {
            "compound": compound,
            "labels": LABELS,
            "category_labels": CATEGORY_LABELS,
            "uses": unmetered_uses.list_unmetered(session, compound=compound),
            "rule_fields": {rule.value: names for rule, names in RULE_FIELDS.items()},
            "label": label,
            "serials": {m.id: m.serial for m in meters},
            "zone_names": {z.id: z.name for z in register.list_zones(session, compound=compound)},
        },
    )


@router.get("/c/{compound_id}/register/unmetered/new", name="register_unmetered_new", dependencies=EDIT)
def new_unmetered(request: Request, session: SessionDep, compound: CompoundDep, utility: str = "water") -> Response:
    return show_form(request, _new_unmetered_form(request, session, compound, _utility(utility)), compound)


@router.post("/c/{compound_id}/register/unmetered/new", dependencies=EDIT)
def create_unmetered(
    request: Request, session: SessionDep, compound: CompoundDep, form: FormDep, utility: str = "water"
) -> Response:
    chosen = _utility(utility)
    page = _new_unmetered_form(request, session, compound, chosen)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_new(UnmeteredCreate, page, utility=chosen)
        use = unmetered_uses.create_unmetered(session, compound=compound, data=data)
        return _("Unmetered use %(name)s saved.", name=use.name), page.back

    return submit(request, session, page, compound, save)


def _unmetered_edit_form(request: Request, session: Session, compound: Compound, use: UnmeteredUse) -> FormPage:
    return FormPage(
        title=_("Unmetered use %(name)s", name=use.name),
        fields=_unmetered_fields(
            session,
            compound,
            Utility(use.utility),
            keep=use.parent_meter_id,
        ),
        action=here(request),
        back=_unmetered_back(request, compound),
        back_label=_("Unmetered uses"),
        submit=_("Save"),
    )


@router.get(
    "/c/{compound_id}/register/unmetered/{unmetered_id}/edit", name="register_unmetered_edit", dependencies=EDIT
)
def edit_unmetered(request: Request, session: SessionDep, compound: CompoundDep, use: UnmeteredDep) -> Response:
    page = _unmetered_edit_form(request, session, compound, use)
    page.values = row_values(use, page.fields)
    return show_form(request, page, compound)


@router.post("/c/{compound_id}/register/unmetered/{unmetered_id}/edit", dependencies=EDIT)
def update_unmetered(
    request: Request, session: SessionDep, compound: CompoundDep, use: UnmeteredDep, form: FormDep
) -> Response:
    page = _unmetered_edit_form(request, session, compound, use)
    page.values = read_values(form, page.fields)

    def save() -> tuple[str, str]:
        data = parse_changes(UnmeteredUpdate, page, use)
        unmetered_uses.update_unmetered(session, compound=compound, use=use, data=data)
        return _("Unmetered use %(name)s saved.", name=use.name), page.back

    return submit(request, session, page, compound, save)
