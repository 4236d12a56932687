"""How each payer habitually pays, found from their payment history, so a chase can tell a yearly payer who
always pays in December from one who has stopped paying.

How (one set-based query, then a rule per payer): over the 24 months before the day, count the calendar months
in which the payer made a live payment (`months_24`; `months_12` for the last 12), and the distinct months of the
year among them (`months_of_year`, with the first and last of them).

- **monthly**: paid in at least 6 of the last 12 months;
- **yearly**: every payment falls in one month of the year (e.g. always December) — that is the usual month;
- **half-yearly**: the payments fall in two months of the year, 4 to 8 months apart (e.g. June and December);
- **irregular**: anything else that paid at all; **none**: no payment in the 24 months.

A payer's next payment is expected one step after the last (1, 6 or 12 months); one not seen by a month after
that is **lapsed** — a yearly December payer is not lapsed in November, but is in February without a payment.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.balances import HasCompound
from billing.ledger.entries import AsOf, Payers, live_payments, payment


class Habit(StrEnum):
    monthly = "monthly"
    half_yearly = "half_yearly"
    yearly = "yearly"
    irregular = "irregular"
    none = "none"


STEP_MONTHS = {Habit.monthly: 1, Habit.half_yearly: 6, Habit.yearly: 12, Habit.irregular: 3}
GRACE_MONTHS = 1


@dataclass(frozen=True)
class PayerHabit:
    payer_id: int
    habit: Habit
    months_12: int
    months_24: int
    usual_months: tuple[int, ...]  # months of the year the payer pays in (yearly, half-yearly)
    last_paid_on: date | None
    lapsed: bool  # no payment since one was due by the habit (plus a month of grace)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def habits_query(compound: HasCompound, as_of: date, payers: Payers = None) -> sa.Select:
    """Per payer with a live payment in the 24 months: months_24, months_12, months_of_year, first_moy, last_moy,
    last_paid_on."""
    start24, start12 = _months_back(as_of, 23), _months_back(as_of, 11)
    month_key = sa.extract("year", payment.c.received_on) * 12 + sa.extract("month", payment.c.received_on)
    moy = sa.extract("month", payment.c.received_on)
    paid = (
        sa.select(payment.c.payer_id, month_key.label("ym"), moy.label("moy"), payment.c.received_on)
        .where(live_payments(compound.id, AsOf.of(compound, as_of), payers), payment.c.received_on >= start24)
        .subquery("paid")
    )
    recent = sa.case((paid.c.received_on >= start12, paid.c.ym))
    return sa.select(
        paid.c.payer_id,
        sa.func.count(sa.distinct(paid.c.ym)).label("months_24"),
        sa.func.count(sa.distinct(recent)).label("months_12"),
        sa.func.count(sa.distinct(paid.c.moy)).label("months_of_year"),
        sa.func.min(paid.c.moy).label("first_moy"),
        sa.func.max(paid.c.moy).label("last_moy"),
        sa.func.max(paid.c.received_on).label("last_paid_on"),
    ).group_by(paid.c.payer_id)


def classify(months_12: int, months_24: int, months_of_year: int, first: int, last: int) -> Habit:
    if months_24 == 0:
        return Habit.none
    if months_12 >= 6:
        return Habit.monthly
    if months_of_year == 1:
        return Habit.yearly
    if months_of_year == 2 and 4 <= last - first <= 8:
        return Habit.half_yearly
    return Habit.irregular


def habits(session: Session, *, compound: HasCompound, as_of: date, payers: Payers = None) -> dict[int, PayerHabit]:
    """Every payer with a payment in the 24 months before `as_of`, with their habit; others have none."""
    found = {}
    for r in session.execute(habits_query(compound, as_of, payers)):
        first, last = int(r.first_moy), int(r.last_moy)
        habit = classify(r.months_12, r.months_24, r.months_of_year, first, last)
        last_paid = r.last_paid_on if isinstance(r.last_paid_on, date) else date.fromisoformat(str(r.last_paid_on))
        due_index = _month_index(last_paid) + STEP_MONTHS[habit] + GRACE_MONTHS
        usual = (first,) if habit is Habit.yearly else (first, last) if habit is Habit.half_yearly else ()
        found[r.payer_id] = PayerHabit(
            r.payer_id, habit, r.months_12, r.months_24, usual, last_paid, _month_index(as_of) > due_index
        )
    return found
