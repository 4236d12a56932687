"""Seals on meters: a meter in service carries at most one intact seal; a broken seal records when, by whom
and why. A meter taken out of service keeps no intact seal."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from compound.kit import clock
from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from compound.register.service import unique_fallback
from meters.errors import MeterError
from meters.models import Meter, MeterStatus, Seal


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
    if sealed_date > clock.today(compound):
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
    if (elsewhere := intact_elsewhere(session, compound=compound, number=number)) is not None:
        raise Conflict(_seal_number_taken(number, elsewhere), field="number")
    seal = Seal(compound_id=compound.id, meter_id=meter.id, number=number, sealed_date=sealed_date, sealed_by=sealed_by)
    # Two fitters giving one number to two meters at once: the unique index refuses the second.
    with unique_fallback(session, {"number": _seal_number_taken(number, "")}):
        session.add(seal)
    return seal


def intact_elsewhere(session: Session, *, compound: Compound, number: str) -> str | None:
    """The serial of the meter that carries an intact seal with this number (any case), or None."""
    s, m = Seal.__table__.c, Meter.__table__.c
    return session.execute(
        sa.select(m.serial)
        .join(Seal.__table__, sa.and_(s.compound_id == m.compound_id, s.meter_id == m.id))
        .where(s.compound_id == compound.id, s.broken_date.is_(None), sa.func.lower(s.number) == sa.func.lower(number))
        .limit(1)
    ).scalar()


def _seal_number_taken(number: str, serial: str) -> str:
    if not serial:
        return _("Seal %(number)s is already intact on another meter.", number=number)
    return _(
        "Seal %(number)s is already intact on meter %(serial)s: a seal number is on one meter at a time "
        "(record that seal broken first).",
        number=number,
        serial=serial,
    )


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
    if broken_date > clock.today(compound):
        raise MeterError(_("The date %(date)s is in the future.", date=broken_date.isoformat()), field="broken_date")
    seal.broken_date, seal.broken_by, seal.broken_note = broken_date, broken_by, note
    session.flush()
    return seal


def break_on_removal(session: Session, *, compound: Compound, meter: Meter, on: date, by: str) -> None:
    """A meter taken out keeps no intact seal."""
    seal = intact_seal(session, compound=compound, meter=meter)
    if seal is not None:
        seal.broken_date, seal.broken_by = max(on, seal.sealed_date), by or "-"
        seal.broken_note = "meter taken out"  # stored: the same words whatever language the request used
        session.flush()
