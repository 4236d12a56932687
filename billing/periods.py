"""Billing periods: a month of the compound, its cut-off, and the claim a run takes on it."""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from billing.errors import PeriodClosed
from billing.models import BillingPeriod, PeriodStatus
from compound.kit import clock
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Compound

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str, *, field: str = "period") -> date:
    """'2026-10' → date(2026, 10, 1); anything else is refused, naming the field."""
    m = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1970 <= int(m.group(1)) < 2200:
        raise InvalidInput(_("A billing period is a month written like 2026-10."), field=field)
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def cutoff_date(month: date, cutoff_day: int | None) -> date:
    """The first day after the period's cut-off: readings before its local midnight count."""
    if cutoff_day is None:
        return next_month(month)
    return date(month.year, month.month, min(cutoff_day, monthrange(month.year, month.month)[1])) + timedelta(1)


@dataclass(frozen=True)
class Window:
    """What a period's bills cover: from the previous cut-off to this one, in local dates and UTC instants."""

    start: date
    end: date  # exclusive
    start_at: datetime
    end_at: datetime

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def window(compound: Compound, month: date, cutoff_day: int | None) -> Window:
    tz = clock.tz_of(compound)
    start, end = cutoff_date(previous_month(month), cutoff_day), cutoff_date(month, cutoff_day)
    return Window(start, end, datetime.combine(start, time(), tz), datetime.combine(end, time(), tz))


def find_period(session: Session, *, compound_id: int, month: date, for_update: bool = False) -> BillingPeriod | None:
    q = sa.select(BillingPeriod).where(BillingPeriod.compound_id == compound_id, BillingPeriod.month == month)
    if for_update:
        q = q.with_for_update()
    return session.execute(q).scalar_one_or_none()


def claim_period(session: Session, *, compound_id: int, month: date, cutoff_day: int | None) -> BillingPeriod:
    """The period, made if new, locked for this transaction: a second run of it waits here until the first ends."""
    period = find_period(session, compound_id=compound_id, month=month, for_update=True)
    if period is None:
        try:
            with session.begin_nested():
                session.add(BillingPeriod(compound_id=compound_id, month=month, cutoff_day=cutoff_day))
        except IntegrityError:
            pass  # another run made it a moment ago: lock theirs
        period = find_period(session, compound_id=compound_id, month=month, for_update=True)
        assert period is not None
    if period.status == PeriodStatus.closed:
        raise PeriodClosed(
            _(
                "The period %(month)s is closed: nothing in it can change. Make an adjustment in an open period.",
                month=month_label(month),
            ),
            field="period",
        )
    return period
