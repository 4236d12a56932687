"""Recording readings: the last-reading state of meters, one reading, estimates and their superseding."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from compound import clock
from compound.i18n import gettext as _
from compound.register.models import Compound
from meters.errors import NeedsConfirmation, ReadingRefused
from meters.models import Meter, MeterStatus, Reading, ReadingKind, ReadingSource
from meters.quantity import rollover_milli
from meters.validation import MeterState, Verdict, check

AVERAGE_WINDOW = timedelta(days=365)
# Fewer days of history than this and the average says too little to call anything a spike.
MIN_AVERAGE_SECONDS = 20 * 86400

R = Reading.__table__.c
M = Meter.__table__.c


def _last_readings(compound_id: int, meter_ids: list[int] | None, *, real_only: bool) -> sa.Select:
    """The newest reading of each meter: real ones only, or every reading still counted."""
    keep = R.source != ReadingSource.estimated.value if real_only else R.superseded_by_id.is_(None)
    ranked = sa.select(
        R.meter_id, R.value_milli, R.read_at,
        sa.func.row_number().over(partition_by=R.meter_id, order_by=(R.read_at.desc(), R.id.desc())).label("rn"),
    ).where(R.compound_id == compound_id, keep)
    if meter_ids is not None:
        ranked = ranked.where(R.meter_id.in_(meter_ids))
    sub = ranked.subquery()
    return sa.select(sub.c.meter_id, sub.c.value_milli, sub.c.read_at).where(sub.c.rn == 1)


def _averages(compound_id: int, meter_ids: list[int] | None, since: datetime) -> sa.Select:
    q = sa.select(R.meter_id, sa.func.sum(R.consumption_milli), sa.func.sum(R.period_seconds)).where(
        R.compound_id == compound_id, R.superseded_by_id.is_(None), R.consumption_milli.is_not(None),
        R.read_at >= since,
    ).group_by(R.meter_id)
    return q.where(R.meter_id.in_(meter_ids)) if meter_ids is not None else q


def load_states(session: Session, *, compound_id: int, meter_ids: Iterable[int] | None = None,
                now: datetime | None = None, real_only: bool = True) -> dict[int, MeterState]:
    """MeterState of many meters in three set-based queries (None: every meter of the compound)."""
    now = now or clock.now()
    ids = list(meter_ids) if meter_ids is not None else None
    meters = sa.select(M.id, M.serial, M.dials, M.multiplier, M.status, M.removed_date).where(
        M.compound_id == compound_id)
    if ids is not None:
        meters = meters.where(M.id.in_(ids))
    last = {r[0]: (r[1], r[2]) for r in session.execute(_last_readings(compound_id, ids, real_only=real_only))}
    avg: dict[int, Decimal] = {}
    for meter_id, used, seconds in session.execute(_averages(compound_id, ids, now - AVERAGE_WINDOW)):
        if seconds and seconds >= MIN_AVERAGE_SECONDS:
            avg[meter_id] = Decimal(used) * 86400 / Decimal(seconds)
    states = {}
    for mid, serial, dials, multiplier, status, removed in session.execute(meters):
        value, at = last.get(mid, (None, None))
        removed_on = (removed or date.min).isoformat() if status == MeterStatus.removed.value else None
        states[mid] = MeterState(serial=serial, dials=dials, multiplier=multiplier, removed_on=removed_on,
                                 last_value=value, last_at=at, avg_daily=avg.get(mid))
    return states


def verdict_for(session: Session, *, compound: Compound, meter: Meter, value: object, read_at: datetime,
                rollover: bool = False, now: datetime | None = None) -> Verdict:
    now = now or clock.now()
    state = load_states(session, compound_id=compound.id, meter_ids=[meter.id], now=now)[meter.id]
    return check(state, value, read_at, now=now, spike_factor=compound.spike_factor, rollover=rollover,
                 tz=ZoneInfo(compound.timezone))


def record_reading(session: Session, *, compound: Compound, meter: Meter, value: object, read_at: datetime,
                   read_by: str = "", note: str = "", rollover: bool = False,
                   confirm: Iterable[str] = (), source: ReadingSource = ReadingSource.manual,
                   kind: ReadingKind = ReadingKind.regular, now: datetime | None = None) -> Reading:
    """Check and save one real reading; supersede the estimates it replaces. Raises with every problem."""
    # Two clerks saving the same meter at once: the second waits here and sees the first's reading.
    session.execute(sa.select(M.id).where(M.id == meter.id).with_for_update())
    verdict = verdict_for(session, compound=compound, meter=meter, value=value, read_at=read_at,
                          rollover=rollover, now=now)
    if verdict.refused:
        raise ReadingRefused(_("The reading was not saved."), verdict.problems)
    confirmed = set(confirm)
    if pending := verdict.unconfirmed(confirmed):
        raise NeedsConfirmation(_("The reading needs confirming before it is saved."), pending)
    reading = Reading(
        compound_id=compound.id, meter_id=meter.id, read_at=read_at, value_milli=verdict.value,
        consumption_milli=verdict.consumption, period_seconds=verdict.period_seconds, rollover=rollover,
        source=source, kind=kind, read_by=read_by, note=note,
        confirmed=",".join(sorted(p.code.value for p in verdict.problems if p.code in confirmed)),
    )
    session.add(reading)
    session.flush()
    supersede_estimates(session, compound_id=compound.id, meter_id=meter.id, by=reading)
    return reading


def supersede_estimates(session: Session, *, compound_id: int, meter_id: int, by: Reading) -> int:
    """Every counted estimate of the meter now stands replaced by the real reading `by`."""
    result = session.execute(
        sa.update(Reading.__table__)
        .where(R.compound_id == compound_id, R.meter_id == meter_id, R.id != by.id,
               R.source == ReadingSource.estimated.value, R.superseded_by_id.is_(None))
        .values(superseded_by_id=by.id)
    )
    return result.rowcount or 0


def estimate_reading(session: Session, *, compound: Compound, meter: Meter, at: datetime,
                     now: datetime | None = None, read_by: str = "") -> Reading:
    """An estimated reading for a missed meter, from its average daily use; superseded by the next real one."""
    now = now or clock.now()
    state = load_states(session, compound_id=compound.id, meter_ids=[meter.id], now=now, real_only=False)[meter.id]
    if state.removed_on:
        raise ReadingRefused(_("The reading was not saved."), check(state, "0", at, now=now,
                                                                    spike_factor=compound.spike_factor).problems)
    if state.last_value is None or state.last_at is None or state.avg_daily is None:
        raise ReadingRefused(_("This meter has too little history to estimate a reading."), [])
    if at <= state.last_at:
        raise ReadingRefused(_("An estimate must come after the meter's last reading."), [])
    seconds = int((at - state.last_at).total_seconds())
    used = int(state.avg_daily * seconds / 86400)  # after the multiplier
    dial_step = used // meter.multiplier
    value = state.last_value + dial_step
    rollover = value >= rollover_milli(meter.dials)
    if rollover:
        value -= rollover_milli(meter.dials)
    reading = Reading(
        compound_id=compound.id, meter_id=meter.id, read_at=at, value_milli=value,
        consumption_milli=dial_step * meter.multiplier, period_seconds=seconds, rollover=rollover,
        source=ReadingSource.estimated, kind=ReadingKind.regular, read_by=read_by,
        note=_("Estimated from the average daily use"),
    )
    session.add(reading)
    session.flush()
    return reading


def consumption_between(session: Session, *, compound_id: int, meter_ids: Iterable[int], start: datetime,
                        end: datetime) -> int:
    """Counted use of the meters from readings taken in (start, end], thousandths after the multiplier."""
    q = sa.select(sa.func.coalesce(sa.func.sum(R.consumption_milli), 0)).where(
        R.compound_id == compound_id, R.meter_id.in_(list(meter_ids)), R.superseded_by_id.is_(None),
        R.read_at > start, R.read_at <= end,
    )
    return int(session.execute(q).scalar_one())
