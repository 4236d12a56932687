"""Plausibility of one reading, as a pure function of what we know about its meter.

The same rules serve a reading typed on a round, posted to the API and read from an import file, so
the import can check 100,000 rows in memory and the clerk sees the same reason everywhere.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from compound.kit.i18n import N_, gettext
from meters.quantity import BadValue, consumption, fmt, parse_value, rollover_milli

# A reader's phone clock may run a little ahead of the server's.
FUTURE_TOLERANCE = timedelta(minutes=10)
# The same value again within this long is a reading entered twice.
DUPLICATE_WINDOW = timedelta(hours=24)
# A reading this soon after the last is judged against a whole day's use: a re-read minutes later moved the
# dials by a few units, which is not a spike however small the minutes' share of the average.
SPIKE_MIN_SECONDS = 86400
UNITS = {"water": "m³", "electricity": "kWh"}


class Code(StrEnum):
    missing_value = "missing_value"
    not_a_number = "not_a_number"
    negative = "negative"
    too_many_decimals = "too_many_decimals"
    too_many_digits = "too_many_digits"
    meter_removed = "meter_removed"
    unknown_meter = "unknown_meter"
    future = "future"
    before_last = "before_last"
    duplicate = "duplicate"
    lower_than_previous = "lower_than_previous"
    rollover_not_lower = "rollover_not_lower"
    spike = "spike"
    too_little_history = "too_little_history"
    read_this_month = "read_this_month"
    estimated_this_month = "estimated_this_month"


# Codes a reader may confirm and save anyway; every other code refuses the reading.
CONFIRMABLE = frozenset({Code.spike})

MESSAGES: dict[Code, str] = {
    Code.missing_value: N_("No value was given."),
    Code.not_a_number: N_("“%(text)s” is not a number."),
    Code.negative: N_("A meter reading cannot be negative."),
    Code.too_many_decimals: N_("At most three decimal places."),
    Code.too_many_digits: N_("This meter has %(dials)s dials: the reading must be below %(limit)s."),
    Code.meter_removed: N_("Meter %(serial)s was removed on %(date)s; it takes no more readings."),
    Code.unknown_meter: N_("There is no meter with serial “%(serial)s” in this compound."),
    Code.future: N_("The reading time %(at)s is in the future."),
    Code.before_last: N_("The reading time %(at)s is before the last reading (%(last_at)s)."),
    Code.duplicate: N_("Already entered: the meter has a reading of %(last)s at %(last_at)s."),
    Code.lower_than_previous: N_(
        "%(value)s is lower than the previous reading %(last)s (%(last_at)s). If the dials went past zero, "
        "confirm it as a rollover; if the meter was changed, record a replacement."
    ),
    Code.rollover_not_lower: N_(
        "A rollover was confirmed but %(value)s is not lower than the previous reading %(last)s."
    ),
    Code.spike: N_(
        "Use of %(used)s since the last reading is %(times)s times this meter's recent average "
        "(about %(expected)s expected). Check the dials, then confirm if it is right."
    ),
    Code.too_little_history: N_(
        "Meter %(serial)s has too little history to estimate a reading: it needs real readings covering "
        "at least %(days)s days."
    ),
    Code.read_this_month: N_("Meter %(serial)s was read this month (%(at)s): nothing to estimate."),
    Code.estimated_this_month: N_("Meter %(serial)s already has an estimated reading this month (%(at)s)."),
}


@dataclass(frozen=True)
class Problem:
    code: Code
    field: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.code not in CONFIRMABLE

    @property
    def message(self) -> str:
        """In the current locale."""
        return gettext(MESSAGES[self.code], **self.params)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "field": self.field, "refused": self.refused, "message": self.message}


@dataclass(frozen=True, slots=True)
class MeterState:
    """What the checks need to know of a meter: its register and its last real reading."""

    serial: str
    dials: int
    multiplier: int
    removed_on: str | None = None  # a date, when the meter is out of service
    last_value: int | None = None  # thousandths
    last_at: datetime | None = None
    avg_daily: Decimal | None = None  # recent consumption per day, thousandths after the multiplier
    unit: str = ""  # m³ or kWh: quantities in messages say what they count


@dataclass
class Verdict:
    value: int | None = None
    consumption: int | None = None
    period_seconds: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any(p.refused for p in self.problems)

    def unconfirmed(self, confirmed: frozenset[str] | set[str]) -> list[Problem]:
        return [p for p in self.problems if p.refused or p.code not in confirmed]

    @property
    def ok(self) -> bool:
        return not self.problems


def show_time(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _shown(raw: object) -> str:
    """The text a clerk typed, cut short so a pasted page cannot flood the message."""
    text = str(raw)
    return text if len(text) <= 40 else text[:39] + "…"


def _digits(dials: int) -> dict[str, str]:
    return {"dials": str(dials), "limit": str(10**dials)}


def check(
    state: MeterState,
    raw: object,
    read_at: datetime,
    *,
    now: datetime,
    spike_factor: Decimal,
    rollover: bool = False,
    tz: tzinfo = UTC,
) -> Verdict:
    """Every problem of one reading; the consumption it implies when it has none that refuse it.

    Times in messages are shown in tz, the compound's own timezone.
    """
    v = Verdict()
    if read_at.tzinfo is None:  # a time without an offset is the compound's local time
        read_at = read_at.replace(tzinfo=tz)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        v.problems.append(Problem(Code.missing_value, "value"))
        return v
    try:
        v.value = parse_value(raw)  # type: ignore[arg-type]
    except BadValue as e:
        v.problems.append(Problem(Code(e.code), "value", {"text": _shown(raw), **_digits(state.dials)}))
        return v
    if state.removed_on:
        v.problems.append(Problem(Code.meter_removed, "meter", {"serial": state.serial, "date": state.removed_on}))
        return v
    if v.value >= rollover_milli(state.dials):
        v.problems.append(Problem(Code.too_many_digits, "value", _digits(state.dials)))
    if read_at > now + FUTURE_TOLERANCE:
        v.problems.append(Problem(Code.future, "read_at", {"at": show_time(read_at, tz)}))
    if v.problems or state.last_value is None or state.last_at is None:
        return v
    last = {"last": fmt(state.last_value), "last_at": show_time(state.last_at, tz), "value": fmt(v.value)}
    if read_at == state.last_at or (v.value == state.last_value and abs(read_at - state.last_at) < DUPLICATE_WINDOW):
        v.problems.append(Problem(Code.duplicate, "value", last))
        return v
    if read_at < state.last_at:
        v.problems.append(Problem(Code.before_last, "read_at", {"at": show_time(read_at, tz), **last}))
        return v
    if rollover and v.value >= state.last_value:
        v.problems.append(Problem(Code.rollover_not_lower, "value", last))
        return v
    if v.value < state.last_value and not rollover:
        v.problems.append(Problem(Code.lower_than_previous, "value", last))
        return v
    v.consumption = consumption(
        state.last_value, v.value, dials=state.dials, multiplier=state.multiplier, rollover=rollover
    )
    v.period_seconds = int((read_at - state.last_at).total_seconds())
    _check_spike(state, v, spike_factor)
    return v


def _check_spike(state: MeterState, v: Verdict, spike_factor: Decimal) -> None:
    """Use above spike_factor × the average daily use × the days since the last reading (at least one day)."""
    if not state.avg_daily or state.avg_daily <= 0 or v.consumption is None or v.period_seconds is None:
        return
    seconds = max(v.period_seconds, SPIKE_MIN_SECONDS)
    expected = state.avg_daily * Decimal(seconds) / Decimal(86400)
    if expected > 0 and v.consumption > spike_factor * expected:
        unit = f" {state.unit}" if state.unit else ""
        v.problems.append(
            Problem(
                Code.spike,
                "value",
                {
                    "used": fmt(v.consumption) + unit,
                    "expected": fmt(int(expected)) + unit,
                    "times": f"{Decimal(v.consumption) / expected:.1f}",
                },
            )
        )
