"""The scheduled job: after each month, raise its findings and work out the savings again (idempotent).

Contributed to the scheduler as "reports.findings.jobs:raise_findings"; the scheduler process calls it with a
session whose unit of work commits at the end, as every job does. Running it twice for a day changes nothing.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from compound.register.models import Compound
from reports.findings import savings
from reports.findings.service import Balances, raise_period
from reports.periods import add_months, month


def raise_month(session: Session, *, compound: Compound, on: date) -> dict[str, int]:
    """The findings of the month before `on`'s month, then every done order's saving."""
    period = month(add_months(on.replace(day=1), -1))
    balances = Balances(session, compound)
    result = raise_period(session, compound=compound, period=period, balances=balances)
    counts = result.counts
    counts["savings_measured"] = savings.refresh(session, compound=compound, balances=balances)
    return counts


def raise_findings(session: Session, *, as_of: date | None = None, **_ignored: Any) -> dict[str, Any]:
    """Every compound's findings of the last whole month (by each compound's own calendar)."""
    out: dict[str, Any] = {}
    for compound in session.execute(sa.select(Compound).order_by(Compound.id)).scalars():
        out[compound.code] = raise_month(session, compound=compound, on=as_of or clock.today(compound))
    return out
