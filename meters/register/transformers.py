"""Transformers (electricity): each with its nameplate, fed by an electricity utility meter; names unique in
the compound."""

from sqlmodel import Session, select

from compound.kit import lookups
from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from compound.register.service import changes, unique_fallback
from meters.errors import MeterError
from meters.models import Meter, MeterRole, MeterStatus, Transformer, Utility
from meters.register.schemas import TransformerCreate, TransformerUpdate


def _transformer_name_taken(name: str) -> str:
    return _("There is already a transformer named %(name)s in this compound.", name=name)


def _check_feeder(session: Session, *, compound: Compound, meter_id: int) -> None:
    feeder = lookups.get(session, Meter, compound_id=compound.id, id=meter_id)
    if feeder is None:
        raise MeterError(
            _("There is no meter %(id)s in this compound to feed the transformer.", id=meter_id),
            field="parent_meter_id",
        )
    if feeder.utility != Utility.electricity or feeder.role != MeterRole.utility:
        raise MeterError(
            _(
                "Meter %(serial)s is not an electricity utility meter; "
                "only an electricity utility meter can feed a transformer.",
                serial=feeder.serial,
            ),
            field="parent_meter_id",
        )
    if feeder.status == MeterStatus.removed:
        raise MeterError(_("Meter %(serial)s has been removed.", serial=feeder.serial), field="parent_meter_id")


def _check_transformer_name(session: Session, *, compound: Compound, name: str, exclude_id: int | None) -> None:
    q = select(Transformer.id).where(Transformer.compound_id == compound.id, Transformer.name == name)
    if exclude_id is not None:
        q = q.where(Transformer.id != exclude_id)
    if session.exec(q.limit(1)).first() is not None:
        raise Conflict(_transformer_name_taken(name), field="name")


def create_transformer(session: Session, *, compound: Compound, data: TransformerCreate) -> Transformer:
    """A transformer with its nameplate, fed by an electricity utility meter."""
    _check_feeder(session, compound=compound, meter_id=data.parent_meter_id)
    _check_transformer_name(session, compound=compound, name=data.name, exclude_id=None)
    transformer = Transformer(compound_id=compound.id, **data.model_dump())
    with unique_fallback(session, {"name": _transformer_name_taken(data.name)}):
        session.add(transformer)
    return transformer


def update_transformer(
    session: Session, *, compound: Compound, transformer: Transformer, data: TransformerUpdate
) -> Transformer:
    sent = changes(data, required=tuple(TransformerUpdate.model_fields))
    if "parent_meter_id" in sent:
        _check_feeder(session, compound=compound, meter_id=sent["parent_meter_id"])
    if "name" in sent:
        _check_transformer_name(session, compound=compound, name=sent["name"], exclude_id=transformer.id)
    with unique_fallback(session, {"name": _transformer_name_taken(str(sent.get("name")))}):
        for name, value in sent.items():
            setattr(transformer, name, value)
    return transformer


def list_transformers(session: Session, *, compound: Compound) -> list[Transformer]:
    return list(
        session.exec(select(Transformer).where(Transformer.compound_id == compound.id).order_by(Transformer.name))
    )
