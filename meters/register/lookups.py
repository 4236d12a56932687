"""Small lookups the meter register's services share: a row of the compound by id, whether any row matches,
whether a serial is free, and the compound's own calendar date."""

import sqlalchemy as sa
from sqlmodel import Session, select

from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Meter


def serial_taken(serial: str) -> str:
    return _("There is already a meter with serial %(serial)s in this compound.", serial=serial)


def check_serial_free(
    session: Session, *, compound: Compound, serial: str, field: str = "serial", exclude_id: int | None = None
) -> None:
    """A serial is free when no other meter of the compound has it, whatever the case (w-1 is W-1)."""
    q = select(Meter.id).where(Meter.compound_id == compound.id, sa.func.lower(Meter.serial) == sa.func.lower(serial))
    if exclude_id is not None:
        q = q.where(Meter.id != exclude_id)
    if session.exec(q.limit(1)).first() is not None:
        raise Conflict(serial_taken(serial), field=field)
