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
from datetime import datetime, timedelta

import sqlalchemy as sa

from compound.kit.db import AwareDateTime
from meters.models import Meter, MeterRole, MeterStatus, Reading, ReadingSource
from reports.models import UnbilledAccount

R = Reading.__table__.c
M = Meter.__table__.c


def _readings_of_meter(dialect: str) -> sa.ColumnElement:
    """A meter's readings, joined on the compound too, as every join between distributed tables is.

    SQLite has no statistics and would walk all the compound's readings by the (compound_id, id) key; "+ 0" keeps
    that key out of its reach, so it walks each meter's readings by time on the (meter_id, read_at) index.
    """
    compound = R.compound_id + 0 if dialect == "sqlite" else R.compound_id
    return sa.and_(compound == M.compound_id, R.meter_id == M.id)


# How far after a window the reading that straddles its end is looked for.
REACH = timedelta(days=400)


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
    # date_part is a double (fast); EXTRACT would be a numeric, several times slower over a million rows.
    return sa.cast(sa.func.floor(sa.func.date_part("epoch", column)), sa.BigInteger)


def _least(a: sa.ColumnElement, b: sa.ColumnElement | int) -> sa.ColumnElement:
    return sa.case((a < b, a), else_=b)


def _greatest(a: sa.ColumnElement, b: sa.ColumnElement | int) -> sa.ColumnElement:
    return sa.case((a > b, a), else_=b)


def _at(value: datetime) -> sa.BindParameter:
    return sa.literal(value, AwareDateTime())


def _counted() -> tuple[sa.ColumnElement, ...]:
    return (
        R.superseded_by_id.is_(None),
        R.consumption_milli.is_not(None),
        R.period_seconds > 0,
    )


def _meter_scope(compound_id: int, utility: str | None, meter_ids: Iterable[int] | None) -> list[sa.ColumnElement]:
    scope = [M.compound_id == compound_id]
    if utility is not None:
        scope.append(M.utility == utility)
    if meter_ids is not None:
        scope.append(M.id.in_(list(meter_ids)))
    return scope


def _first_after_end(compound_id: int, window: Window) -> sa.ScalarSelect:
    r2 = Reading.__table__.alias("r2")
    return (
        sa.select(r2.c.read_at)
        .where(
            r2.c.compound_id == compound_id,
            r2.c.meter_id == M.id,
            r2.c.superseded_by_id.is_(None),
            r2.c.read_at > _at(window.end),
            r2.c.read_at < _at(window.end + REACH),
        )
        .order_by(r2.c.read_at)
        .limit(1)
        .scalar_subquery()
    )


def _seen(compound_id: int, scope: list[sa.ColumnElement], window: Window, dialect: str) -> sa.CTE:
    """Each meter's readings that overlap [S, E], interpolated; and the newest of them.

    Counted readings tile each meter's time line, so the ones that overlap the window are those after S up to E,
    and the one reading after E whose interval starts before E (the one straddling the end). SQLite finds that
    one by a seek per meter on its (meter, time) index; PostgreSQL, which scans the readings anyway, by its interval.
    Readings more than REACH after E are not looked at: a meter unread for that long counts as not read since E.
    """
    c, p = R.consumption_milli, R.period_seconds
    t0 = epoch(R.read_at, dialect) - p
    start, end = window.start_epoch, window.end_epoch

    def register(t: int) -> sa.ColumnElement:
        """F(t) for a moment t inside the reading's interval."""
        return (2 * c * (t - t0) + p) // (2 * p)

    # A reading up to E ends inside the window: F(t1) = c, so its share is c less what lay before S.
    inside = sa.case((t0 >= start, c), else_=c - register(start))
    # The reading after E: from max(t0, S) up to E.
    straddling = sa.case((t0 >= end, 0), (t0 >= start, register(end)), else_=register(end) - register(start))

    def part(share: sa.ColumnElement, *where: sa.ColumnElement) -> sa.Select:
        return (
            sa.select(R.meter_id.label("meter_id"), share.label("share"), R.source, R.read_at.label("read_at"))
            .select_from(Meter.__table__.join(Reading.__table__, _readings_of_meter(dialect)))
            .where(*scope, *_counted(), *where)
        )

    after_start, up_to_end = R.read_at > _at(window.start), R.read_at <= _at(window.end)
    either = sa.case((up_to_end, inside), else_=straddling)
    if dialect == "sqlite":
        # One walk along each meter's readings, from S to its first reading after E (found by one seek).
        last = sa.func.coalesce(_first_after_end(compound_id, window), _at(window.end))
        parts = part(either, after_start, R.read_at <= last).subquery("parts")
    else:
        parts = part(either, after_start, R.read_at < _at(window.end + REACH), sa.or_(up_to_end, t0 < end))
        parts = parts.subquery("parts")
    return (
        sa.select(
            parts.c.meter_id,
            sa.func.sum(parts.c.share).label("share"),
            sa.func.sum(sa.case((parts.c.source == ReadingSource.estimated.value, parts.c.share), else_=0)).label(
                "estimated"
            ),
            sa.func.max(parts.c.read_at).label("last_seen"),
        )
        .group_by(parts.c.meter_id)
        .cte("seen")
    )


def _extrapolated(
    compound_id: int, scope: list[sa.ColumnElement], seen: sa.CTE, window: Window, dialect: str
) -> sa.Select:
    """Meters in service with no reading at or after E: from their last reading to E at that reading's rate.

    Only those meters are looked up one by one (none, for a period whose round has been read).
    """
    r2 = Reading.__table__.alias("r2")
    last_at = (
        sa.select(r2.c.read_at)
        .where(
            r2.c.compound_id == compound_id,
            r2.c.meter_id == M.id,
            r2.c.superseded_by_id.is_(None),
            r2.c.read_at < _at(window.end),
        )
        .order_by(r2.c.read_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    t1 = epoch(R.read_at, dialect)
    c, p = R.consumption_milli, R.period_seconds
    share = (2 * c * (window.end_epoch - _greatest(t1, window.start_epoch)) + p) // (2 * p)
    return (
        sa.select(R.meter_id.label("meter_id"), share.label("share"), share.label("estimated"))
        .select_from(
            Meter.__table__.outerjoin(seen, seen.c.meter_id == M.id).join(
                Reading.__table__, sa.and_(_readings_of_meter(dialect), R.read_at == last_at)
            )
        )
        .where(
            *scope,
            M.status == MeterStatus.active.value,
            sa.or_(seen.c.last_seen.is_(None), seen.c.last_seen < _at(window.end)),
            *_counted(),
        )
    )


def meter_use(
    *,
    compound_id: int,
    window: Window,
    dialect: str,
    utility: str | None = None,
    meter_ids: Iterable[int] | None = None,
) -> sa.CTE:
    """(meter_id, use_milli, estimated_milli, extrapolated) of every meter with any use in the window (a CTE:
    the balance reads it twice, for the use and for the billed quantities, and the database works it out once).

    `extrapolated` is 1 for a meter carried to the end at its last rate, else 0.
    """
    scope = _meter_scope(compound_id, utility, meter_ids)
    seen = _seen(compound_id, scope, window, dialect)
    both = sa.union_all(
        sa.select(seen.c.meter_id, seen.c.share, seen.c.estimated, sa.literal(0).label("extrapolated")),
        sa.select(_extrapolated(compound_id, scope, seen, window, dialect).subquery("ext"), sa.literal(1)),
    ).subquery("both")
    return (
        sa.select(
            both.c.meter_id,
            sa.func.sum(both.c.share).label("use_milli"),
            sa.func.sum(both.c.estimated).label("estimated_milli"),
            sa.func.max(both.c.extrapolated).label("extrapolated"),
        )
        .group_by(both.c.meter_id)
        .cte("use")
    )


# Billed quantities: the one place that says what was billed


def billed_quantities_query(use: sa.CTE, *, compound_id: int, utility: str) -> sa.Select:
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
