"""The use of every meter over a window, from its readings, aligned to the window's ends: set-based SQL.

A counted reading (not superseded, with a consumption) covers (read_at − period_seconds, read_at]: its
consumption c flowed over those p seconds. The window [S, E] takes the part of each reading that lies inside
it, by daily (linear) interpolation: the register is taken to have moved evenly between two readings. To keep
every period's figures adding up to the readings exactly, the interpolation is made on the register, not on the
share: at a moment t inside a reading's interval the register has advanced

    F(t) = ROUND_HALF_UP(c · (t − t0) / p)   thousandths (integer arithmetic: (2·c·(t − t0) + p) div 2p)

and the reading's share of the window is F(min(t1, E)) − F(max(t0, S)). A reading wholly inside gives c exactly
(F(t1) = c, F(t0) = 0); one cut by a boundary gives the two neighbouring periods shares that add up to c.

A meter not yet read after E (the current month) is carried to E at the rate of its last reading: that part is
extrapolated, so estimated. Readings of the "estimated" source count as estimated too.

Epoch seconds come from the database (SQLite's strftime('%s'), PostgreSQL's extract(epoch)); the products stay
inside 64-bit integers for a reading of up to 10^12 thousandths over a year. Nothing here does arithmetic on a
NUMERIC column.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from compound.kit.db import AwareDateTime
from meters.models import Meter, MeterRole, MeterStatus, Reading, ReadingSource
from reports.models import UnbilledAccount

R = Reading.__table__.c
M = Meter.__table__.c


@dataclass(frozen=True)
class Window:
    """[start, end]: two aware instants (a period's local midnights)."""

    start: datetime
    end: datetime

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())

    @property
    def seconds(self) -> int:
        return self.end_epoch - self.start_epoch


def epoch(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """Whole seconds since 1970 of a timestamp column, computed by the database."""
    if dialect == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def _least(a: sa.ColumnElement, b: sa.ColumnElement | int) -> sa.ColumnElement:
    return sa.case((a < b, a), else_=b)


def _greatest(a: sa.ColumnElement, b: sa.ColumnElement | int) -> sa.ColumnElement:
    return sa.case((a > b, a), else_=b)


def _at(value: datetime) -> sa.BindParameter:
    return sa.literal(value, AwareDateTime())


def _neighbour(compound_id: int, window: Window, *, after: bool) -> sa.ScalarSelect:
    """The time of the meter's first counted reading after E (after=True), or its last one at or before E."""
    r2 = Reading.__table__.alias("r2")
    q = sa.select(r2.c.read_at).where(
        r2.c.compound_id == compound_id,
        r2.c.meter_id == M.id,
        r2.c.superseded_by_id.is_(None),
    )
    if after:
        q = q.where(r2.c.read_at > _at(window.end)).order_by(r2.c.read_at)
    else:
        q = q.where(r2.c.read_at <= _at(window.end)).order_by(r2.c.read_at.desc())
    return q.limit(1).scalar_subquery()


def _meters(compound_id: int, utility: str | None, meter_ids: Iterable[int] | None, window: Window) -> sa.Subquery:
    q = sa.select(
        M.id.label("meter_id"),
        M.status.label("status"),
        _neighbour(compound_id, window, after=True).label("next_at"),
        _neighbour(compound_id, window, after=False).label("last_at"),
    ).where(M.compound_id == compound_id)
    if utility is not None:
        q = q.where(M.utility == utility)
    if meter_ids is not None:
        q = q.where(M.id.in_(list(meter_ids)))
    return q.subquery("d")


def _counted(compound_id: int):  # type: ignore[no-untyped-def]
    return (
        R.compound_id == compound_id,
        R.superseded_by_id.is_(None),
        R.consumption_milli.is_not(None),
        R.period_seconds > 0,
    )


def _interpolated(d: sa.Subquery, compound_id: int, window: Window, dialect: str) -> sa.Select:
    """Each counted reading's share of [S, E]: readings after S up to the first one after E."""
    t1 = epoch(R.read_at, dialect)
    c, p = R.consumption_milli, R.period_seconds
    t0 = t1 - p
    hi, lo = _least(t1, window.end_epoch), _greatest(t0, window.start_epoch)

    def register(t: sa.ColumnElement) -> sa.ColumnElement:
        return (2 * c * (t - t0) + p) // (2 * p)

    share = sa.case((lo < hi, register(hi) - register(lo)), else_=0)
    return (
        sa.select(
            R.meter_id.label("meter_id"),
            share.label("share"),
            sa.case((R.source == ReadingSource.estimated.value, share), else_=0).label("estimated"),
            sa.literal(0).label("extrapolated"),
        )
        .select_from(d.join(Reading.__table__, R.meter_id == d.c.meter_id))
        .where(
            *_counted(compound_id),
            R.read_at > _at(window.start),
            R.read_at <= sa.func.coalesce(d.c.next_at, _at(window.end)),
        )
    )


def _extrapolated(d: sa.Subquery, compound_id: int, window: Window, dialect: str) -> sa.Select:
    """Meters in service not yet read after E: from their last reading to E at that reading's rate."""
    t1 = epoch(R.read_at, dialect)
    c, p = R.consumption_milli, R.period_seconds
    share = (2 * c * (window.end_epoch - _greatest(t1, window.start_epoch)) + p) // (2 * p)
    return (
        sa.select(
            R.meter_id.label("meter_id"),
            share.label("share"),
            share.label("estimated"),
            sa.literal(1).label("extrapolated"),
        )
        .select_from(d.join(Reading.__table__, sa.and_(R.meter_id == d.c.meter_id, R.read_at == d.c.last_at)))
        .where(
            *_counted(compound_id),
            d.c.next_at.is_(None),
            d.c.status == MeterStatus.active.value,
            R.read_at < _at(window.end),
        )
    )


def meter_use(
    *,
    compound_id: int,
    window: Window,
    dialect: str,
    utility: str | None = None,
    meter_ids: Iterable[int] | None = None,
) -> sa.Subquery:
    """(meter_id, use_milli, estimated_milli, extrapolated) of every meter with any use in the window."""
    d = _meters(compound_id, utility, meter_ids, window)
    parts = sa.union_all(
        _interpolated(d, compound_id, window, dialect), _extrapolated(d, compound_id, window, dialect)
    ).subquery("parts")
    return (
        sa.select(
            parts.c.meter_id,
            sa.func.sum(parts.c.share).label("use_milli"),
            sa.func.sum(parts.c.estimated).label("estimated_milli"),
            sa.func.max(parts.c.extrapolated).label("extrapolated"),
        )
        .group_by(parts.c.meter_id)
        .subquery("use")
    )


# Billed quantities: the one place that says what was billed


def billed_quantities_query(use: sa.Subquery, *, compound_id: int, utility: str) -> sa.Select:
    """(meter_id, account_id, billed_milli): what each billing meter's account was billed for in the window.

    Until bills exist (billing/, issue 8) a billed account is billed what its meter measured, so this is the
    billing meters' consumption from readings, leaving out the accounts registered as unbilled (own use).
    When bills land, this select is the one thing to change: sum the bills' quantities per meter for the
    period instead; the balance then finds any difference between metered and billed as a data-handling error.
    """
    ua = UnbilledAccount.__table__.c
    unbilled = sa.select(ua.account_id).where(ua.compound_id == compound_id)
    return (
        sa.select(M.id.label("meter_id"), M.account_id.label("account_id"), use.c.use_milli.label("billed_milli"))
        .select_from(Meter.__table__.join(use, use.c.meter_id == M.id))
        .where(
            M.compound_id == compound_id,
            M.utility == utility,
            M.role == MeterRole.billing.value,
            M.account_id.is_not(None),
            M.account_id.not_in(unbilled),
        )
    )
