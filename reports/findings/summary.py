"""What the managers' page (and the money view, the dashboard, the leadership report) shows of findings and orders.

    totals(session, compound=c, year=2026)   →  Totals: the losses still open and the savings achieved, per month
    events(session, compound_id, start, end) →  the work done, for the loss-trend charts (reports/findings/events.py)

Per month means per average month (30.4375 days). Losses still open are the open findings' worth; savings
achieved are the verified savings of the orders done in the year (measured ones only: "not yet measurable" ones
are counted apart). Figures without a cost (no utility bill at all) are in volume only and counted apart.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from compound.register.models import Compound
from reports.findings.events import Event, events
from reports.findings.models import Finding, FindingStatus, OrderStatus, WorkOrder

__all__ = ["Event", "Totals", "events", "totals"]


@dataclass
class UtilityTotals:
    open_milli_per_month: int = 0
    saved_milli_per_month: int = 0


@dataclass
class Totals:
    year: int
    open_findings: int = 0
    open_fen_per_month: int = 0  # the open findings' worth in yuan (fen), where a cost is known
    open_without_value: int = 0  # open findings with no yuan (no bill, or a broken seal with no use)
    saved_fen_per_month: int = 0  # verified savings of the orders done this year
    orders_done: int = 0  # orders done this year
    savings_measured: int = 0  # of those, with a measured saving
    open_orders: int = 0
    overdue_orders: int = 0
    by_utility: dict[str, UtilityTotals] = field(default_factory=dict)

    def utility(self, name: str) -> UtilityTotals:
        return self.by_utility.setdefault(name, UtilityTotals())


def totals(session: Session, *, compound: Compound, year: int | None = None) -> Totals:
    """The compound's losses still open and its savings achieved in the year (three grouped queries)."""
    year = year or clock.today(compound).year
    out = Totals(year)
    f = Finding.__table__.c
    for utility, n, fen, unvalued, milli in session.execute(
        sa.select(
            f.utility,
            sa.func.count(),
            sa.func.sum(f.value_fen_per_month),
            sa.func.sum(sa.case((f.value_fen_per_month.is_(None), 1), else_=0)),
            sa.func.sum(f.volume_milli_per_month),
        )
        .where(f.compound_id == compound.id, f.status == FindingStatus.open.value)
        .group_by(f.utility)
    ).all():
        out.open_findings += n
        out.open_fen_per_month += int(fen or 0)
        out.open_without_value += int(unvalued or 0)
        out.utility(utility).open_milli_per_month += int(milli or 0)
    w = WorkOrder.__table__.c
    done_this_year = sa.and_(
        w.status == OrderStatus.done.value, w.done_date >= date(year, 1, 1), w.done_date < date(year + 1, 1, 1)
    )
    for utility, n, measured, fen, milli in session.execute(
        sa.select(
            w.utility,
            sa.func.count(),
            sa.func.count(w.saving_milli_per_month),
            sa.func.sum(w.saving_fen_per_month),
            sa.func.sum(w.saving_milli_per_month),
        )
        .where(w.compound_id == compound.id, done_this_year)
        .group_by(w.utility)
    ).all():
        out.orders_done += n
        out.savings_measured += measured
        out.saved_fen_per_month += int(fen or 0)
        out.utility(utility or "water").saved_milli_per_month += int(milli or 0)
    today = clock.today(compound)
    is_open = w.status.in_([OrderStatus.open.value, OrderStatus.in_progress.value])
    open_orders, overdue = session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((w.due_date < today, 1), else_=0))).where(
            w.compound_id == compound.id, is_open
        )
    ).one()
    out.open_orders, out.overdue_orders = int(open_orders or 0), int(overdue or 0)
    return out
