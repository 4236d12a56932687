"""Where a meter may be: its account, building and zone for its role; what it may hang under (a parent meter
of the same utility, or a transformer) without making a loop; and, for a meter with others below it, that it
can still carry them. Checked on the meter as it will be saved."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import lookups
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Building, Compound, Zone
from meters.errors import MeterError
from meters.labels import label
from meters.models import Meter, MeterRole, MeterStatus, Transformer, UnmeteredUse, Utility


def check_place(session: Session, *, compound: Compound, state: dict[str, Any]) -> None:
    """Account, building and zone of a meter as it will be saved; fills the zone in from the building."""
    role = MeterRole(state["role"])
    if role is MeterRole.billing and state.get("account_id") is None:
        raise MeterError(_("A billing meter needs the account it bills."), field="account_id")
    if role is not MeterRole.billing and state.get("account_id") is not None:
        raise MeterError(
            _("Only a billing meter belongs to an account; a %(role)s does not.", role=label(role)), field="account_id"
        )
    if (
        state.get("account_id") is not None
        and lookups.get(session, Account, compound_id=compound.id, id=state["account_id"]) is None
    ):
        raise MeterError(_("There is no account %(id)s in this compound.", id=state["account_id"]), field="account_id")
    building = lookups.get(session, Building, compound_id=compound.id, id=state.get("building_id"))
    if state.get("building_id") is not None and building is None:
        raise MeterError(
            _("There is no building %(id)s in this compound.", id=state["building_id"]), field="building_id"
        )
    if state.get("zone_id") is None and building is not None:
        state["zone_id"] = building.zone_id
    elif state.get("zone_id") is not None:
        if lookups.get(session, Zone, compound_id=compound.id, id=state["zone_id"]) is None:
            raise MeterError(_("There is no zone %(id)s in this compound.", id=state["zone_id"]), field="zone_id")
        if building is not None and building.zone_id != state["zone_id"]:
            raise MeterError(
                _("Building %(building)s is not in zone %(zone)s.", building=building.name, zone=state["zone_id"]),
                field="zone_id",
            )


def check_parent(session: Session, *, compound: Compound, state: dict[str, Any], meter: Meter | None) -> None:
    """Where the meter hangs: nothing above a utility meter; a parent meter of the same utility, or a transformer."""
    role, utility = MeterRole(state["role"]), Utility(state["utility"])
    parent_id, transformer_id = state.get("parent_id"), state.get("transformer_id")
    if role is MeterRole.utility:
        if parent_id is not None:
            raise MeterError(_("A utility meter is the top of the tree: it has no parent meter."), field="parent_id")
        if transformer_id is not None:
            raise MeterError(_("A utility meter feeds transformers; it does not hang on one."), field="transformer_id")
    elif state.get("hv_side"):
        raise MeterError(_("Only a utility meter can be metered on the high-voltage side."), field="hv_side")
    if parent_id is not None and transformer_id is not None:
        raise MeterError(_("Give either a parent meter or a transformer, not both."), field="transformer_id")
    if parent_id is not None:
        parent = lookups.get(session, Meter, compound_id=compound.id, id=parent_id)
        if parent is None:
            raise MeterError(
                _("There is no meter %(id)s in this compound to be the parent.", id=parent_id), field="parent_id"
            )
        check_parent_meter(parent, utility=utility, field="parent_id")
        check_same_building(session, compound=compound, parent=parent, building_id=state.get("building_id"))
    if transformer_id is not None:
        if utility is not Utility.electricity:
            raise MeterError(_("Only an electricity meter can hang on a transformer."), field="transformer_id")
        if lookups.get(session, Transformer, compound_id=compound.id, id=transformer_id) is None:
            raise MeterError(
                _("There is no transformer %(id)s in this compound.", id=transformer_id), field="transformer_id"
            )
    if meter is not None and (parent_id is not None or transformer_id is not None):
        _check_no_cycle(session, compound=compound, meter=meter, parent_id=parent_id, transformer_id=transformer_id)


def check_parent_meter(parent: Meter, *, utility: Utility, field: str) -> None:
    """A meter others hang under: the same utility, in service, and not an account's own meter."""
    if parent.utility != utility:
        raise MeterError(
            _(
                "Meter %(serial)s measures %(parent)s; it cannot be upstream of %(utility)s.",
                serial=parent.serial,
                parent=label(parent.utility),
                utility=label(utility),
            ),
            field=field,
        )
    if parent.role == MeterRole.billing:
        raise MeterError(
            _("Meter %(serial)s is a billing meter; nothing can hang under it.", serial=parent.serial), field=field
        )
    if parent.status == MeterStatus.removed:
        raise MeterError(_("Meter %(serial)s has been removed.", serial=parent.serial), field=field)


def _zone_of(session: Session, compound: Compound, building_id: int | None) -> int | None:
    building = lookups.get(session, Building, compound_id=compound.id, id=building_id)
    return building.zone_id if building is not None else None


def check_same_building(
    session: Session, *, compound: Compound, parent: Meter, building_id: int | None, field: str = "parent_id"
) -> None:
    """A meter in a building hangs under a meter of the same building, or under a feeder: a utility meter, a
    transformer's low-voltage meter, a meter in no building (the zone's check meter), or a meter in a building
    of another zone (a switch room's outgoing feeder). A meter of block 1 under block 2's meter is the mistake
    this refuses.
    """
    if building_id is None or parent.building_id is None or parent.building_id == building_id:
        return
    if parent.role == MeterRole.utility or parent.transformer_id is not None:
        return
    zone = _zone_of(session, compound, building_id)
    if zone is None or zone != _zone_of(session, compound, parent.building_id):
        return
    raise MeterError(
        _(
            "Meter %(serial)s is in another building of the same zone: a meter hangs under a meter of its own "
            "building, or under a feeder (the zone's meter in no building, a transformer's or the utility's).",
            serial=parent.serial,
        ),
        field=field,
    )


def check_children_buildings(session: Session, *, compound: Compound, meter: Meter, state: dict[str, Any]) -> None:
    """A meter moved to another building must still be a place its meters may hang under."""
    if state.get("building_id") == meter.building_id:
        return
    # The meter as it will be (never added to the session): what check_same_building asks of a parent.
    moved = Meter(
        serial=state["serial"],
        role=state["role"],
        transformer_id=state.get("transformer_id"),
        building_id=state.get("building_id"),
    )
    m = Meter.__table__.c
    children = session.execute(
        sa.select(m.building_id)
        .where(m.compound_id == compound.id, m.parent_id == meter.id, m.status == MeterStatus.active.value)
        .distinct()
    ).scalars()
    for building_id in children:
        check_same_building(session, compound=compound, parent=moved, building_id=building_id, field="building_id")


def _check_no_cycle(
    session: Session, *, compound: Compound, meter: Meter, parent_id: int | None, transformer_id: int | None
) -> None:
    """Walk up from the new place: meeting the meter itself would make a loop."""
    m, t = Meter.__table__.c, Transformer.__table__.c
    up_meter = {
        row.id: (row.parent_id, row.transformer_id)
        for row in session.execute(sa.select(m.id, m.parent_id, m.transformer_id).where(m.compound_id == compound.id))
    }
    up_transformer = {
        row.id: row.parent_meter_id
        for row in session.execute(sa.select(t.id, t.parent_meter_id).where(t.compound_id == compound.id))
    }
    current: int | None = parent_id if parent_id is not None else up_transformer.get(transformer_id)
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == meter.id:
            field = "parent_id" if parent_id is not None else "transformer_id"
            raise MeterError(
                _(
                    "Meter %(serial)s is already upstream of that place; hanging it there would make a loop.",
                    serial=meter.serial,
                ),
                field=field,
            )
        seen.add(current)
        above_meter, above_transformer = up_meter.get(current, (None, None))
        current = above_meter if above_meter is not None else up_transformer.get(above_transformer)


def check_children(session: Session, *, compound: Compound, meter: Meter, state: dict[str, Any]) -> None:
    """A meter with others below it must stay able to carry them."""
    role = MeterRole(state["role"])
    has_meters = lookups.exists(session, Meter, compound_id=compound.id, parent_id=meter.id, status=MeterStatus.active)
    feeds = lookups.exists(session, Transformer, compound_id=compound.id, parent_meter_id=meter.id)
    has_uses = lookups.exists(session, UnmeteredUse, compound_id=compound.id, parent_meter_id=meter.id)
    if role is MeterRole.billing and (has_meters or feeds or has_uses):
        raise MeterError(
            _("Meter %(serial)s has meters or uses under it, so it cannot be a billing meter.", serial=meter.serial),
            field="role",
        )
    if feeds and role is not MeterRole.utility:
        raise MeterError(
            _("Meter %(serial)s feeds a transformer, so it must stay a utility meter.", serial=meter.serial),
            field="role",
        )
    if (
        state["status"] == MeterStatus.removed
        and meter.status == MeterStatus.active
        and (has_meters or feeds or has_uses)
    ):
        raise MeterError(
            _(
                "Meter %(serial)s still has meters or uses under it: move them first, or record a replacement.",
                serial=meter.serial,
            ),
            field="status",
        )
