"""Correcting a wrong reading: never an edit. A new reading takes its place and points at the one it corrects."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit.errors import Conflict, NotFound
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Meter, Reading, ReadingKind, ReadingSource
from meters.readings.service import _lock_meter, record_reading

R = Reading.__table__.c


def correct_reading(
    session: Session,
    *,
    compound: Compound,
    meter: Meter,
    reading_id: int,
    value: object,
    read_at: datetime | None = None,
    note: str = "",
    read_by: str = "",
    rollover: bool = False,
    confirm=(),
    now: datetime | None = None,
) -> Reading:
    """Replace the meter's latest real reading by a corrected one; the wrong one stays, superseded."""
    wrong = session.get(Reading, reading_id)
    if wrong is None or wrong.compound_id != compound.id or wrong.meter_id != meter.id:
        raise NotFound(_("No such reading."), field="reading_id")
    _lock_meter(session, meter)
    if wrong.superseded_by_id is not None:
        raise Conflict(_("This reading was already corrected or superseded."), field="reading_id")
    if wrong.source == ReadingSource.estimated:
        raise Conflict(
            _("An estimate is not corrected: enter the real reading and it replaces the estimate."), field="reading_id"
        )
    if wrong.kind != ReadingKind.regular:
        raise Conflict(_("The first and last readings of a replacement cannot be corrected here."), field="reading_id")
    newest_at = session.execute(
        sa.select(sa.func.max(R.read_at)).where(
            R.compound_id == compound.id,
            R.meter_id == meter.id,
            R.source != ReadingSource.estimated.value,
            R.superseded_by_id.is_(None),
        )
    ).scalar_one()
    if newest_at != wrong.read_at:
        raise Conflict(
            _("Only the meter's latest reading can be corrected; later readings were taken after it."),
            field="reading_id",
        )
    # Out of the count while the correction is checked against the reading before it.
    wrong.superseded_by_id = wrong.id
    session.flush()
    fixed = record_reading(
        session,
        compound=compound,
        meter=meter,
        value=value,
        read_at=read_at or wrong.read_at,
        read_by=read_by,
        note=note,
        rollover=rollover,
        confirm=confirm,
        source=wrong.source,
        now=now,
        corrects=wrong,
    )
    wrong.superseded_by_id = fixed.id
    session.flush()
    return fixed
