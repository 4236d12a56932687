"""How a master meter's readings were aligned to the period's boundaries: which readings, how many days.

The same interpolation as the set-based SQL (reports/balance/usage.py), worked out for one meter in Python so
the page and the JSON can show it: at each boundary, the counted reading at or before it and the one after it,
the part of the reading interval's use that falls before the boundary, and the days of the period that rest on
interpolation rather than on a reading taken inside the period.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from meters.models import Reading, ReadingSource
from reports.balance.usage import Window

DAY = Decimal(86400)
NONE = Decimal("0.00")
# Readings further than this from the period do not take part in its alignment.
REACH = timedelta(days=400)


@dataclass(frozen=True)
class ReadingRef:
    at: datetime
    value_milli: int
    consumption_milli: int | None
    period_seconds: int | None
    estimated: bool


@dataclass(frozen=True)
class Boundary:
    """One end of the period on one meter."""

    at: datetime
    before: ReadingRef | None  # the counted reading at or before the boundary
    after: ReadingRef | None  # the first counted reading after it
    use_before_milli: int | None  # of the `after` reading's use, the part up to the boundary
    days: Decimal  # days between the boundary and the reading inside the period next to it
    how: str  # "reading" (a reading at the boundary), "interpolated", "extrapolated", "no_readings"


@dataclass(frozen=True)
class Alignment:
    serial: str
    start: Boundary
    end: Boundary
    period_days: Decimal

    @property
    def days_interpolated(self) -> Decimal:
        """Days of the period resting on interpolation (one reading interval over the whole period: all of it)."""
        return min(self.start.days + self.end.days, self.period_days).quantize(NONE)


def _register(consumption: int, period: int, seconds: int) -> int:
    """ROUND_HALF_UP(c · seconds / p): the SQL's F(t)."""
    return (2 * consumption * seconds + period) // (2 * period)


def _refs(session: Session, compound_id: int, meter_id: int, window: Window) -> list[ReadingRef]:
    r = Reading.__table__.c
    rows = session.execute(
        sa.select(r.read_at, r.value_milli, r.consumption_milli, r.period_seconds, r.source)
        .where(
            r.compound_id == compound_id,
            r.meter_id == meter_id,
            r.superseded_by_id.is_(None),
            r.read_at > window.start - REACH,
            r.read_at <= window.end + REACH,
        )
        .order_by(r.read_at)
    ).all()
    return [ReadingRef(a, v, c, p, s == ReadingSource.estimated.value) for a, v, c, p, s in rows]


def _boundary(refs: list[ReadingRef], at: datetime, *, start: bool, window: Window) -> Boundary:
    before = next((r for r in reversed(refs) if r.at <= at), None)
    after = next((r for r in refs if r.at > at), None)
    if before is not None and before.at == at:
        return Boundary(at, before, after, None, NONE, "reading")
    if after is not None and after.consumption_milli is not None and after.period_seconds:
        t0 = after.at - timedelta(seconds=after.period_seconds)
        seconds = max(0, int((at - t0).total_seconds()))
        inside = after.at - at if start else at - t0
        inside = min(inside, window.end - window.start)
        used = _register(after.consumption_milli, after.period_seconds, min(seconds, after.period_seconds))
        return Boundary(at, before, after, used, _days(inside), "interpolated")
    if not start and before is not None:
        return Boundary(at, before, None, None, _days(at - max(before.at, window.start)), "extrapolated")
    return Boundary(at, before, after, None, NONE, "no_readings")


def _days(span: timedelta) -> Decimal:
    return (Decimal(span.days * 86400 + span.seconds) / DAY).quantize(Decimal("0.01"))


def align(session: Session, *, compound_id: int, meter_id: int, serial: str, window: Window) -> Alignment:
    refs = _refs(session, compound_id, meter_id, window)
    return Alignment(
        serial,
        _boundary(refs, window.start, start=True, window=window),
        _boundary(refs, window.end, start=False, window=window),
        _days(window.end - window.start),
    )
