"""The round sheet: a building's or zone's meters in walking order, with what a reader needs to see.

Built for speed (a reader's phone on a slow line, a 200-meter block): Core selects returning tuples,
one query for the whole sheet, integer arithmetic per row.
"""

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from compound.kit.errors import NotFound
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Building, Compound, Zone
from meters.models import Meter, MeterRole, MeterStatus, Reading, ReadingSource
from meters.quantity import MILLI
from meters.readings.service import AVERAGE_WINDOW, MIN_AVERAGE_SECONDS
from meters.readings.validation import SPIKE_MIN_SECONDS

R = Reading.__table__.c
M = Meter.__table__.c
B = Building.__table__.c
Z = Zone.__table__.c
A = Account.__table__.c

_ESTIMATED = ReadingSource.estimated.value
# A building's own meters (its check meter, a utility meter) first, then the accounts' meters in walking order:
# never a block's total between one flat's water and electricity meters.
SHEET_ORDER = (sa.case((M.role == MeterRole.billing.value, 1), else_=0), M.walk_order, M.serial)


class SheetRow(NamedTuple):
    meter_id: int
    serial: str
    location: str
    utility: str
    dials: int
    multiplier: int
    last_value: int | None  # thousandths, the last real reading
    last_at: datetime | None
    last_text: str  # last_value for people ("1234.5")
    last_local: str  # last_at in the compound's timezone, "YYYY-MM-DD"
    low: int | None  # expected range for a reading taken now, thousandths on the dials
    high: int | None
    range_text: str  # "low – high", or "" without enough history
    estimate_local: str  # the date of an estimate that stands, "" when none
    read_this_month: bool


class Place(NamedTuple):
    """What a sheet covers: one building or one zone."""

    compound_id: int
    name: str
    building_id: int | None = None
    zone_id: int | None = None

    @property
    def path(self) -> str:
        kind, pid = ("building", self.building_id) if self.building_id is not None else ("zone", self.zone_id)
        return f"/c/{self.compound_id}/rounds/{kind}/{pid}"


def sheet_place(
    session: Session, *, compound: Compound, building_id: int | None = None, zone_id: int | None = None
) -> Place:
    """The building or zone of a sheet, or NotFound (the same for one of another compound)."""
    if building_id is not None:
        name = session.execute(sa.select(B.name).where(B.compound_id == compound.id, B.id == building_id)).scalar()
        if name is None:
            raise NotFound(_("No such building."), field="building_id")
        return Place(compound.id, name, building_id=building_id)
    name = session.execute(sa.select(Z.name).where(Z.compound_id == compound.id, Z.id == zone_id)).scalar()
    if name is None:
        raise NotFound(_("No such zone."), field="zone_id")
    return Place(compound.id, name, zone_id=zone_id)


def _on_sheet(compound_id: object, building_id: object, zone_id: object) -> list[sa.ColumnElement[bool]]:
    """The active meters of a building, or of a zone (directly or through its buildings)."""
    where = [M.compound_id == compound_id, M.status == MeterStatus.active.value]
    if building_id is not None:
        where.append(M.building_id == building_id)
    if zone_id is not None:
        in_zone = sa.select(B.id).where(B.compound_id == compound_id, B.zone_id == zone_id)
        where.append(sa.or_(M.zone_id == zone_id, M.building_id.in_(in_zone)))
    return where


@lru_cache(maxsize=2)
def _sheet_query(by_building: bool) -> sa.Select:
    """Meters with their last real reading, a standing estimate and their recent use, in one statement.

    Built once per process with bound parameters (cid, place, since): a sheet costs no statement building.
    """
    cid = sa.bindparam("cid")
    place = sa.bindparam("place")
    where = _on_sheet(cid, place if by_building else None, None if by_building else place)
    meter = Meter.__table__
    # The newest real reading of each meter, found backwards through the (meter_id, read_at) index.
    last_id = (
        sa.select(R.id)
        .where(R.meter_id == M.id, R.compound_id == cid, R.source != _ESTIMATED)
        .order_by(R.read_at.desc(), R.id.desc())
        .limit(1)
        .correlate(meter)
        .scalar_subquery()
    )
    last = Reading.__table__.alias("last")
    # An estimate comes after every reading, and a real reading supersedes every estimate: one that
    # still counts is newer than the last real reading, so only that end of the index is searched.
    est = Reading.__table__.alias("est")
    estimate_at = (
        sa.select(sa.func.max(est.c.read_at))
        .where(
            est.c.meter_id == M.id,
            est.c.compound_id == cid,
            est.c.read_at > last.c.read_at,
            est.c.source == _ESTIMATED,
            est.c.superseded_by_id.is_(None),
        )
        .correlate(meter, last)
        .scalar_subquery()
    )
    # The same average as meters.readings.service._averages: real readings of the last year (estimates would echo it).
    return (
        sa.select(
            M.id,
            M.serial,
            M.location,
            M.utility,
            M.dials,
            M.multiplier,
            last.c.value_milli,
            last.c.read_at,
            sa.func.sum(R.consumption_milli),
            sa.func.sum(R.period_seconds),
            estimate_at,
        )
        .select_from(meter)
        .outerjoin(last, last.c.id == last_id)
        # LEFT JOINs keep the sheet's meters the outer loop: readings are reached through (meter_id, read_at).
        .outerjoin(
            Reading.__table__,
            sa.and_(
                R.meter_id == M.id,
                R.compound_id == M.compound_id,
                R.read_at >= sa.bindparam("since"),
                R.source != _ESTIMATED,
                R.consumption_milli.is_not(None),
                R.period_seconds.is_not(None),
            ),
        )
        .where(*where)
        .group_by(M.compound_id, M.id, last.c.value_milli, last.c.read_at)  # the key: every meter column follows
        .order_by(*SHEET_ORDER)
    )


def _fmt(milli: int) -> str:
    """meters.quantity.fmt for a non-negative value, in integer arithmetic (it runs three times per meter)."""
    units, rest = divmod(milli, MILLI)
    return f"{units}.{rest:03d}".rstrip("0") if rest else str(units)


def _expected(
    last: int, used: int | None, seconds: int | None, elapsed: int, multiplier: int, spike_hundredths: int
) -> tuple[int | None, int | None]:
    """From the last value up to the spike threshold of the meter's average use over `elapsed` seconds."""
    if used is None or not seconds or seconds < MIN_AVERAGE_SECONDS or used <= 0 or elapsed <= 0:
        return None, None
    # Dial thousandths allowed before a reading counts as a spike, rounded up to a whole unit on the dials; a
    # reading within a day of the last is allowed a day's use, as the spike rule does.
    elapsed = max(elapsed, SPIKE_MIN_SECONDS)
    allowed = -(-used * elapsed * spike_hundredths // (seconds * 100 * multiplier))
    high = -(-(last + allowed) // MILLI) * MILLI
    return last, high


def round_sheet(
    session: Session, *, compound: Compound, building_id: int | None = None, zone_id: int | None = None, now: datetime
) -> list[SheetRow]:
    """The sheet of one building or zone: its active meters in walking order (walk_order, then serial)."""
    tz = clock.tz_of(compound)
    month_start = now.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    spike_hundredths = int(compound.spike_factor * 100)
    days: dict[datetime, str] = {}  # a round's readings share a handful of times

    def local_day(at: datetime) -> str:
        if (day := days.get(at)) is None:
            day = days[at] = at.astimezone(tz).date().isoformat()
        return day

    rows = []
    params = {
        "cid": compound.id,
        "place": building_id if building_id is not None else zone_id,
        "since": now - AVERAGE_WINDOW,
    }
    result = session.execute(_sheet_query(building_id is not None), params)
    for mid, serial, location, utility, dials, multiplier, value, at, used, seconds, est_at in result:
        if value is None:
            rows.append(
                SheetRow(
                    mid, serial, location, utility, dials, multiplier, None, None, "", "", None, None, "", "", False
                )
            )
            continue
        low, high = _expected(value, used, seconds, int((now - at).total_seconds()), multiplier, spike_hundredths)
        rows.append(
            SheetRow(
                mid,
                serial,
                location,
                utility,
                dials,
                multiplier,
                value,
                at,
                _fmt(value),
                local_day(at),
                low,
                high,
                f"{_fmt(low)} – {_fmt(high)}" if high is not None and low is not None else "",
                local_day(est_at) if est_at is not None else "",
                at >= month_start,
            )
        )
    return rows


def sheet_meter_ids(
    session: Session, *, compound: Compound, building_id: int | None = None, zone_id: int | None = None
) -> set[int]:
    """The ids of the active meters on a sheet: a posted value for any other meter is ignored."""
    return set(session.execute(sa.select(M.id).where(*_on_sheet(compound.id, building_id, zone_id))).scalars())


class BuildingMeter(NamedTuple):
    meter_id: int
    serial: str
    utility: str
    role: str
    location: str
    status: str
    multiplier: int
    account_code: str | None
    account_name: str | None


def building_meters(session: Session, *, compound_id: int, building_id: int) -> list[BuildingMeter]:
    """Every meter of a building, removed ones too, in walking order, with the account each bills."""
    q = (
        sa.select(M.id, M.serial, M.utility, M.role, M.location, M.status, M.multiplier, A.code, A.name)
        .select_from(Meter.__table__)
        .outerjoin(Account.__table__, sa.and_(A.id == M.account_id, A.compound_id == M.compound_id))
        .where(M.compound_id == compound_id, M.building_id == building_id)
        .order_by(*SHEET_ORDER)
    )
    return [BuildingMeter(*row) for row in session.execute(q)]


def zone_buildings(session: Session, *, compound: Compound, zone_id: int | None) -> list[tuple[int, str]]:
    """The buildings of a zone, by name (a zone sheet's filter)."""
    q = sa.select(B.id, B.name).where(B.compound_id == compound.id, B.zone_id == zone_id).order_by(B.name)
    return [(bid, name) for bid, name in session.execute(q)]
