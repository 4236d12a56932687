"""Night flow: leakage from the master meter in the quiet hours (loss-methods.md, section 2).

Minimum night flow (MNF) = the lowest hourly rate between consecutive readings in the night window (02:00–04:00
by default). Net night flow = MNF − legitimate night use: people × 6% active × 10 L/h, small non-domestic users
× 50 L/h, plus known exceptional users (all editable). Daily leakage = net night flow × night-day factor (hours
per day): either configured, or from the day's pressure profile with FAVAD, factor = Σ over 24 hours of
(P_h / P_night)^N1, because leakage scales with pressure as (P1/P0)^N1.

Volumes are m³ (the register's unit), rates m³/h, allowances L/h as the reference gives them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from reports.formulas.numbers import ZERO, exact, power, product, ratio

SECONDS_PER_HOUR = 3600
LITRES_PER_M3 = 1000


class NightFlowError(ValueError):
    """Readings or a profile the night-flow test cannot use; the message says which and why."""


@dataclass(frozen=True)
class NightWindow:
    """A window of local clock time; it may run across midnight (23:00–01:00). Both ends are inside."""

    start: time = time(2, 0)
    end: time = time(4, 0)

    def contains(self, at: datetime) -> bool:
        t = at.time()
        if self.start <= self.end:
            return self.start <= t <= self.end
        return t >= self.start or t <= self.end


DEFAULT_WINDOW = NightWindow()


@dataclass(frozen=True)
class MeterReading:
    """A register value (m³, after any rollover and multiplier) at a moment."""

    at: datetime
    value: Decimal


@dataclass(frozen=True)
class FlowInterval:
    """The flow between two consecutive readings."""

    start: datetime
    end: datetime
    volume: Decimal  # m³
    rate: Decimal  # m³/h


def _seconds(span: timedelta) -> int:
    # Whole microseconds, so the hours are exact (timedelta.total_seconds() is a float).
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


@exact
def flow_intervals(
    readings: Sequence[MeterReading], *, window: NightWindow | None = DEFAULT_WINDOW
) -> list[FlowInterval]:
    """The flow between each pair of consecutive readings; refuses readings out of order or outside the window."""
    if len(readings) < 2:
        raise NightFlowError("A night-flow test needs at least two readings.")
    for r in readings:
        if window is not None and not window.contains(r.at):
            raise NightFlowError(
                f"The reading at {r.at:%H:%M} is outside the night window {window.start:%H:%M}–{window.end:%H:%M}."
            )
    intervals = []
    for before, after in zip(readings, readings[1:], strict=False):
        if after.at <= before.at:
            raise NightFlowError(f"The reading at {after.at:%H:%M} is not later than the one before it.")
        if after.value < before.value:
            raise NightFlowError(f"The reading at {after.at:%H:%M} is lower than the one before it.")
        volume = after.value - before.value
        rate = ratio(volume * SECONDS_PER_HOUR * 1_000_000, Decimal(_seconds(after.at - before.at)))
        intervals.append(FlowInterval(start=before.at, end=after.at, volume=volume, rate=rate))
    return intervals


def minimum_night_flow(
    readings: Sequence[MeterReading], *, window: NightWindow | None = DEFAULT_WINDOW
) -> FlowInterval:
    """The interval with the lowest hourly rate (the earliest of equals)."""
    return min(flow_intervals(readings, window=window), key=lambda i: i.rate)


@dataclass(frozen=True)
class NightUseAllowances:
    """Legitimate night use (loss-methods.md section 2 defaults; editable per compound)."""

    people: int = 0
    active_fraction: Decimal = Decimal("0.06")
    litres_per_active_person_hour: Decimal = Decimal(10)
    small_non_domestic_users: int = 0
    litres_per_non_domestic_user_hour: Decimal = Decimal(50)
    exceptional_litres_per_hour: Decimal = ZERO  # known exceptional users, total

    @exact
    def litres_per_hour(self) -> Decimal:
        households = self.people * self.active_fraction * self.litres_per_active_person_hour
        non_domestic = self.small_non_domestic_users * self.litres_per_non_domestic_user_hour
        return households + non_domestic + self.exceptional_litres_per_hour

    def m3_per_hour(self) -> Decimal:
        return ratio(self.litres_per_hour(), Decimal(LITRES_PER_M3))


def favad_ratio(pressure: Decimal, reference_pressure: Decimal, n1: Decimal) -> Decimal:
    """Leakage at `pressure` relative to leakage at `reference_pressure`: (P1 / P0)^N1."""
    if reference_pressure <= 0 or pressure < 0 or n1 <= 0:
        raise NightFlowError("FAVAD needs a positive reference pressure, no negative pressure and a positive N1.")
    return power(ratio(pressure, reference_pressure), n1)


@exact
def favad_night_day_factor(hourly_pressure: Sequence[Decimal], *, night_pressure: Decimal, n1: Decimal) -> Decimal:
    """Hours per day: Σ over the 24 hours of (P_h / P_night)^N1 (an hour without supply, P = 0, adds nothing)."""
    if len(hourly_pressure) != 24:
        raise NightFlowError(f"A pressure profile has 24 hourly values, not {len(hourly_pressure)}.")
    return sum((favad_ratio(p, night_pressure, n1) for p in hourly_pressure), ZERO)


@dataclass(frozen=True)
class NightFlowEstimate:
    """The night-flow test worked through; rates in m³/h, the factor in h/day, leakage in m³/day."""

    minimum: FlowInterval
    legitimate_use: Decimal
    net_night_flow: Decimal  # negative when the allowances exceed the measured flow: no leak is visible
    night_day_factor: Decimal
    daily_leakage: Decimal

    @property
    def allowances_exceed_flow(self) -> bool:
        return self.net_night_flow < 0

    @exact
    def leakage_over(self, days: Decimal) -> Decimal:
        """The leakage over `days`, to set beside the period balance's real losses."""
        return product(self.daily_leakage, days)


@exact
def estimate_leakage(
    readings: Sequence[MeterReading],
    *,
    allowances: NightUseAllowances,
    night_day_factor: Decimal,
    window: NightWindow | None = DEFAULT_WINDOW,
) -> NightFlowEstimate:
    """MNF − legitimate night use, times the night-day factor (configured, or `favad_night_day_factor`)."""
    if night_day_factor <= 0:
        raise NightFlowError("The night-day factor must be a positive number of hours.")
    minimum = minimum_night_flow(readings, window=window)
    legitimate = allowances.m3_per_hour()
    net = minimum.rate - legitimate
    return NightFlowEstimate(
        minimum=minimum,
        legitimate_use=legitimate,
        net_night_flow=net,
        night_day_factor=night_day_factor,
        daily_leakage=product(net, night_day_factor),
    )
