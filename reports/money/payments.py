"""What the ledger says was paid: payments allocated to bills, and the arrears a period's payments cleared.

Until the payments land (billing/payments, issue 9) nothing has been paid: every bill is unpaid.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session

from compound.register.models import Compound
from meters.models import Utility
from reports.formulas.numbers import ZERO
from reports.periods import Period


@dataclass(frozen=True)
class Allocation:
    bill_id: int
    amount: Decimal
    on: date  # the day the payment it comes from was received


def allocations(
    session: Session, *, compound: Compound, bill_ids: list[int], as_of: datetime | date | None = None
) -> list[Allocation]:
    """The allocations to these bills of payments not reversed as of the day (by default today)."""
    return []


def allocated_to(
    session: Session, *, compound: Compound, bill_ids: list[int], as_of: datetime | date | None = None
) -> dict[int, Decimal]:
    """{bill id: yuan allocated to it} as of the day."""
    out: dict[int, Decimal] = {}
    for a in allocations(session, compound=compound, bill_ids=bill_ids, as_of=as_of):
        out[a.bill_id] = out.get(a.bill_id, ZERO) + a.amount
    return out


def arrears_collected(session: Session, *, compound: Compound, utility: Utility, period: Period) -> Decimal:
    """Payments received inside the period, allocated to bills of billing months before it."""
    return ZERO


def paid_by_payer(
    session: Session, *, compound: Compound, as_of: date, due_before: date
) -> dict[tuple[int, bool], int]:
    """{(payer, official use?): fen} allocated by the day to the payer's bills due before `due_before`."""
    return {}
