"""Load-and-check dependencies for meter routes: a row of another compound is the same 404 as a missing one."""

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from compound.kit import lookups
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep
from compound.register.deps import CompoundDep
from meters.models import Meter, Seal, Transformer, UnmeteredUse


def load_meter(session: Session, *, compound_id: int, meter_id: int) -> Meter:
    """The compound's meter, or NotFound naming meter_id."""
    return lookups.get_or_raise(
        session, Meter, compound_id=compound_id, id=meter_id, message=_("No such meter."), field="meter_id"
    )


def get_meter_or_404(session: SessionDep, compound: CompoundDep, meter_id: IdPath) -> Meter:
    return load_meter(session, compound_id=compound.id, meter_id=meter_id)


MeterDep = Annotated[Meter, Depends(get_meter_or_404)]


def get_seal_or_404(session: SessionDep, meter: MeterDep, seal_id: IdPath) -> Seal:
    """A seal of the meter in the URL (and so of the compound)."""
    seal = lookups.get(session, Seal, compound_id=meter.compound_id, id=seal_id)
    return lookups.get_or_raise(
        session,
        Seal,
        compound_id=meter.compound_id,
        id=seal.id if seal is not None and seal.meter_id == meter.id else None,
        message=_("No such seal on this meter."),
        field="seal_id",
    )


SealDep = Annotated[Seal, Depends(get_seal_or_404)]


def get_transformer_or_404(session: SessionDep, compound: CompoundDep, transformer_id: IdPath) -> Transformer:
    return lookups.get_or_raise(
        session,
        Transformer,
        compound_id=compound.id,
        id=transformer_id,
        message=_("No such transformer."),
        field="transformer_id",
    )


TransformerDep = Annotated[Transformer, Depends(get_transformer_or_404)]


def get_unmetered_or_404(session: SessionDep, compound: CompoundDep, unmetered_id: IdPath) -> UnmeteredUse:
    return lookups.get_or_raise(
        session,
        UnmeteredUse,
        compound_id=compound.id,
        id=unmetered_id,
        message=_("No such unmetered use."),
        field="unmetered_id",
    )


UnmeteredDep = Annotated[UnmeteredUse, Depends(get_unmetered_or_404)]
