"""The meter register's rules: meters and their place in the tree, transformers, unmetered uses, seals,
replacement, and the tree itself. Services flush, never commit; every query is scoped by compound.

The tree: utility meters (what the utility company bills the compound on) → transformers (electricity) →
check meters (zone or building sub-totals, which may nest) → billing meters (an account's own), with
unmetered uses hanging where their water or power is drawn.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from compound import clock
from compound.errors import Conflict
from compound.i18n import gettext as _
from compound.register.models import Account, Building, Compound, Zone
from compound.register.service import changes, fields_of, page, unique_fallback
from meters.errors import MeterError
from meters.models import (
    EstimateRule,
    Meter,
    MeterRole,
    MeterStatus,
    ReadingKind,
    Seal,
    Transformer,
    UnmeteredUse,
    Utility,
)
from meters.readings import record_reading
from meters.schemas import (
    MeterCreate,
    MeterUpdate,
    TransformerCreate,
    TransformerUpdate,
    UnmeteredCreate,
    UnmeteredUpdate,
)
from meters.unmetered import ALL_RULE_FIELDS, RULE_FIELDS

# The utility an estimation rule measures in (fixed suits both).
RULE_UTILITY = {EstimateRule.lamps: Utility.electricity, EstimateRule.area: Utility.water}


def local_date(compound: Compound, at: datetime) -> date:
    """The calendar date of an instant in the compound's own timezone."""
    return at.astimezone(ZoneInfo(compound.timezone)).date()


def _scoped(session: Session, model: type[Any], *, compound: Compound, row_id: int | None) -> Any:
    if row_id is None:
        return None
    return session.exec(select(model).where(model.compound_id == compound.id, model.id == row_id)).first()


def _serial_taken(serial: str) -> str:
    return _("There is already a meter with serial %(serial)s in this compound.", serial=serial)


def _check_serial_free(
    session: Session, *, compound: Compound, serial: str, field: str = "serial", exclude_id: int | None = None
) -> None:
    q = select(Meter.id).where(Meter.compound_id == compound.id, Meter.serial == serial)
    if exclude_id is not None:
        q = q.where(Meter.id != exclude_id)
    if session.exec(q.limit(1)).first() is not None:
        raise Conflict(_serial_taken(serial), field=field)


# Meters: the rules of the tree


def _check_place(session: Session, *, compound: Compound, state: dict[str, Any]) -> None:
    """Account, building and zone of a meter as it will be saved; fills the zone in from the building."""
    role = MeterRole(state["role"])
    if role is MeterRole.billing and state.get("account_id") is None:
        raise MeterError(_("A billing meter needs the account it bills."), field="account_id")
    if role is not MeterRole.billing and state.get("account_id") is not None:
        raise MeterError(
            _("Only a billing meter belongs to an account; a %(role)s meter does not.", role=role), field="account_id"
        )
    if (
        state.get("account_id") is not None
        and _scoped(session, Account, compound=compound, row_id=state["account_id"]) is None
    ):
        raise MeterError(_("There is no account %(id)s in this compound.", id=state["account_id"]), field="account_id")
    building = _scoped(session, Building, compound=compound, row_id=state.get("building_id"))
    if state.get("building_id") is not None and building is None:
        raise MeterError(
            _("There is no building %(id)s in this compound.", id=state["building_id"]), field="building_id"
        )
    if state.get("zone_id") is None and building is not None:
        state["zone_id"] = building.zone_id
    elif state.get("zone_id") is not None:
        if _scoped(session, Zone, compound=compound, row_id=state["zone_id"]) is None:
            raise MeterError(_("There is no zone %(id)s in this compound.", id=state["zone_id"]), field="zone_id")
        if building is not None and building.zone_id != state["zone_id"]:
            raise MeterError(
                _("Building %(building)s is not in zone %(zone)s.", building=building.name, zone=state["zone_id"]),
                field="zone_id",
            )


def _check_parent(session: Session, *, compound: Compound, state: dict[str, Any], meter: Meter | None) -> None:
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
        parent = _scoped(session, Meter, compound=compound, row_id=parent_id)
        if parent is None:
            raise MeterError(
                _("There is no meter %(id)s in this compound to be the parent.", id=parent_id), field="parent_id"
            )
        _check_parent_meter(parent, utility=utility, field="parent_id")
    if transformer_id is not None:
        if utility is not Utility.electricity:
            raise MeterError(_("Only an electricity meter can hang on a transformer."), field="transformer_id")
        if _scoped(session, Transformer, compound=compound, row_id=transformer_id) is None:
            raise MeterError(
                _("There is no transformer %(id)s in this compound.", id=transformer_id), field="transformer_id"
            )
    if meter is not None and (parent_id is not None or transformer_id is not None):
        _check_no_cycle(session, compound=compound, meter=meter, parent_id=parent_id, transformer_id=transformer_id)


def _check_parent_meter(parent: Meter, *, utility: Utility, field: str) -> None:
    """A meter others hang under: the same utility, in service, and not an account's own meter."""
    if parent.utility != utility:
        raise MeterError(
            _(
                "Meter %(serial)s measures %(parent)s; it cannot be upstream of %(utility)s.",
                serial=parent.serial,
                parent=parent.utility,
                utility=utility,
            ),
            field=field,
        )
    if parent.role == MeterRole.billing:
        raise MeterError(
            _("Meter %(serial)s is a billing meter; nothing can hang under it.", serial=parent.serial), field=field
        )
    if parent.status == MeterStatus.removed:
        raise MeterError(_("Meter %(serial)s has been removed.", serial=parent.serial), field=field)


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


def _check_children(session: Session, *, compound: Compound, meter: Meter, state: dict[str, Any]) -> None:
    """A meter with others below it must stay able to carry them."""
    role = MeterRole(state["role"])
    has_meters = _has(session, Meter, compound, parent_id=meter.id, status=MeterStatus.active)
    feeds = _has(session, Transformer, compound, parent_meter_id=meter.id)
    has_uses = _has(session, UnmeteredUse, compound, parent_meter_id=meter.id)
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


def _has(session: Session, model: type[SQLModel], compound: Compound, **where: object) -> bool:
    q = select(model.id).where(model.compound_id == compound.id)
    for name, value in where.items():
        q = q.where(getattr(model, name) == value)
    return session.exec(q.limit(1)).first() is not None


def create_meter(session: Session, *, compound: Compound, data: MeterCreate) -> Meter:
    """A new meter in its place in the tree."""
    state = data.model_dump()
    _check_place(session, compound=compound, state=state)
    _check_parent(session, compound=compound, state=state, meter=None)
    _check_serial_free(session, compound=compound, serial=data.serial)
    meter = Meter(compound_id=compound.id, **state)
    with unique_fallback(session, {"serial": _serial_taken(data.serial)}):
        session.add(meter)
    return meter


def update_meter(session: Session, *, compound: Compound, meter: Meter, data: MeterUpdate) -> Meter:
    """Change what was sent, checked on the meter as it will be (role rules, parent, no loops, children)."""
    sent = changes(
        data, required=("serial", "role", "location", "multiplier", "dials", "walk_order", "hv_side", "status")
    )
    state = fields_of(meter) | sent
    if "building_id" in sent and "zone_id" not in sent:
        state["zone_id"] = None  # follow the new building's zone
    _check_status(session, compound=compound, meter=meter, state=state, sent=sent)
    # Only what the change touches: an old meter under a since-removed parent can still get a new location.
    if sent.keys() & {"role", "account_id", "building_id", "zone_id"}:
        _check_place(session, compound=compound, state=state)
    if sent.keys() & {"role", "parent_id", "transformer_id", "hv_side"}:
        _check_parent(session, compound=compound, state=state, meter=meter)
    _check_children(session, compound=compound, meter=meter, state=state)
    if "serial" in sent:
        _check_serial_free(session, compound=compound, serial=sent["serial"], exclude_id=meter.id)
    taken_out = meter.status == MeterStatus.active and state["status"] == MeterStatus.removed
    with unique_fallback(session, {"serial": _serial_taken(str(state["serial"]))}):
        for name in MeterUpdate.model_fields:
            setattr(meter, name, state[name])
    if taken_out:
        _break_on_removal(session, compound=compound, meter=meter, on=meter.removed_date, by="")
    return meter


def _check_status(
    session: Session, *, compound: Compound, meter: Meter, state: dict[str, Any], sent: dict[str, Any]
) -> None:
    """Out of service: a removal date (today by default). Back in: only if nothing replaced it."""
    if state["status"] == MeterStatus.removed:
        state["removed_date"] = state.get("removed_date") or local_date(compound, clock.now())
        return
    if "removed_date" in sent and sent["removed_date"] is not None:
        raise MeterError(_("Set the status to removed to give a removal date."), field="removed_date")
    if meter.status == MeterStatus.removed and _has(session, Meter, compound, replaces_id=meter.id):
        raise MeterError(
            _("Meter %(serial)s was replaced; it cannot come back into service.", serial=meter.serial), field="status"
        )
    state["removed_date"] = None


def get_meter(session: Session, *, compound: Compound, meter_id: int) -> Meter | None:
    return _scoped(session, Meter, compound=compound, row_id=meter_id)


def get_meter_by_serial(session: Session, *, compound: Compound, serial: str) -> Meter | None:
    return session.exec(select(Meter).where(Meter.compound_id == compound.id, Meter.serial == serial)).first()


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
    """The compound's meters by serial, filtered by whatever is given."""
    q = select(Meter).where(Meter.compound_id == compound.id)
    for column, value in (
        (Meter.utility, utility),
        (Meter.role, role),
        (Meter.building_id, building_id),
        (Meter.zone_id, zone_id),
        (Meter.account_id, account_id),
        (Meter.status, status),
    ):
        if value is not None:
            q = q.where(column == value)
    limit, offset = page(limit, offset)
    return list(session.exec(q.order_by(Meter.serial, Meter.id).limit(limit).offset(offset)))


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


# Replacement


def replace_meter(
    session: Session,
    *,
    compound: Compound,
    meter: Meter,
    final_value: object,
    new_serial: str,
    new_value: object,
    at: datetime,
    read_by: str = "",
    new_multiplier: int | None = None,
    new_dials: int | None = None,
    note: str = "",
    confirm: tuple[str, ...] | list[str] = (),
    rollover: bool = False,
) -> Meter:
    """Swap a meter: the old one's final reading, the new one in its place with its first reading. Returns the new.

    Use stays continuous: the old meter's use up to its final reading, then the new one's after its initial
    reading (which counts nothing). A refused final reading refuses the whole replacement.
    """
    if at.tzinfo is None:  # a time without an offset is the compound's local time, as for any reading
        at = at.replace(tzinfo=ZoneInfo(compound.timezone))
    multiplier = meter.multiplier if new_multiplier is None else new_multiplier
    dials = meter.dials if new_dials is None else new_dials
    if multiplier < 1:
        raise MeterError(_("The multiplier must be 1 or more."), field="new_multiplier")
    if not 1 <= dials <= 12:
        raise MeterError(_("A meter has from 1 to 12 dials."), field="new_dials")
    if not new_serial.strip():
        raise MeterError(_("Give the new meter's serial."), field="new_serial")
    _check_serial_free(session, compound=compound, serial=new_serial, field="new_serial")
    now = clock.now()
    record_reading(
        session,
        compound=compound,
        meter=meter,
        value=final_value,
        read_at=at,
        read_by=read_by,
        note=note,
        rollover=rollover,
        confirm=confirm,
        kind=ReadingKind.final,
        now=now,
    )
    swap_date = local_date(compound, at)
    meter.status, meter.removed_date = MeterStatus.removed, swap_date
    new = _successor(meter, serial=new_serial, multiplier=multiplier, dials=dials, installed=swap_date)
    try:
        with unique_fallback(session, {"serial": _serial_taken(new_serial)}):
            session.add(new)
    except Conflict as exc:
        raise Conflict(exc.message, field="new_serial") from None
    record_reading(
        session,
        compound=compound,
        meter=new,
        value=new_value,
        read_at=at,
        read_by=read_by,
        note=note,
        kind=ReadingKind.initial,
        now=now,
    )
    _move_children(session, compound=compound, old=meter, new=new)
    _break_on_removal(session, compound=compound, meter=meter, on=swap_date, by=read_by)
    return new


def _successor(meter: Meter, *, serial: str, multiplier: int, dials: int, installed: date) -> Meter:
    """The new meter in the old one's place: same account, parent, building, round position."""
    keep = (
        "compound_id",
        "utility",
        "location",
        "role",
        "account_id",
        "parent_id",
        "transformer_id",
        "building_id",
        "zone_id",
        "walk_order",
        "hv_side",
    )
    return Meter(
        **{name: getattr(meter, name) for name in keep},
        serial=serial,
        multiplier=multiplier,
        dials=dials,
        installed_date=installed,
        replaces_id=meter.id,
    )


def _move_children(session: Session, *, compound: Compound, old: Meter, new: Meter) -> None:
    """Everything that hung under the old meter now hangs under the new one (set-based)."""
    for table, column in (
        (Meter.__table__, "parent_id"),
        (Transformer.__table__, "parent_meter_id"),
        (UnmeteredUse.__table__, "parent_meter_id"),
    ):
        session.execute(
            sa.update(table)
            .where(table.c.compound_id == compound.id, table.c[column] == old.id)
            .values({column: new.id})
        )
    session.expire_all()


def _break_on_removal(session: Session, *, compound: Compound, meter: Meter, on: date, by: str) -> None:
    """A meter taken out keeps no intact seal."""
    seal = intact_seal(session, compound=compound, meter=meter)
    if seal is not None:
        seal.broken_date, seal.broken_by = max(on, seal.sealed_date), by or "-"
        seal.broken_note = _("Meter taken out")
        session.flush()


# Seals


def intact_seal(session: Session, *, compound: Compound, meter: Meter) -> Seal | None:
    return session.exec(
        select(Seal).where(Seal.compound_id == compound.id, Seal.meter_id == meter.id, Seal.broken_date.is_(None))
    ).first()  # type: ignore[union-attr]


def list_seals(session: Session, *, compound: Compound, meter: Meter) -> list[Seal]:
    """The meter's seals, newest first."""
    return list(
        session.exec(
            select(Seal)
            .where(Seal.compound_id == compound.id, Seal.meter_id == meter.id)
            .order_by(Seal.sealed_date.desc(), Seal.id.desc())
        )
    )  # type: ignore[attr-defined]


def add_seal(
    session: Session, *, compound: Compound, meter: Meter, number: str, sealed_date: date, sealed_by: str
) -> Seal:
    """Seal a meter in service; it may carry only one intact seal at a time."""
    # Two clerks sealing the same meter at once: the second waits here and then sees the first's seal.
    session.execute(sa.select(Meter.__table__.c.id).where(Meter.__table__.c.id == meter.id).with_for_update())
    if meter.status == MeterStatus.removed:
        raise MeterError(_("Meter %(serial)s was removed; it cannot be sealed.", serial=meter.serial), field="meter_id")
    if sealed_date > local_date(compound, clock.now()):
        raise MeterError(
            _("The sealing date %(date)s is in the future.", date=sealed_date.isoformat()), field="sealed_date"
        )
    if meter.installed_date and sealed_date < meter.installed_date:
        raise MeterError(
            _(
                "The sealing date %(date)s is before the meter was installed (%(installed)s).",
                date=sealed_date.isoformat(),
                installed=meter.installed_date.isoformat(),
            ),
            field="sealed_date",
        )
    if (current := intact_seal(session, compound=compound, meter=meter)) is not None:
        raise Conflict(
            _(
                "Meter %(serial)s already has intact seal %(number)s (sealed %(date)s); record it broken first.",
                serial=meter.serial,
                number=current.number,
                date=current.sealed_date.isoformat(),
            ),
            field="number",
        )
    seal = Seal(compound_id=compound.id, meter_id=meter.id, number=number, sealed_date=sealed_date, sealed_by=sealed_by)
    session.add(seal)
    session.flush()
    return seal


def break_seal(
    session: Session, *, compound: Compound, seal: Seal, broken_date: date, broken_by: str, note: str = ""
) -> Seal:
    """Record an intact seal as broken: when, by whom, why."""
    if seal.compound_id != compound.id:
        raise MeterError(_("No such seal."), field="seal_id")
    if seal.broken_date is not None:
        raise Conflict(
            _("Seal %(number)s was already broken on %(date)s.", number=seal.number, date=seal.broken_date.isoformat()),
            field="seal_id",
        )
    if broken_date < seal.sealed_date:
        raise MeterError(
            _(
                "The seal was put on %(sealed)s; it cannot be broken before that (%(date)s).",
                sealed=seal.sealed_date.isoformat(),
                date=broken_date.isoformat(),
            ),
            field="broken_date",
        )
    if broken_date > local_date(compound, clock.now()):
        raise MeterError(_("The date %(date)s is in the future.", date=broken_date.isoformat()), field="broken_date")
    seal.broken_date, seal.broken_by, seal.broken_note = broken_date, broken_by, note
    session.flush()
    return seal


# Transformers


def _transformer_name_taken(name: str) -> str:
    return _("There is already a transformer named %(name)s in this compound.", name=name)


def _check_feeder(session: Session, *, compound: Compound, meter_id: int) -> None:
    feeder = _scoped(session, Meter, compound=compound, row_id=meter_id)
    if feeder is None:
        raise MeterError(
            _("There is no meter %(id)s in this compound to feed the transformer.", id=meter_id),
            field="parent_meter_id",
        )
    if feeder.utility != Utility.electricity or feeder.role != MeterRole.utility:
        raise MeterError(
            _(
                "Meter %(serial)s is not an electricity utility meter; only one can feed a transformer.",
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


# Unmetered uses


def _use_name_taken(name: str) -> str:
    return _("There is already an unmetered use named %(name)s in this compound.", name=name)


def _check_unmetered(session: Session, *, compound: Compound, state: dict[str, Any]) -> None:
    """The rule's figures are all there (the others are cleared), and the use hangs under a meter of its utility."""
    rule, utility = EstimateRule(state["rule"]), Utility(state["utility"])
    if rule in RULE_UTILITY and RULE_UTILITY[rule] is not utility:
        raise MeterError(
            _(
                "The %(rule)s rule estimates %(right)s, not %(utility)s.",
                rule=rule,
                right=RULE_UTILITY[rule],
                utility=utility,
            ),
            field="rule",
        )
    for name in RULE_FIELDS[rule]:
        if state.get(name) is None:
            raise MeterError(_("The %(rule)s rule needs %(field)s.", rule=rule, field=name), field=name)
    for name in ALL_RULE_FIELDS:
        if name not in RULE_FIELDS[rule]:
            state[name] = None
    start, end = state.get("active_from_date"), state.get("active_to_date")
    if start and end and end < start:
        raise MeterError(
            _(
                "The last active day %(end)s is before the first %(start)s.",
                end=end.isoformat(),
                start=start.isoformat(),
            ),
            field="active_to_date",
        )
    if state.get("parent_meter_id") is not None:
        parent = _scoped(session, Meter, compound=compound, row_id=state["parent_meter_id"])
        if parent is None:
            raise MeterError(
                _("There is no meter %(id)s in this compound to be the parent.", id=state["parent_meter_id"]),
                field="parent_meter_id",
            )
        _check_parent_meter(parent, utility=utility, field="parent_meter_id")
    if state.get("zone_id") is not None and _scoped(session, Zone, compound=compound, row_id=state["zone_id"]) is None:
        raise MeterError(_("There is no zone %(id)s in this compound.", id=state["zone_id"]), field="zone_id")


def _check_use_name(session: Session, *, compound: Compound, name: str, exclude_id: int | None) -> None:
    q = select(UnmeteredUse.id).where(UnmeteredUse.compound_id == compound.id, UnmeteredUse.name == name)
    if exclude_id is not None:
        q = q.where(UnmeteredUse.id != exclude_id)
    if session.exec(q.limit(1)).first() is not None:
        raise Conflict(_use_name_taken(name), field="name")


def create_unmetered(session: Session, *, compound: Compound, data: UnmeteredCreate) -> UnmeteredUse:
    """An unmetered use with its estimation rule; every figure the rule needs must be given."""
    state = data.model_dump()
    _check_unmetered(session, compound=compound, state=state)
    _check_use_name(session, compound=compound, name=data.name, exclude_id=None)
    use = UnmeteredUse(compound_id=compound.id, **state)
    with unique_fallback(session, {"name": _use_name_taken(data.name)}):
        session.add(use)
    return use


def update_unmetered(session: Session, *, compound: Compound, use: UnmeteredUse, data: UnmeteredUpdate) -> UnmeteredUse:
    sent = changes(data, required=("name", "category", "rule"))
    state = fields_of(use) | sent
    _check_unmetered(session, compound=compound, state=state)
    if "name" in sent:
        _check_use_name(session, compound=compound, name=sent["name"], exclude_id=use.id)
    with unique_fallback(session, {"name": _use_name_taken(str(state["name"]))}):
        for name in UnmeteredUpdate.model_fields:
            setattr(use, name, state[name])
    return use


def list_unmetered(session: Session, *, compound: Compound, utility: Utility | None = None) -> list[UnmeteredUse]:
    q = select(UnmeteredUse).where(UnmeteredUse.compound_id == compound.id)
    if utility is not None:
        q = q.where(UnmeteredUse.utility == utility)
    return list(session.exec(q.order_by(UnmeteredUse.name)))


# The tree

_ROLE_ORDER = {MeterRole.utility: 0, MeterRole.check: 1, MeterRole.billing: 2}
_KIND_ORDER = {"transformer": 0, "meter": 1, "unmetered": 2}


def _meter_node(m: Meter) -> dict[str, Any]:
    return {
        "kind": "meter",
        "id": m.id,
        "label": m.serial,
        "serial": m.serial,
        "role": MeterRole(m.role),
        "estimated": False,
        "status": MeterStatus(m.status),
        "location": m.location,
        "account_id": m.account_id,
        "multiplier": m.multiplier,
        "children": [],
        "_sort": (_ROLE_ORDER[MeterRole(m.role)], m.walk_order, m.serial),
    }


def _transformer_node(t: Transformer) -> dict[str, Any]:
    return {
        "kind": "transformer",
        "id": t.id,
        "label": t.name,
        "name": t.name,
        "role": None,
        "estimated": False,
        "rated_kva": Decimal(t.rated_kva),
        "children": [],
        "_sort": (0, 0, t.name),
    }


def _unmetered_node(u: UnmeteredUse) -> dict[str, Any]:
    return {
        "kind": "unmetered",
        "id": u.id,
        "label": u.name,
        "name": u.name,
        "role": None,
        "estimated": True,
        "category": u.category,
        "rule": u.rule,
        "children": [],
        "_sort": (0, 0, u.name),
    }


def meter_tree(
    session: Session, *, compound: Compound, utility: Utility, include_removed: bool = False
) -> list[dict[str, Any]]:
    """The utility's tree as nested nodes: utility meters → transformers → check meters → billing meters, with
    unmetered uses (estimated: true) where they hang. Anything whose parent is unknown is a root."""
    mq = select(Meter).where(Meter.compound_id == compound.id, Meter.utility == utility)
    if not include_removed:
        mq = mq.where(Meter.status == MeterStatus.active)
    rows = list(session.exec(mq))
    meters = {m.id: _meter_node(m) for m in rows}
    parents = {m.id: (m.parent_id, m.transformer_id) for m in rows}
    transformers: dict[int, dict[str, Any]] = {}
    feeders: dict[int, int | None] = {}
    if utility == Utility.electricity:
        for t in session.exec(select(Transformer).where(Transformer.compound_id == compound.id)):
            transformers[t.id], feeders[t.id] = _transformer_node(t), t.parent_meter_id
    uses = list(
        session.exec(
            select(UnmeteredUse).where(UnmeteredUse.compound_id == compound.id, UnmeteredUse.utility == utility)
        )
    )
    roots: list[dict[str, Any]] = []

    def attach(node: dict[str, Any], parent: dict[str, Any] | None) -> None:
        (parent["children"] if parent is not None else roots).append(node)

    for tid, node in transformers.items():
        attach(node, meters.get(feeders[tid]))
    for mid, node in meters.items():
        parent_id, transformer_id = parents[mid]
        attach(node, meters.get(parent_id) if parent_id is not None else transformers.get(transformer_id))
    for u in uses:
        attach(_unmetered_node(u), meters.get(u.parent_meter_id))
    return _sorted(roots)


def _sorted(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nodes.sort(
        key=lambda n: (
            _KIND_ORDER[n["kind"]] if n["kind"] != "meter" or n["role"] != MeterRole.utility else -1,
            n["_sort"],
        )
    )
    for node in nodes:
        node.pop("_sort", None)
        _sorted(node["children"])
    return nodes
