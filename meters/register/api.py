"""JSON API of the meter register: meters, replacement, seals, transformers, unmetered uses and the tree.

Reading entry lives in meters/readings_api.py. Routes are thin: load (404 for another compound's ids), call a
service, return.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.pagination import Limit, Offset, Page, next_link, paged
from compound.kit.params import PlausibleDate, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep
from meters.deps import MeterDep, SealDep, TransformerDep, UnmeteredDep
from meters.models import MeterRole, MeterStatus, Utility
from meters.register import replacement, seals, service, transformers, tree, unmetered_uses
from meters.register.schemas import (
    EstimateRead,
    MeterCreate,
    MeterRead,
    MeterUpdate,
    ReplacementCreate,
    ReplacementRead,
    SealBreak,
    SealCreate,
    SealRead,
    TransformerCreate,
    TransformerRead,
    TransformerUpdate,
    TreeNode,
    UnmeteredCreate,
    UnmeteredRead,
    UnmeteredUpdate,
)
from meters.register.unmetered_estimate import estimate, unit

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["meters"], route_class=UnitOfWorkRoute)

CREATED = {"status_code": status.HTTP_201_CREATED}


# Meters


@router.get("/meters", dependencies=[Require(Perm.register_view)], response_model=Page[MeterRead])
def list_meters(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    utility: Utility | None = None,
    role: MeterRole | None = None,
    building_id: RefId = None,
    zone_id: RefId = None,
    account_id: RefId = None,
    status: MeterStatus | None = None,
    serial: Annotated[str | None, Query(max_length=64, description="This serial, whatever its case.")] = None,
    q: Annotated[str | None, Query(max_length=64, description="Serial or location containing this.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> object:
    """A page of the compound's meters by serial: `total` counts them all, `next` is the next page's address."""
    filters = {
        "utility": utility,
        "role": role,
        "building_id": building_id,
        "zone_id": zone_id,
        "account_id": account_id,
        "status": status,
        "serial": serial,
        "q": q,
    }
    query = service.meters_query(compound=compound, **filters)
    window = paged(session, query, limit=limit, offset=offset)
    return Page[MeterRead](
        items=[MeterRead.model_validate(m) for m in window.rows],
        total=window.total,
        limit=window.limit,
        offset=window.offset,
        next=next_link(request.url.path, window, **{k: getattr(v, "value", v) for k, v in filters.items()}),
    )


@router.post("/meters", dependencies=[Require(Perm.meters_edit)], response_model=MeterRead, **CREATED)
def create_meter(session: SessionDep, compound: CompoundDep, data: MeterCreate) -> object:
    return service.create_meter(session, compound=compound, data=data)


@router.get("/meters/{meter_id}", dependencies=[Require(Perm.register_view)], response_model=MeterRead)
def get_meter(meter: MeterDep) -> object:
    return meter


@router.patch("/meters/{meter_id}", dependencies=[Require(Perm.meters_edit)], response_model=MeterRead)
def update_meter(session: SessionDep, compound: CompoundDep, meter: MeterDep, data: MeterUpdate) -> object:
    return service.update_meter(session, compound=compound, meter=meter, data=data)


@router.post(
    "/meters/{meter_id}/replacement",
    dependencies=[Require(Perm.meters_service)],
    response_model=ReplacementRead,
    **CREATED,
)
def replace_meter(session: SessionDep, compound: CompoundDep, meter: MeterDep, data: ReplacementCreate) -> object:
    """Swap the meter: its final reading, the new meter in its place and the new meter's first reading."""
    new = replacement.replace_meter(
        session,
        compound=compound,
        meter=meter,
        final_value=data.final_value,
        new_serial=data.new_serial,
        new_value=data.new_value,
        at=data.at,
        read_by=data.read_by,
        new_multiplier=data.new_multiplier,
        new_dials=data.new_dials,
        note=data.note,
        confirm=data.confirm,
        rollover=data.rollover,
    )
    return {"old_meter": MeterRead.model_validate(meter), "new_meter": MeterRead.model_validate(new)}


# Seals


@router.get("/meters/{meter_id}/seals", dependencies=[Require(Perm.register_view)], response_model=list[SealRead])
def list_seals(session: SessionDep, compound: CompoundDep, meter: MeterDep) -> object:
    return seals.list_seals(session, compound=compound, meter=meter)


@router.post(
    "/meters/{meter_id}/seals", dependencies=[Require(Perm.meters_service)], response_model=SealRead, **CREATED
)
def add_seal(session: SessionDep, compound: CompoundDep, meter: MeterDep, data: SealCreate) -> object:
    return seals.add_seal(
        session,
        compound=compound,
        meter=meter,
        number=data.number,
        sealed_date=data.sealed_date,
        sealed_by=data.sealed_by,
    )


@router.post(
    "/meters/{meter_id}/seals/{seal_id}/break", dependencies=[Require(Perm.meters_service)], response_model=SealRead
)
def break_seal(session: SessionDep, compound: CompoundDep, seal: SealDep, data: SealBreak) -> object:
    return seals.break_seal(
        session, compound=compound, seal=seal, broken_date=data.broken_date, broken_by=data.broken_by, note=data.note
    )


# Transformers


@router.get("/transformers", dependencies=[Require(Perm.register_view)], response_model=list[TransformerRead])
def list_transformers(session: SessionDep, compound: CompoundDep) -> object:
    return transformers.list_transformers(session, compound=compound)


@router.post("/transformers", dependencies=[Require(Perm.meters_edit)], response_model=TransformerRead, **CREATED)
def create_transformer(session: SessionDep, compound: CompoundDep, data: TransformerCreate) -> object:
    return transformers.create_transformer(session, compound=compound, data=data)


@router.get(
    "/transformers/{transformer_id}", dependencies=[Require(Perm.register_view)], response_model=TransformerRead
)
def get_transformer(transformer: TransformerDep) -> object:
    return transformer


@router.patch(
    "/transformers/{transformer_id}", dependencies=[Require(Perm.meters_edit)], response_model=TransformerRead
)
def update_transformer(
    session: SessionDep, compound: CompoundDep, transformer: TransformerDep, data: TransformerUpdate
) -> object:
    return transformers.update_transformer(session, compound=compound, transformer=transformer, data=data)


# Unmetered uses


@router.get("/unmetered", dependencies=[Require(Perm.register_view)], response_model=list[UnmeteredRead])
def list_unmetered(session: SessionDep, compound: CompoundDep, utility: Utility | None = None) -> object:
    return unmetered_uses.list_unmetered(session, compound=compound, utility=utility)


@router.post("/unmetered", dependencies=[Require(Perm.meters_edit)], response_model=UnmeteredRead, **CREATED)
def create_unmetered(session: SessionDep, compound: CompoundDep, data: UnmeteredCreate) -> object:
    return unmetered_uses.create_unmetered(session, compound=compound, data=data)


@router.get("/unmetered/{unmetered_id}", dependencies=[Require(Perm.register_view)], response_model=UnmeteredRead)
def get_unmetered(use: UnmeteredDep) -> object:
    return use


@router.patch("/unmetered/{unmetered_id}", dependencies=[Require(Perm.meters_edit)], response_model=UnmeteredRead)
def update_unmetered(session: SessionDep, compound: CompoundDep, use: UnmeteredDep, data: UnmeteredUpdate) -> object:
    return unmetered_uses.update_unmetered(session, compound=compound, use=use, data=data)


@router.get(
    "/unmetered/{unmetered_id}/estimate", dependencies=[Require(Perm.register_view)], response_model=EstimateRead
)
def estimate_unmetered(
    use: UnmeteredDep, start: Annotated[PlausibleDate, Query()], end: Annotated[PlausibleDate, Query()]
) -> object:
    """The estimated quantity for the days in [start, end): always an estimate, never a measurement."""
    if end <= start:
        raise InvalidInput(_("The end date must come after the start date."), field="end")
    return EstimateRead(
        unmetered_id=use.id, start=start, end=end, quantity=estimate(use, start, end), unit=unit(use.utility)
    )


# The tree


@router.get("/tree", dependencies=[Require(Perm.register_view)], response_model=list[TreeNode])
def meter_tree(session: SessionDep, compound: CompoundDep, utility: Utility, include_removed: bool = False) -> object:
    """Utility meters → transformers → check meters → billing meters, with unmetered uses marked estimated."""
    return tree.meter_tree(session, compound=compound, utility=utility, include_removed=include_removed)
