"""The scheduled job: after each month, raise its findings and work out the savings again (idempotent).

Contributed to the scheduler as the job "findings.raise" (reports/contributes.py); the scheduler process calls it
once a day for each compound inside one transaction it commits. Every day it raises the month before the day's
month again, which changes nothing once that month's findings are raised (a finding is never added twice), and
brings the done orders' savings up to date with the readings that came in.
"""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from compound.register.models import Compound
from reports.findings import savings
from reports.findings.service import Balances, raise_period
from reports.periods import add_months, month


def raise_month(session: Session, *, compound: Compound, on: date) -> dict[str, int]:
    """The findings of the month before `on`'s month, then every done order's saving."""
    period = month(add_months(on.replace(day=1), -1))
    balances = Balances(session, compound)
    counts = raise_period(session, compound=compound, period=period, balances=balances).counts
    counts["savings_measured"] = savings.refresh(session, compound=compound, balances=balances)
    return counts


def raise_findings(
    session: Session, *, compound_id: int, as_of: date, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """The scheduler's entry: one compound, the month before `as_of`'s."""
    compound = session.get(Compound, compound_id)
    counts = raise_month(session, compound=compound, on=as_of)
    if progress:
        progress(1, 1)
    return counts
