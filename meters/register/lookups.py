"""Small lookups the meter register's services share: a row of the compound by id, whether any row matches,
whether a serial is free, and the compound's own calendar date."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel, select

from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Meter


def local_date(compound: Compound, at: datetime) -> date:
    """The calendar date of an instant in the compound's own timezone."""
    return at.astimezone(ZoneInfo(compound.timezone)).date()


def scoped_row(session: Session, model: type[Any], *, compound: Compound, row_id: int | None) -> Any:
    if row_id is None:
        return None
    return session.exec(select(model).where(model.compound_id == compound.id, model.id == row_id)).first()


def has_row(session: Session, model: type[SQLModel], compound: Compound, **where: object) -> bool:
    q = select(model.id).where(model.compound_id == compound.id)
    for name, value in where.items():
        q = q.where(getattr(model, name) == value)
    return session.exec(q.limit(1)).first() is not None


def serial_taken(serial: str) -> str:
    return _("There is already a meter with serial %(serial)s in this compound.", serial=serial)


def check_serial_free(
    session: Session, *, compound: Compound, serial: str, field: str = "serial", exclude_id: int | None = None
) -> None:
    q = select(Meter.id).where(Meter.compound_id == compound.id, Meter.serial == serial)
    if exclude_id is not None:
        q = q.where(Meter.id != exclude_id)
    if session.exec(q.limit(1)).first() is not None:
        raise Conflict(serial_taken(serial), field=field)
