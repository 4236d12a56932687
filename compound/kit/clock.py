"""One place to read "now", so a test can set it; and the compound's local time, the one rule for naive times."""

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo


class HasTimezone(Protocol):
    timezone: str


_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the real one."""
    global _now
    _now = fn or (lambda: datetime.now(UTC))


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def tz_of(owner: HasTimezone) -> ZoneInfo:
    """The timezone of a compound (anything with a `timezone` name): its clocks and calendar."""
    return zone(owner.timezone)


def assume_local(at: datetime, tz: tzinfo) -> datetime:
    """A time typed or imported without an offset is the compound's local time (what the reader's watch said)."""
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


def local_date(at: datetime, tz: tzinfo) -> date:
    """The calendar date of an instant where the compound is."""
    return at.astimezone(tz).date()


def today(owner: HasTimezone) -> date:
    """Today's date in the compound, by the injectable clock."""
    return local_date(now(), tz_of(owner))
