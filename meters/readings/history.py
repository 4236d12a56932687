"""A meter's life on one page: its register facts, its readings across replacements, its monthly use."""

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from compound.kit import lookups
from compound.register.models import Account, Building, Zone
from meters.models import Meter, Reading, ReadingSource, Seal

R = Reading.__table__.c
M = Meter.__table__.c

# Months shown in a meter's consumption chart.
CHART_MONTHS = 24


class HistoryRow(NamedTuple):
    reading_id: int
    meter_id: int
    serial: str
    read_at: datetime
    value_milli: int
    consumption_milli: int | None  # use since the previous counted reading, after the multiplier
    source: str
    kind: str
    rollover: bool
    superseded: bool  # an estimate replaced by a real reading: it counts for nothing
    read_by: str
    note: str
    confirmed: str


class MonthUse(NamedTuple):
    month: str  # "YYYY-MM" in the compound's timezone
    measured_milli: int
    estimated_milli: int


@dataclass
class MeterFacts:
    """What the register says of a meter, with the names its ids stand for."""

    meter: Meter
    account: Account | None
    parent: Meter | None
    building: Building | None
    zone: Zone | None
    replaced: Meter | None  # the meter this one replaced
    replaced_by: Meter | None
    seals: list[Seal]


def meter_facts(session: Session, *, meter: Meter) -> MeterFacts:
    """The register facts of one meter (a handful of primary-key lookups)."""
    cid = meter.compound_id
    replaced_by = session.exec(select(Meter).where(Meter.compound_id == cid, Meter.replaces_id == meter.id)).first()
    seals = session.exec(
        select(Seal)
        .where(Seal.compound_id == cid, Seal.meter_id == meter.id)
        .order_by(Seal.sealed_date.desc(), Seal.id.desc())
    ).all()
    return MeterFacts(
        meter=meter,
        account=lookups.get(session, Account, compound_id=cid, id=meter.account_id),
        parent=lookups.get(session, Meter, compound_id=cid, id=meter.parent_id),
        building=lookups.get(session, Building, compound_id=cid, id=meter.building_id),
        zone=lookups.get(session, Zone, compound_id=cid, id=meter.zone_id),
        replaced=lookups.get(session, Meter, compound_id=cid, id=meter.replaces_id),
        replaced_by=replaced_by,
        seals=list(seals),
    )


def replacement_chain(session: Session, *, compound_id: int, meter_id: int) -> list[int]:
    """The ids of every meter in the meter's replacement chain, oldest first (one query)."""
    links = dict(
        session.execute(
            sa.select(M.id, M.replaces_id).where(M.compound_id == compound_id, M.replaces_id.is_not(None))
        ).all()
    )
    newer = {old: new for new, old in links.items()}
    chain = [meter_id]
    while (old := links.get(chain[0])) is not None and old not in chain:
        chain.insert(0, old)
    while (new := newer.get(chain[-1])) is not None and new not in chain:
        chain.append(new)
    return chain


def meter_history(session: Session, *, compound_id: int, meter_ids: list[int]) -> list[HistoryRow]:
    """Every reading of these meters, newest first, superseded estimates included."""
    q = (
        sa.select(
            R.id,
            R.meter_id,
            M.serial,
            R.read_at,
            R.value_milli,
            R.consumption_milli,
            R.source,
            R.kind,
            R.rollover,
            R.superseded_by_id.is_not(None),
            R.read_by,
            R.note,
            R.confirmed,
        )
        .join(Meter.__table__, sa.and_(M.id == R.meter_id, M.compound_id == R.compound_id))
        .where(R.compound_id == compound_id, R.meter_id.in_(meter_ids))
        .order_by(R.read_at.desc(), R.id.desc())
    )
    return [HistoryRow(*row) for row in session.execute(q)]


def monthly_use(history: list[HistoryRow], *, tz: tzinfo, now: datetime, months: int = CHART_MONTHS) -> list[MonthUse]:
    """Counted use per month (by the local month of the reading), measured and estimated apart.

    From the month of the first counted use, at most `months` months, up to this month; empty months are zeros.
    """
    measured: dict[str, int] = {}
    estimated: dict[str, int] = {}
    for row in history:
        if row.consumption_milli is None or row.superseded:
            continue
        key = row.read_at.astimezone(tz).strftime("%Y-%m")
        target = estimated if row.source == ReadingSource.estimated.value else measured
        target[key] = target.get(key, 0) + row.consumption_milli
    if not measured and not estimated:
        return []
    local = now.astimezone(tz)
    last = local.year * 12 + local.month - 1
    first = min(int(k[:4]) * 12 + int(k[5:]) - 1 for k in (*measured, *estimated))
    first = max(first, last - months + 1)
    out = []
    for n in range(first, last + 1):
        key = f"{n // 12:04d}-{n % 12 + 1:02d}"
        out.append(MonthUse(key, measured.get(key, 0), estimated.get(key, 0)))
    return out
