"""The meter register's rules for meters themselves: create, update (checked on the meter as it will be),
find and list them, and the chain of meters a meter replaced. Services flush, never commit; every query is
scoped by compound.

The tree: utility meters (what the utility company bills the compound on) → transformers (electricity) →
check meters (zone or building sub-totals, which may nest) → billing meters (an account's own), with
unmetered uses hanging where their water or power is drawn. The rest of the register has its own files:
where a meter may hang (placement.py), replacement (replacement.py), seals (seals.py), transformers
(transformers.py), unmetered uses (unmetered_uses.py) and the tree itself (tree.py).
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from compound.audit import service as audit
from compound.kit import clock, lookups
from compound.kit.i18n import gettext as _
from compound.kit.i18n import ngettext
from compound.register.models import Building, Compound
from compound.register.service import changes, contains, fields_of, page, unique_fallback
from meters.errors import MeterError, MultiplierNeedsConfirming
from meters.models import Meter, MeterRole, MeterStatus, Reading, Utility
from meters.register.lookups import check_serial_free, serial_taken
from meters.register.placement import check_children, check_children_buildings, check_parent, check_place
from meters.register.schemas import MeterCreate, MeterUpdate
from meters.register.seals import break_on_removal


def create_meter(session: Session, *, compound: Compound, data: MeterCreate) -> Meter:
    """A new meter in its place in the tree."""
    state = data.model_dump()
    _check_installed(compound, state.get("installed_date"))
    check_place(session, compound=compound, state=state)
    check_parent(session, compound=compound, state=state, meter=None)
    check_serial_free(session, compound=compound, serial=data.serial)
    meter = Meter(compound_id=compound.id, **state)
    with unique_fallback(session, {"serial": serial_taken(data.serial)}):
        session.add(meter)
    return meter


def update_meter(session: Session, *, compound: Compound, meter: Meter, data: MeterUpdate) -> Meter:
    """Change what was sent, checked on the meter as it will be (role rules, parent, no loops, children)."""
    sent = changes(
        data, required=("serial", "role", "location", "multiplier", "dials", "walk_order", "hv_side", "status")
    )
    confirmed = bool(sent.pop("confirm_multiplier_change", False))
    state = fields_of(meter) | sent
    if "installed_date" in sent:
        _check_installed(compound, sent["installed_date"])
    changed_multiplier = _check_multiplier_change(session, meter=meter, state=state, confirmed=confirmed)
    if "building_id" in sent and "zone_id" not in sent:
        state["zone_id"] = None  # follow the new building's zone
    _check_status(session, compound=compound, meter=meter, state=state, sent=sent)
    # Only what the change touches: an old meter under a since-removed parent can still get a new location.
    if sent.keys() & {"role", "account_id", "building_id", "zone_id"}:
        check_place(session, compound=compound, state=state)
    if sent.keys() & {"role", "parent_id", "transformer_id", "hv_side", "building_id", "zone_id"}:
        check_parent(session, compound=compound, state=state, meter=meter)
    check_children(session, compound=compound, meter=meter, state=state)
    check_children_buildings(session, compound=compound, meter=meter, state=state)
    if "serial" in sent:
        check_serial_free(session, compound=compound, serial=sent["serial"], exclude_id=meter.id)
    taken_out = meter.status == MeterStatus.active and state["status"] == MeterStatus.removed
    with unique_fallback(session, {"serial": serial_taken(str(state["serial"]))}):
        for name in MeterUpdate.model_fields.keys() - {"confirm_multiplier_change"}:
            setattr(meter, name, state[name])
    if changed_multiplier is not None:
        audit.record(
            session,
            action="multiplier_change",
            object_type="meter",
            object_id=str(meter.id),
            compound_id=compound.id,
            summary=f"{meter.serial}: {changed_multiplier[0]} → {meter.multiplier} ({changed_multiplier[1]} readings)",
            before={"multiplier": changed_multiplier[0]},
            after={"multiplier": meter.multiplier, "readings": changed_multiplier[1], "confirmed": True},
        )
    if taken_out:
        break_on_removal(session, compound=compound, meter=meter, on=meter.removed_date, by="")
    return meter


def _check_installed(compound: Compound, installed: date | None) -> None:
    """A meter cannot have been installed after today (the compound's own date)."""
    if installed is not None and installed > clock.today(compound):
        raise MeterError(
            _("The installation date %(date)s is in the future.", date=installed.isoformat()), field="installed_date"
        )


def readings_count(session: Session, *, meter: Meter) -> int:
    r = Reading.__table__.c
    q = sa.select(sa.func.count()).where(r.compound_id == meter.compound_id, r.meter_id == meter.id)
    return int(session.execute(q).scalar_one())


def _check_multiplier_change(
    session: Session, *, meter: Meter, state: dict[str, Any], confirmed: bool
) -> tuple[int, int] | None:
    """A new multiplier on a meter with readings changes what its history means: only when confirmed.

    Returns (the old multiplier, the readings it had) for the audit trail, or None when nothing needs saying.
    """
    if state["multiplier"] == meter.multiplier:
        return None
    count = readings_count(session, meter=meter)
    if count == 0:
        return None
    if not confirmed:
        raise MultiplierNeedsConfirming(
            ngettext(
                "Meter %(serial)s already has %(num)s reading taken with multiplier %(old)s.",
                "Meter %(serial)s already has %(num)s readings taken with multiplier %(old)s.",
                count,
                serial=meter.serial,
                old=meter.multiplier,
            )
            + " "
            + _(
                "A new multiplier changes what its history means (the use of the next reading is worked out with "
                "it); if the current transformer was changed, record a replacement instead. Confirm the change to "
                "save it."
            ),
            field="multiplier",
        )
    return meter.multiplier, count


def _check_status(
    session: Session, *, compound: Compound, meter: Meter, state: dict[str, Any], sent: dict[str, Any]
) -> None:
    """Out of service: a removal date (today by default). Back in: only if nothing replaced it."""
    if state["status"] == MeterStatus.removed:
        state["removed_date"] = state.get("removed_date") or clock.today(compound)
        return
    if "removed_date" in sent and sent["removed_date"] is not None:
        raise MeterError(_("Set the status to removed to give a removal date."), field="removed_date")
    if meter.status == MeterStatus.removed and lookups.exists(
        session, Meter, compound_id=compound.id, replaces_id=meter.id
    ):
        raise MeterError(
            _("Meter %(serial)s was replaced; it cannot come back into service.", serial=meter.serial), field="status"
        )
    state["removed_date"] = None


def get_meter(session: Session, *, compound: Compound, meter_id: int) -> Meter | None:
    return lookups.get(session, Meter, compound_id=compound.id, id=meter_id)


def meters_query(
    *,
    compound: Compound,
    utility: Utility | None = None,
    role: MeterRole | None = None,
    building_id: int | None = None,
    zone_id: int | None = None,
    account_id: int | None = None,
    status: MeterStatus | None = None,
    serial: str | None = None,
    q: str | None = None,
) -> sa.Select:
    """The compound's meters by serial, filtered by whatever is given.

    serial: that serial, whatever its case. q: serial or location containing the text, whatever its case.
    zone_id: the meters of the zone, directly or through their building.
    """
    query = select(Meter).where(Meter.compound_id == compound.id)
    for column, value in (
        (Meter.utility, utility),
        (Meter.role, role),
        (Meter.building_id, building_id),
        (Meter.account_id, account_id),
        (Meter.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    if zone_id is not None:
        b = Building.__table__.c
        in_zone = sa.select(b.id).where(b.compound_id == compound.id, b.zone_id == zone_id)
        query = query.where(sa.or_(Meter.zone_id == zone_id, Meter.building_id.in_(in_zone)))
    if serial:
        query = query.where(sa.func.lower(Meter.serial) == sa.func.lower(serial))
    if q:
        query = query.where(sa.or_(contains(Meter.serial, q), contains(Meter.location, q)))
    return query.order_by(Meter.serial, Meter.id)


def list_meters(
    session: Session,
    *,
    compound: Compound,
    utility: Utility | None = None,
    role: MeterRole | None = None,
    building_id: int | None = None,
    zone_id: int | None = None,
    account_id: int | None = None,
    status: MeterStatus | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Meter]:
    """The compound's meters by serial, filtered by whatever is given (every one up to limit: for pickers)."""
    q = meters_query(
        compound=compound,
        utility=utility,
        role=role,
        building_id=building_id,
        zone_id=zone_id,
        account_id=account_id,
        status=status,
    )
    limit, offset = page(limit, offset)
    return list(session.exec(q.limit(limit).offset(offset)))


def serials_of(session: Session, *, compound: Compound, ids: set[int | None]) -> dict[int, str]:
    """The serials of these meters (the parents a page of the list names)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(Meter.id, Meter.serial).where(Meter.compound_id == compound.id, Meter.id.in_(wanted))
    )
    return {mid: serial for mid, serial in rows}


def chain_ids(session: Session, *, compound: Compound, meter: Meter) -> list[int]:
    """The meter and every meter it replaced, newest first: their readings make one continuous account of use."""
    ids = [meter.id]
    previous = meter.replaces_id
    while previous is not None and previous not in ids:
        ids.append(previous)
        previous = session.exec(
            select(Meter.replaces_id).where(Meter.compound_id == compound.id, Meter.id == previous)
        ).first()
    return ids
