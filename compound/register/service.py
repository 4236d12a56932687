"""The register's rules: compounds, zones, buildings and accounts. Services flush, never commit."""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from compound.auth.models import UserCompound
from compound.auth.service import Principal, check_unrestricted
from compound.kit import lookups
from compound.kit.errors import Conflict, InvalidInput, NotFound
from compound.kit.i18n import gettext as _
from compound.register.models import Account, AccountKind, Building, Compound, Payer, Zone
from compound.register.schemas import (
    AccountCreate,
    AccountUpdate,
    BuildingCreate,
    BuildingUpdate,
    CompoundCreate,
    ZoneCreate,
    ZoneUpdate,
)

T = TypeVar("T", bound=SQLModel)

MAX_PAGE = 5000


# Helpers the meter services share


@contextmanager
def unique_fallback(session: Session, clashes: Mapping[str, str]) -> Iterator[None]:
    """Flush at the end of the block; a unique clash the checks missed (two clerks at once) becomes a Conflict.

    clashes maps a column name to the message naming it. No savepoint on purpose: on SQLite the driver would
    commit at its release. The caller's transaction is rolled back as the error leaves the request.
    """
    try:
        yield
        session.flush()
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        for column, message in clashes.items():
            # PostgreSQL names the constraint (uq_zone_compound_id_name), SQLite the columns (zone.name).
            if "unique" in text and (f"_{column}" in text or f".{column}" in text):
                raise Conflict(message, field=column) from None
        raise InvalidInput(
            _("The change was not saved: it refers to a row that does not exist, or clashes with another one.")
        ) from None


def changes(data: BaseModel, *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields an XUpdate actually sent; a required field sent as null is a 422 naming it."""
    sent = data.model_dump(exclude_unset=True)
    for name in required:
        if name in sent and sent[name] is None:
            raise InvalidInput(_("%(field)s cannot be empty.", field=name), field=name)
    return sent


def fields_of(row: SQLModel) -> dict[str, Any]:
    """A row's columns as a dict (model_dump would warn on enum columns loaded as plain strings)."""
    return {name: getattr(row, name) for name in type(row).model_fields}


def contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """The column holds the text, whatever its case (LIKE with the wildcards in the text escaped)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(column).like(f"%{escaped}%", escape="\\")


def page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, offset)


# Compounds


def check_may_add_compound(principal: Principal) -> None:
    """A compound's code is unique in the installation, so "code taken" would tell an administrator of one
    compound that another exists: adding a compound is for an administrator of every compound."""
    check_unrestricted(principal, _("Only an administrator of every compound may add a compound."))


def create_compound(session: Session, *, data: CompoundCreate, grant_to: int | None = None) -> Compound:
    """A new compound; its code is unique across the installation. grant_to: the user who may see it."""
    if session.exec(select(Compound.id).where(Compound.code == data.code)).first() is not None:
        raise Conflict(_("A compound with code %(code)s already exists.", code=data.code), field="code")
    compound = Compound(**data.model_dump())
    with unique_fallback(session, {"code": _("A compound with code %(code)s already exists.", code=data.code)}):
        session.add(compound)
    if grant_to is not None:
        session.add(UserCompound(user_id=grant_to, compound_id=compound.id))
        session.flush()
    return compound


def list_compounds(session: Session, *, ids: Iterable[int]) -> list[Compound]:
    """The compounds among `ids` (those a user may see)."""
    return list(session.exec(select(Compound).where(Compound.id.in_(list(ids))).order_by(Compound.code)))


def get_compound(session: Session, *, compound_id: int) -> Compound:
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(_("No such compound."), field="compound_id")
    return compound


# Zones


def _zone_name_taken(name: str) -> str:
    return _("There is already a zone named %(name)s in this compound.", name=name)


def create_zone(session: Session, *, compound: Compound, data: ZoneCreate) -> Zone:
    """A new zone; names are unique within the compound."""
    if lookups.exists(session, Zone, compound_id=compound.id, name=data.name):
        raise Conflict(_zone_name_taken(data.name), field="name")
    zone = Zone(compound_id=compound.id, **data.model_dump())
    with unique_fallback(session, {"name": _zone_name_taken(data.name)}):
        session.add(zone)
    return zone


def update_zone(session: Session, *, compound: Compound, zone: Zone, data: ZoneUpdate) -> Zone:
    sent = changes(data, required=("name", "kind"))
    if "name" in sent and lookups.exists(session, Zone, compound_id=compound.id, name=sent["name"], exclude_id=zone.id):
        raise Conflict(_zone_name_taken(sent["name"]), field="name")
    with unique_fallback(session, {"name": _zone_name_taken(str(sent.get("name")))}):
        for name, value in sent.items():
            setattr(zone, name, value)
    return zone


def get_zone(session: Session, *, compound: Compound, zone_id: int) -> Zone:
    zone = lookups.get(session, Zone, compound_id=compound.id, id=zone_id)
    if zone is None:
        raise NotFound(_("No such zone."), field="zone_id")
    return zone


def list_zones(session: Session, *, compound: Compound, kind: str | None = None) -> list[Zone]:
    q = select(Zone).where(Zone.compound_id == compound.id)
    if kind is not None:
        q = q.where(Zone.kind == kind)
    return list(session.exec(q.order_by(Zone.name)))


# Buildings


def _building_name_taken(name: str) -> str:
    return _("There is already a building named %(name)s in this compound.", name=name)


def _check_zone_ref(session: Session, *, compound: Compound, zone_id: int, field: str = "zone_id") -> Zone:
    """A zone id given in a request body: unknown (or another compound's) is a 422 naming the field."""
    zone = lookups.get(session, Zone, compound_id=compound.id, id=zone_id)
    if zone is None:
        raise InvalidInput(_("There is no zone %(id)s in this compound.", id=zone_id), field=field)
    return zone


def create_building(session: Session, *, compound: Compound, data: BuildingCreate) -> Building:
    """A new building in one of the compound's zones."""
    _check_zone_ref(session, compound=compound, zone_id=data.zone_id)
    if lookups.exists(session, Building, compound_id=compound.id, name=data.name):
        raise Conflict(_building_name_taken(data.name), field="name")
    building = Building(compound_id=compound.id, **data.model_dump())
    with unique_fallback(session, {"name": _building_name_taken(data.name)}):
        session.add(building)
    return building


def update_building(session: Session, *, compound: Compound, building: Building, data: BuildingUpdate) -> Building:
    sent = changes(data, required=("name", "zone_id"))
    if "zone_id" in sent:
        _check_zone_ref(session, compound=compound, zone_id=sent["zone_id"])
    if "name" in sent and lookups.exists(
        session, Building, compound_id=compound.id, name=sent["name"], exclude_id=building.id
    ):
        raise Conflict(_building_name_taken(sent["name"]), field="name")
    with unique_fallback(session, {"name": _building_name_taken(str(sent.get("name")))}):
        for name, value in sent.items():
            setattr(building, name, value)
    return building


def get_building(session: Session, *, compound: Compound, building_id: int) -> Building:
    building = lookups.get(session, Building, compound_id=compound.id, id=building_id)
    if building is None:
        raise NotFound(_("No such building."), field="building_id")
    return building


def list_buildings(session: Session, *, compound: Compound, zone_id: int | None = None) -> list[Building]:
    q = select(Building).where(Building.compound_id == compound.id)
    if zone_id is not None:
        q = q.where(Building.zone_id == zone_id)
    return list(session.exec(q.order_by(Building.name)))


# Accounts


def _account_code_taken(code: str) -> str:
    return _("There is already an account with code %(code)s in this compound.", code=code)


def _check_account(session: Session, *, compound: Compound, state: dict[str, Any]) -> None:
    """Rules on an account as it will be saved (a new one, or an old one with the changes applied)."""
    if (
        state.get("building_id") is not None
        and lookups.get(session, Building, compound_id=compound.id, id=state["building_id"]) is None
    ):
        raise InvalidInput(
            _("There is no building %(id)s in this compound.", id=state["building_id"]), field="building_id"
        )
    if state["kind"] == AccountKind.household and state["payer"] == Payer.finance_bureau:
        raise InvalidInput(_("Only an office unit can have its bills paid by the finance bureau."), field="payer")
    moved_in, moved_out = state.get("move_in_date"), state.get("move_out_date")
    if moved_in and moved_out and moved_out < moved_in:
        raise InvalidInput(
            _(
                "The move-out date %(out)s is before the move-in date %(in)s.",
                out=moved_out.isoformat(),
                **{"in": moved_in.isoformat()},
            ),
            field="move_out_date",
        )


def create_account(session: Session, *, compound: Compound, data: AccountCreate) -> Account:
    """A new office unit or household."""
    fields = data.model_dump()
    _check_account(session, compound=compound, state=fields)
    if lookups.exists(session, Account, compound_id=compound.id, code=data.code):
        raise Conflict(_account_code_taken(data.code), field="code")
    account = Account(compound_id=compound.id, **fields)
    with unique_fallback(session, {"code": _account_code_taken(data.code)}):
        session.add(account)
    return account


def update_account(session: Session, *, compound: Compound, account: Account, data: AccountUpdate) -> Account:
    """Change what was sent (a move-out date, a new phone...), checked as the account will be."""
    sent = changes(data, required=("code", "kind", "name", "payer"))
    state = fields_of(account) | sent
    _check_account(session, compound=compound, state=state)
    if "code" in sent and lookups.exists(
        session, Account, compound_id=compound.id, code=sent["code"], exclude_id=account.id
    ):
        raise Conflict(_account_code_taken(sent["code"]), field="code")
    with unique_fallback(session, {"code": _account_code_taken(str(sent.get("code")))}):
        for name, value in sent.items():
            setattr(account, name, value)
    return account


def get_account_or_none(session: Session, *, compound: Compound, account_id: int) -> Account | None:
    return lookups.get(session, Account, compound_id=compound.id, id=account_id)


def find_account(session: Session, *, compound: Compound, code: str) -> Account | None:
    """The account with this code, whatever its case."""
    q = select(Account).where(Account.compound_id == compound.id, sa.func.lower(Account.code) == sa.func.lower(code))
    return session.exec(q).first()


def get_account(session: Session, *, compound: Compound, account_id: int) -> Account:
    account = lookups.get(session, Account, compound_id=compound.id, id=account_id)
    if account is None:
        raise NotFound(_("No such account."), field="account_id")
    return account


def accounts_query(
    *,
    compound: Compound,
    kind: AccountKind | None = None,
    building_id: int | None = None,
    zone_id: int | None = None,
    payer: Payer | None = None,
    active_on: date | None = None,
    q: str | None = None,
) -> sa.Select:
    """The compound's accounts by code; active_on keeps those there that day (both move dates count);
    q: code, name, flat or phone containing the text, whatever its case."""
    query = select(Account).where(Account.compound_id == compound.id)
    if kind is not None:
        query = query.where(Account.kind == kind)
    if building_id is not None:
        query = query.where(Account.building_id == building_id)
    if zone_id is not None:
        b = Building.__table__.c
        query = query.where(
            Account.building_id.in_(sa.select(b.id).where(b.compound_id == compound.id, b.zone_id == zone_id))
        )
    if payer is not None:
        query = query.where(Account.payer == payer)
    if active_on is not None:
        query = query.where(
            (col(Account.move_in_date).is_(None)) | (col(Account.move_in_date) <= active_on),
            (col(Account.move_out_date).is_(None)) | (col(Account.move_out_date) >= active_on),
        )
    if q:
        query = query.where(
            sa.or_(*(contains(column, q) for column in (Account.code, Account.name, Account.flat, Account.phone)))
        )
    return query.order_by(Account.code, Account.id)


def list_accounts(
    session: Session,
    *,
    compound: Compound,
    kind: AccountKind | None = None,
    building_id: int | None = None,
    payer: Payer | None = None,
    active_on: date | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Account]:
    """The compound's accounts by code; active_on keeps those there that day (both move dates count)."""
    q = accounts_query(compound=compound, kind=kind, building_id=building_id, payer=payer, active_on=active_on)
    limit, offset = page(limit, offset)
    return list(session.exec(q.limit(limit).offset(offset)))
