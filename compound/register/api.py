"""JSON API of the register: compounds, and each compound's zones, buildings and accounts. Thin: services do it."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit.params import MAX_OFFSET, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register import service
from compound.register.deps import AccountDep, BuildingDep, CompoundDep, MayAddCompound, ZoneDep
from compound.register.models import AccountKind, Payer, ZoneKind
from compound.register.schemas import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    BuildingCreate,
    BuildingRead,
    BuildingUpdate,
    CompoundCreate,
    CompoundRead,
    ZoneCreate,
    ZoneRead,
    ZoneUpdate,
)

router = APIRouter(prefix="/api", tags=["register"], route_class=UnitOfWorkRoute)

CREATED = {"status_code": status.HTTP_201_CREATED}
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


# Compounds


@router.get("/compounds", dependencies=[Require(Perm.register_view)], response_model=list[CompoundRead])
def list_compounds(session: SessionDep, principal: PrincipalDep) -> object:
    return service.list_compounds(session, ids=principal.compound_ids)


@router.post(
    "/compounds", dependencies=[Require(Perm.register_edit), MayAddCompound], response_model=CompoundRead, **CREATED
)
def create_compound(session: SessionDep, principal: PrincipalDep, data: CompoundCreate) -> object:
    return service.create_compound(session, data=data, grant_to=principal.user.id)


@router.get("/compounds/{compound_id}", dependencies=[Require(Perm.register_view)], response_model=CompoundRead)
def get_compound(compound: CompoundDep) -> object:
    return compound


# Zones


@router.get("/compounds/{compound_id}/zones", dependencies=[Require(Perm.register_view)], response_model=list[ZoneRead])
def list_zones(session: SessionDep, compound: CompoundDep, kind: ZoneKind | None = None) -> object:
    return service.list_zones(session, compound=compound, kind=kind)


@router.post(
    "/compounds/{compound_id}/zones", dependencies=[Require(Perm.register_edit)], response_model=ZoneRead, **CREATED
)
def create_zone(session: SessionDep, compound: CompoundDep, data: ZoneCreate) -> object:
    return service.create_zone(session, compound=compound, data=data)


@router.get(
    "/compounds/{compound_id}/zones/{zone_id}", dependencies=[Require(Perm.register_view)], response_model=ZoneRead
)
def get_zone(zone: ZoneDep) -> object:
    return zone


@router.patch(
    "/compounds/{compound_id}/zones/{zone_id}", dependencies=[Require(Perm.register_edit)], response_model=ZoneRead
)
def update_zone(session: SessionDep, compound: CompoundDep, zone: ZoneDep, data: ZoneUpdate) -> object:
    return service.update_zone(session, compound=compound, zone=zone, data=data)


# Buildings


@router.get(
    "/compounds/{compound_id}/buildings", dependencies=[Require(Perm.register_view)], response_model=list[BuildingRead]
)
def list_buildings(session: SessionDep, compound: CompoundDep, zone_id: RefId = None) -> object:
    return service.list_buildings(session, compound=compound, zone_id=zone_id)


@router.post(
    "/compounds/{compound_id}/buildings",
    dependencies=[Require(Perm.register_edit)],
    response_model=BuildingRead,
    **CREATED,
)
def create_building(session: SessionDep, compound: CompoundDep, data: BuildingCreate) -> object:
    return service.create_building(session, compound=compound, data=data)


@router.get(
    "/compounds/{compound_id}/buildings/{building_id}",
    dependencies=[Require(Perm.register_view)],
    response_model=BuildingRead,
)
def get_building(building: BuildingDep) -> object:
    return building


@router.patch(
    "/compounds/{compound_id}/buildings/{building_id}",
    dependencies=[Require(Perm.register_edit)],
    response_model=BuildingRead,
)
def update_building(session: SessionDep, compound: CompoundDep, building: BuildingDep, data: BuildingUpdate) -> object:
    return service.update_building(session, compound=compound, building=building, data=data)


# Accounts


@router.get(
    "/compounds/{compound_id}/accounts", dependencies=[Require(Perm.register_view)], response_model=list[AccountRead]
)
def list_accounts(
    session: SessionDep,
    compound: CompoundDep,
    kind: AccountKind | None = None,
    building_id: RefId = None,
    payer: Payer | None = None,
    active_on: date | None = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> object:
    return service.list_accounts(
        session,
        compound=compound,
        kind=kind,
        building_id=building_id,
        payer=payer,
        active_on=active_on,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/compounds/{compound_id}/accounts",
    dependencies=[Require(Perm.register_edit)],
    response_model=AccountRead,
    **CREATED,
)
def create_account(session: SessionDep, compound: CompoundDep, data: AccountCreate) -> object:
    return service.create_account(session, compound=compound, data=data)


@router.get(
    "/compounds/{compound_id}/accounts/{account_id}",
    dependencies=[Require(Perm.register_view)],
    response_model=AccountRead,
)
def get_account(account: AccountDep) -> object:
    return account


@router.patch(
    "/compounds/{compound_id}/accounts/{account_id}",
    dependencies=[Require(Perm.register_edit)],
    response_model=AccountRead,
)
def update_account(session: SessionDep, compound: CompoundDep, account: AccountDep, data: AccountUpdate) -> object:
    return service.update_account(session, compound=compound, account=account, data=data)
