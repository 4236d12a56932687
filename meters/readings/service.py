"""Recording readings: the last-reading state of meters, one reading, estimates and their superseding."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session

from compound.kit import clock
from compound.kit.errors import NotFound
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.errors import NeedsConfirmation, ReadingRefused
from meters.models import Meter, MeterStatus, Reading, ReadingKind, ReadingSource, Utility
from meters.quantity import fmt, rollover_milli
from meters.readings.validation import (
    FUTURE_TOLERANCE,
    UNITS,
    Code,
    MeterState,
    Problem,
    Verdict,
    check,
    show_time,
)

AVERAGE_WINDOW = timedelta(days=365)
# Fewer days of history than this and the average says too little to call anything a spike.
MIN_AVERAGE_SECONDS = 20 * 86400

R = Reading.__table__.c
M = Meter.__table__.c


def _check_meter(compound: Compound, meter: Meter) -> None:
    # A caller that loaded the meter without scoping it must not write into another compound.
    if meter.compound_id != compound.id:
        raise NotFound(_("No such meter."), field="meter_id")


def _last_readings(compound_id: int, meter_ids: list[int] | None, *, real_only: bool, dialect: str = "") -> sa.Select:
    """The newest reading of each meter: real ones only, or every reading still counted.

    A meter never has two counted readings at one time (the duplicate rule), so "newest" is unambiguous;
    each database gets the form it runs fastest (an import asks this for 100,000 meters at once).
    """
    counted = R.superseded_by_id.is_(None)
    keep = sa.and_(R.source != ReadingSource.estimated.value, counted) if real_only else counted
    scope = [R.compound_id == compound_id, keep]
    if meter_ids is not None:
        scope.append(R.meter_id.in_(meter_ids))
    if dialect == "sqlite":
        # SQLite takes the bare columns from the row holding MAX(): one pass over the (meter, time) index.
        return (
            sa.select(R.meter_id, R.value_milli, sa.func.max(R.read_at).label("read_at"))
            .where(*scope)
            .group_by(R.meter_id)
        )
    if dialect == "postgresql":
        return (
            sa.select(R.meter_id, R.value_milli, R.read_at)
            .where(*scope)
            .ext(distinct_on(R.meter_id))
            .order_by(R.meter_id, R.read_at.desc(), R.id.desc())
        )
    ranked = sa.select(
        R.meter_id,
        R.value_milli,
        R.read_at,
        sa.func.row_number().over(partition_by=R.meter_id, order_by=(R.read_at.desc(), R.id.desc())).label("rn"),
    ).where(R.compound_id == compound_id, keep)
    if meter_ids is not None:
        ranked = ranked.where(R.meter_id.in_(meter_ids))
    sub = ranked.subquery()
    return sa.select(sub.c.meter_id, sub.c.value_milli, sub.c.read_at).where(sub.c.rn == 1)


def _averages(compound_id: int, meter_ids: list[int] | None, since: datetime) -> sa.Select:
    """Σ use and Σ seconds of each meter's real readings since `since`.

    Estimates are left out: they are made from this very average, so counting them would only echo it back.
    """
    q = (
        sa.select(R.meter_id, sa.func.sum(R.consumption_milli), sa.func.sum(R.period_seconds))
        .where(
            R.compound_id == compound_id,
            R.source != ReadingSource.estimated.value,
            R.superseded_by_id.is_(None),
            R.consumption_milli.is_not(None),
            R.period_seconds.is_not(None),
            R.read_at >= since,
        )
        .group_by(R.meter_id)
    )
    return q.where(R.meter_id.in_(meter_ids)) if meter_ids is not None else q


def load_states(
    session: Session,
    *,
    compound_id: int,
    meter_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    real_only: bool = True,
) -> dict[int, MeterState]:
    """MeterState of many meters in three set-based queries (None: every meter of the compound)."""
    now = now or clock.now()
    ids = list(meter_ids) if meter_ids is not None else None
    meters = sa.select(M.id, M.serial, M.dials, M.multiplier, M.status, M.removed_date, M.utility).where(
        M.compound_id == compound_id
    )
    if ids is not None:
        meters = meters.where(M.id.in_(ids))
    dialect = session.get_bind().dialect.name
    # fetchall, not row-by-row iteration: an import asks this for 100,000 meters at once.
    last_rows = session.execute(_last_readings(compound_id, ids, real_only=real_only, dialect=dialect)).all()
    last = {mid: (value, at) for mid, value, at in last_rows}
    avg: dict[int, Decimal] = {}
    for meter_id, used, seconds in session.execute(_averages(compound_id, ids, now - AVERAGE_WINDOW)).all():
        if seconds and seconds >= MIN_AVERAGE_SECONDS:
            avg[meter_id] = Decimal(used) * 86400 / Decimal(seconds)
    removed_status = MeterStatus.removed.value
    no_reading = (None, None)
    states = {}
    for mid, serial, dials, multiplier, status, removed, utility in session.execute(meters).all():
        value, at = last.get(mid, no_reading)
        removed_on = (removed or date.min).isoformat() if status == removed_status else None
        states[mid] = MeterState(serial, dials, multiplier, removed_on, value, at, avg.get(mid), UNITS.get(utility, ""))
    return states


def verdict_for(
    session: Session,
    *,
    compound: Compound,
    meter: Meter,
    value: object,
    read_at: datetime,
    rollover: bool = False,
    now: datetime | None = None,
) -> Verdict:
    """What check() says of this reading, against the meter's last real reading and recent average."""
    now = now or clock.now()
    tz = clock.tz_of(compound)
    state = load_states(session, compound_id=compound.id, meter_ids=[meter.id], now=now)[meter.id]
    return check(
        state,
        value,
        clock.assume_local(read_at, tz),
        now=now,
        spike_factor=compound.spike_factor,
        rollover=rollover,
        tz=tz,
    )


def _lock_meter(session: Session, meter: Meter) -> None:
    # Two clerks saving the same meter at once: the second waits here and sees the first's reading.
    session.execute(sa.select(M.id).where(M.compound_id == meter.compound_id, M.id == meter.id).with_for_update())


def record_reading(
    session: Session,
    *,
    compound: Compound,
    meter: Meter,
    value: object,
    read_at: datetime,
    read_by: str = "",
    note: str = "",
    rollover: bool = False,
    confirm: Iterable[str] = (),
    source: ReadingSource = ReadingSource.manual,
    kind: ReadingKind = ReadingKind.regular,
    now: datetime | None = None,
    corrects: Reading | None = None,
) -> Reading:
    """Check and save one real reading; supersede the estimates it replaces. Raises with every problem.

    A naive read_at is the compound's local time. The consumption runs from the last real reading.
    """
    _check_meter(compound, meter)
    read_at = clock.assume_local(read_at, clock.tz_of(compound))
    _lock_meter(session, meter)
    verdict = verdict_for(
        session, compound=compound, meter=meter, value=value, read_at=read_at, rollover=rollover, now=now
    )
    if verdict.refused:
        raise ReadingRefused(_("The reading was not saved."), verdict.problems)
    confirmed = set(confirm)
    if pending := verdict.unconfirmed(confirmed):
        raise NeedsConfirmation(_("The reading needs confirming before it is saved."), pending)
    reading = Reading(
        compound_id=compound.id,
        meter_id=meter.id,
        read_at=read_at,
        value_milli=verdict.value,
        consumption_milli=verdict.consumption,
        period_seconds=verdict.period_seconds,
        # A rollover only means something against a previous reading; on a first reading it is ignored.
        rollover=rollover and verdict.consumption is not None,
        source=source,
        kind=kind,
        read_by=read_by,
        note=note,
        confirmed=",".join(sorted(p.code.value for p in verdict.problems if p.code in confirmed)),
        corrects_id=corrects.id if corrects else None,
    )
    session.add(reading)
    session.flush()
    supersede_estimates(session, compound_id=compound.id, meter_id=meter.id, by=reading)
    return reading


def supersede_estimates(session: Session, *, compound_id: int, meter_id: int, by: Reading) -> int:
    """Every counted estimate of the meter now stands replaced by the real reading `by`."""
    result = session.execute(
        sa.update(Reading.__table__)
        .where(
            R.compound_id == compound_id,
            R.meter_id == meter_id,
            R.id != by.id,
            R.source == ReadingSource.estimated.value,
            R.superseded_by_id.is_(None),
        )
        .values(superseded_by_id=by.id)
        .execution_options(synchronize_session=False)
    )
    # Reading objects already in the session must not keep showing the estimate as counted.
    for obj in session.identity_map.values():
        if (
            isinstance(obj, Reading)
            and obj.meter_id == meter_id
            and obj.id != by.id
            and (obj.source == ReadingSource.estimated and obj.superseded_by_id is None)
        ):
            session.expire(obj, ["superseded_by_id"])
    return result.rowcount or 0


def _refuse_estimate(problem: Problem) -> ReadingRefused:
    return ReadingRefused(_("No estimate was made."), [problem])


def _month_start(at: datetime, tz: tzinfo) -> datetime:
    return at.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def already_this_month(session: Session, *, compound: Compound, meter: Meter, at: datetime) -> Problem | None:
    """Why no estimate may be made at `at`: the meter was read, or already estimated, in that month.

    A month has one reading per meter to bill; a second estimate would double it (two clicks, two clients).
    """
    tz = clock.tz_of(compound)
    start = _month_start(at, tz)
    end = (start + timedelta(days=32)).replace(day=1)
    newest = session.execute(
        sa.select(R.source, R.read_at)
        .where(
            R.compound_id == compound.id,
            R.meter_id == meter.id,
            R.superseded_by_id.is_(None),
            R.read_at >= start,
            R.read_at < end,
        )
        .order_by(R.source == ReadingSource.estimated.value, R.read_at.desc())
        .limit(1)
    ).first()
    if newest is None:
        return None
    code = Code.estimated_this_month if newest.source == ReadingSource.estimated else Code.read_this_month
    return Problem(code, "at", {"serial": meter.serial, "at": show_time(newest.read_at, tz)})


def estimate_reading(
    session: Session, *, compound: Compound, meter: Meter, at: datetime, now: datetime | None = None, read_by: str = ""
) -> Reading:
    """An estimated reading for a missed meter, from its average daily use; superseded by the next real one."""
    _check_meter(compound, meter)
    now = now or clock.now()
    tz = clock.tz_of(compound)
    at = clock.assume_local(at, tz)
    _lock_meter(session, meter)
    state = load_states(session, compound_id=compound.id, meter_ids=[meter.id], now=now, real_only=False)[meter.id]
    if state.removed_on:
        raise _refuse_estimate(Problem(Code.meter_removed, "meter", {"serial": state.serial, "date": state.removed_on}))
    if at > now + FUTURE_TOLERANCE:
        raise _refuse_estimate(Problem(Code.future, "at", {"at": show_time(at, tz)}))
    if state.last_value is None or state.last_at is None or state.avg_daily is None:
        raise _refuse_estimate(
            Problem(
                Code.too_little_history, "meter", {"serial": state.serial, "days": str(MIN_AVERAGE_SECONDS // 86400)}
            )
        )
    if at <= state.last_at:
        raise _refuse_estimate(
            Problem(
                Code.before_last,
                "at",
                {"at": show_time(at, tz), "last_at": show_time(state.last_at, tz), "last": fmt(state.last_value)},
            )
        )
    if problem := already_this_month(session, compound=compound, meter=meter, at=at):
        raise _refuse_estimate(problem)
    seconds = int((at - state.last_at).total_seconds())
    limit = rollover_milli(meter.dials)
    # Whole thousandths on the dials; never a full turn of the register, which one rollover flag cannot say.
    dial_step = min(int(state.avg_daily * seconds / 86400) // meter.multiplier, limit - 1)
    value = state.last_value + dial_step
    rollover = value >= limit
    reading = Reading(
        compound_id=compound.id,
        meter_id=meter.id,
        read_at=at,
        value_milli=value - limit if rollover else value,
        consumption_milli=dial_step * meter.multiplier,
        period_seconds=seconds,
        rollover=rollover,
        source=ReadingSource.estimated,
        kind=ReadingKind.regular,
        read_by=read_by,
        note=_("Estimated from the average daily use"),
    )
    session.add(reading)
    session.flush()
    return reading


def consumption_between(
    session: Session, *, compound_id: int, meter_ids: Iterable[int], start: datetime, end: datetime
) -> int:
    """Counted use of the meters from readings taken in (start, end], thousandths after the multiplier."""
    q = sa.select(sa.func.coalesce(sa.func.sum(R.consumption_milli), 0)).where(
        R.compound_id == compound_id,
        R.meter_id.in_(list(meter_ids)),
        R.superseded_by_id.is_(None),
        R.read_at > start,
        R.read_at <= end,
    )
    return int(session.execute(q).scalar_one())


def list_readings(
    session: Session, *, compound_id: int, meter_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[Reading], int]:
    """A page of the meter's readings, newest first, and how many it has in all."""
    where = (Reading.compound_id == compound_id, Reading.meter_id == meter_id)
    total = session.execute(sa.select(sa.func.count()).select_from(Reading).where(*where)).scalar_one()
    rows = (
        session.execute(
            sa.select(Reading)
            .where(*where)
            .order_by(Reading.read_at.desc(), Reading.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    return list(rows), int(total)


def missed_meters(
    session: Session,
    *,
    compound_id: int,
    since: datetime,
    utility: Utility | None = None,
    building_id: int | None = None,
) -> list[sa.Row]:
    """Active meters with no real reading since `since`: what the round must still read.

    Each row: id, serial, utility, location, building_id, zone_id, walk_order, last_value, last_read_at.
    """
    read_since = sa.select(R.meter_id).where(
        R.compound_id == compound_id,
        R.meter_id == M.id,
        R.source != ReadingSource.estimated.value,
        R.read_at >= since,
    )
    last = _last_readings(compound_id, None, real_only=True).subquery()
    q = (
        sa.select(
            M.id,
            M.serial,
            M.utility,
            M.location,
            M.building_id,
            M.zone_id,
            M.walk_order,
            last.c.value_milli.label("last_value"),
            last.c.read_at.label("last_read_at"),
        )
        .select_from(Meter.__table__.outerjoin(last, last.c.meter_id == M.id))
        .where(M.compound_id == compound_id, M.status == MeterStatus.active.value, ~sa.exists(read_since))
        .order_by(M.building_id, M.walk_order, M.serial)
    )
    if utility is not None:
        q = q.where(M.utility == utility.value)
    if building_id is not None:
        q = q.where(M.building_id == building_id)
    return list(session.execute(q).all())
