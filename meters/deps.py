"""Load-and-check dependencies for meter routes: a row of another compound is the same 404 as a missing one."""

from typing import Annotated

from fastapi import Depends, Path
from sqlmodel import Session, select

from compound.kit.db import SessionDep
from compound.kit.errors import NotFound
from compound.kit.i18n import gettext as _
from compound.register.deps import CompoundDep
from meters.models import Meter, Seal, Transformer, UnmeteredUse
from meters.register.lookups import scoped_row


def _id_path() -> object:
    """A fresh Path() each time: FastAPI keeps per-parameter state on it."""
    return Path(ge=1, le=2**62)


def load_meter(session: Session, *, compound_id: int, meter_id: int) -> Meter:
    """The compound's meter, or NotFound naming meter_id."""
    meter = session.exec(select(Meter).where(Meter.compound_id == compound_id, Meter.id == meter_id)).first()
    if meter is None:
        raise NotFound(_("No such meter."), field="meter_id")
    return meter


def get_meter_or_404(session: SessionDep, compound: CompoundDep, meter_id: Annotated[int, _id_path()]) -> Meter:
    return load_meter(session, compound_id=compound.id, meter_id=meter_id)


MeterDep = Annotated[Meter, Depends(get_meter_or_404)]


def get_seal_or_404(session: SessionDep, meter: MeterDep, seal_id: Annotated[int, _id_path()]) -> Seal:
    """A seal of the meter in the URL (and so of the compound)."""
    seal = session.exec(
        select(Seal).where(Seal.compound_id == meter.compound_id, Seal.meter_id == meter.id, Seal.id == seal_id)
    ).first()
    if seal is None:
        raise NotFound(_("No such seal on this meter."), field="seal_id")
    return seal


SealDep = Annotated[Seal, Depends(get_seal_or_404)]


def get_transformer_or_404(
    session: SessionDep, compound: CompoundDep, transformer_id: Annotated[int, _id_path()]
) -> Transformer:
    row = scoped_row(session, Transformer, compound=compound, row_id=transformer_id)
    if row is None:
        raise NotFound(_("No such transformer."), field="transformer_id")
    return row


TransformerDep = Annotated[Transformer, Depends(get_transformer_or_404)]


def get_unmetered_or_404(
    session: SessionDep, compound: CompoundDep, unmetered_id: Annotated[int, _id_path()]
) -> UnmeteredUse:
    row = scoped_row(session, UnmeteredUse, compound=compound, row_id=unmetered_id)
    if row is None:
        raise NotFound(_("No such unmetered use."), field="unmetered_id")
    return row


UnmeteredDep = Annotated[UnmeteredUse, Depends(get_unmetered_or_404)]
