"""What the compound billed for a period and what of it was collected, from the bills and the ledger.

    billed             = the issued bills of the period (their amounts and quantities)
    collected          = payments allocated to those bills (as of `as_of`)
    unpaid             = billed − collected, by who owes it: office units, the official use of the leading bodies
                         awaiting the finance bureau's funds, households
    collected_arrears  = payments received inside the period, allocated to earlier periods' bills

Until the bills exist (billing/, issue 8) every figure is 0: nothing has been billed.
"""

from datetime import datetime

from sqlmodel import Session

from compound.register.models import Compound
from meters.models import Utility
from reports.money.waterfall import Revenue
from reports.periods import Period


def period_revenue(
    session: Session, *, compound: Compound, utility: Utility, period: Period, as_of: datetime | None = None
) -> Revenue:
    """The period's bills and their collection, for one utility."""
    return Revenue()
