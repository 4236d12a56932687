"""Balance periods: a month, a quarter, a year or any range of days, with its boundaries in local time.

Written as `2025-03`, `2025-Q1`, `2025`, or `START..END` where each end is a date (`2025-01-15..2025-02-14`, both
days included) or a month (`2025-01..2025-03`, whole months). A period runs from local midnight of its first
day to local midnight after its last day.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.params import YEARS

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Period:
    """Days [start, end): `end` is the day after the last one."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """Local midnight of the first day and of the day after the last."""
        return datetime.combine(self.start, time(), tzinfo=tz), datetime.combine(self.end, time(), tzinfo=tz)

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self.end == add_months(self.start, 1)


def add_months(d: date, n: int) -> date:
    """The first day of the month n months after d's month."""
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def month(d: date) -> Period:
    first = d.replace(day=1)
    return Period(first, add_months(first, 1), f"{first:%Y-%m}")


def months_ending(last: Period, n: int) -> list[Period]:
    """The n calendar months ending with the month `last` starts in, oldest first."""
    first = last.start.replace(day=1)
    return [month(add_months(first, k)) for k in range(-n + 1, 1)]


def _refuse(text: str) -> InvalidInput:
    return InvalidInput(
        _(
            "“%(text)s” is not a period: write a month (2025-03), a quarter (2025-Q1), a year (2025) "
            "or a range (2025-01-15..2025-02-14).",
            text=text,
        ),
        field="period",
    )


def _year(text: str, y: int) -> int:
    if y not in YEARS:
        raise InvalidInput(
            _("The year must be between %(first)s and %(last)s.", first=YEARS.start, last=YEARS.stop - 1),
            field="period",
        )
    return y


def _end_point(text: str, part: str, *, first: bool) -> date:
    """One end of a range: a date, or a month (its first day, or the day after it for the range's end)."""
    if m := _MONTH.fullmatch(part):
        y, mo = _year(text, int(m.group(1))), int(m.group(2))
        if not 1 <= mo <= 12:
            raise _refuse(text)
        start = date(y, mo, 1)
        return start if first else add_months(start, 1)
    try:
        day = date.fromisoformat(part)
    except ValueError:
        raise _refuse(text) from None
    _year(text, day.year)
    return day if first else day + timedelta(days=1)


def parse_period(text: str) -> Period:
    """A period from its written form; InvalidInput naming `period` otherwise."""
    s = (text or "").strip()
    if ".." in s:
        a, _sep, b = s.partition("..")
        start, end = _end_point(s, a.strip(), first=True), _end_point(s, b.strip(), first=False)
        if end <= start:
            raise InvalidInput(_("The period ends before it starts."), field="period")
        return Period(start, end, f"{start.isoformat()}..{(end - timedelta(days=1)).isoformat()}")
    if m := _MONTH.fullmatch(s):
        if not 1 <= int(m.group(2)) <= 12:
            raise _refuse(s)
        return month(date(_year(s, int(m.group(1))), int(m.group(2)), 1))
    if m := _QUARTER.fullmatch(s):
        first = date(_year(s, int(m.group(1))), 3 * int(m.group(2)) - 2, 1)
        return Period(first, add_months(first, 3), f"{first.year}-Q{m.group(2)}")
    if _YEAR.fullmatch(s):
        y = _year(s, int(s))
        return Period(date(y, 1, 1), date(y + 1, 1, 1), s)
    raise _refuse(s)
