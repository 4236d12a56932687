"""Replacing a meter: the old one's final reading, the new one in its place with its first reading, and
everything that hung under the old meter moved to the new one."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from compound.register.service import unique_fallback
from meters.errors import MeterError, ReadingProblems
from meters.models import Meter, MeterStatus, ReadingKind, Transformer, UnmeteredUse
from meters.readings.service import record_reading
from meters.register.lookups import check_serial_free, serial_taken
from meters.register.seals import break_on_removal


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
        at = at.replace(tzinfo=clock.tz_of(compound))
    multiplier = meter.multiplier if new_multiplier is None else new_multiplier
    dials = meter.dials if new_dials is None else new_dials
    if multiplier < 1:
        raise MeterError(_("The multiplier must be 1 or more."), field="new_multiplier")
    if not 1 <= dials <= 12:
        raise MeterError(_("A meter has from 1 to 12 dials."), field="new_dials")
    if not new_serial.strip():
        raise MeterError(_("Give the new meter's serial."), field="new_serial")
    check_serial_free(session, compound=compound, serial=new_serial, field="new_serial")
    now = clock.now()
    with _which_reading("final"):
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
    swap_date = clock.local_date(at, clock.tz_of(compound))
    meter.status, meter.removed_date = MeterStatus.removed, swap_date
    new = _successor(meter, serial=new_serial, multiplier=multiplier, dials=dials, installed=swap_date)
    try:
        with unique_fallback(session, {"serial": serial_taken(new_serial)}):
            session.add(new)
    except Conflict as exc:
        raise Conflict(exc.message, field="new_serial") from None
    with _which_reading("initial"):
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
    break_on_removal(session, compound=compound, meter=meter, on=swap_date, by=read_by)
    return new


@contextmanager
def _which_reading(which: str) -> Iterator[None]:
    """A refused reading says which of the two it was ("final" or "initial"): both name the field `value`."""
    try:
        yield
    except ReadingProblems as exc:
        exc.extra["reading"] = which
        raise


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
