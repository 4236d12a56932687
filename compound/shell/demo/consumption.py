"""How much the demo compound uses: the calendar of monthly rounds, seasons, losses and the leak.

Every quantity is an integer in thousandths of a unit (m³ or kWh, after any multiplier); ratios are
permille integers or Fractions, so the same seed gives the same figures on every machine.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
# The baseline round is in October 2024; the 24 billed months run from November 2024 to October 2026.
BASELINE_MONTH = date(2024, 10, 1)
MONTHS = 24
ROUND_START_LOCAL = (8, 30)  # the round starts with the master meters at 08:30
AVERAGE_MONTH_SECONDS = 2_629_800  # 30.4375 days
DAY = 86_400


@dataclass(frozen=True)
class Calendar:
    """The monthly rounds: rounds[0] is the baseline, rounds[k] closes month k (1..24)."""

    rounds: tuple[datetime, ...]  # the start of each round, UTC
    months: tuple[date, ...]  # months[k]: the first day of the month round k closes

    def seconds(self, k: int) -> int:
        """Length of month k, from round k-1 to round k."""
        return int((self.rounds[k] - self.rounds[k - 1]).total_seconds())

    def month_index(self, month: date) -> int:
        """k of the month that contains this date's month (2025-03-xx → the round closing March 2025)."""
        return self.months.index(month.replace(day=1))


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def make_calendar(rng: random.Random) -> Calendar:
    """Rounds on the 25th to the 28th of each month, from 08:30 Beijing time."""
    rounds, months = [], []
    for k in range(MONTHS + 1):
        month = add_months(BASELINE_MONTH, k)
        local = datetime(month.year, month.month, rng.randint(25, 28), *ROUND_START_LOCAL, tzinfo=TZ)
        rounds.append(local.astimezone(ZoneInfo("UTC")))
        months.append(month)
    return Calendar(rounds=tuple(rounds), months=tuple(months))


# Seasons, permille of an ordinary month, January to December. Electricity peaks with air-conditioning
# in July and August and rises again with electric heaters in winter; offices are quiet at Spring Festival.
OFFICE_ELECTRICITY = (1150, 800, 950, 880, 950, 1150, 1450, 1500, 1150, 900, 950, 1120)
HOME_ELECTRICITY = (1350, 1350, 1050, 900, 900, 1150, 1600, 1700, 1200, 900, 1000, 1250)
OFFICE_WATER = (950, 700, 950, 1000, 1050, 1100, 1200, 1200, 1100, 1000, 950, 950)
HOME_WATER = (920, 1000, 930, 960, 1030, 1100, 1200, 1220, 1080, 1000, 950, 920)
# Heating season (November to March): circulation pumps and boiler make-up water.
HEATING = (1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1)
# Lawns and beds, millilitres per m² per day as actually watered (the estimation rule uses one figure).
LANDSCAPING_ML_PER_M2_DAY = (300, 300, 1500, 2500, 3500, 4500, 5000, 5000, 4000, 2500, 1200, 300)
# Lamps burn dusk to 23:00 in the courtyard, dusk to dawn in the streets (tenths of an hour).
COURTYARD_LAMP_HOURS_X10 = (55, 50, 45, 40, 35, 30, 30, 35, 40, 45, 50, 55)
STREET_LIGHT_HOURS_X10 = (135, 125, 120, 110, 105, 100, 100, 105, 110, 120, 130, 135)


def season(table: tuple[int, ...], month: date) -> int:
    return table[month.month - 1]


def monthly_use(base_milli: int, *, season_permille: int, seconds: int, noise_permille: int) -> int:
    """An ordinary month's use scaled by season, by chance and by the real length of the period."""
    return base_milli * season_permille * noise_permille * seconds // (1_000_000 * AVERAGE_MONTH_SECONDS)


def noise(rng: random.Random, spread_permille: int) -> int:
    return 1000 + rng.randint(-spread_permille, spread_permille)


def lamps_milli(*, count: int, watts: int, hours_x10: int, seconds: int, working_permille: int) -> int:
    """kWh (thousandths) of a set of lamps: count × W × hours a day × days, less the ones burnt out."""
    # count × W × h/10 × days / 1000 kWh, × 1000 for thousandths.
    return count * watts * hours_x10 * seconds * working_permille // (10 * DAY * 1000)


def landscaping_milli(*, area_m2: int, ml_per_m2_day: int, seconds: int) -> int:
    """m³ (thousandths) of lawn watering: a litre is a thousandth of a m³."""
    return area_m2 * ml_per_m2_day * seconds // (1000 * DAY)


def line_loss_milli(delivered: list[int], *, base_permille: int) -> list[int]:
    """Cable losses of a feeder: about base‰ of what it carries, growing with the square of the load."""
    mean = max(1, sum(delivered) // max(1, len(delivered)))
    return [d * base_permille * d // (1000 * mean) for d in delivered]


@dataclass(frozen=True)
class Nameplate:
    name: str
    rated_kva: int
    no_load_loss_w: int
    copper_loss_w: int
    load_factor: Fraction  # average load / peak load of what it feeds


# Two old distribution transformers (630 kVA per the reference nameplate; 500 kVA a smaller, similar one).
TRANSFORMERS = (
    Nameplate("1号变压器", 630, 1180, 6800, Fraction(45, 100)),
    Nameplate("2号变压器", 500, 1000, 5000, Fraction(55, 100)),
)
POWER_FACTOR = Fraction(9, 10)


def transformer_loss_milli(plate: Nameplate, *, lv_milli: int, seconds: int) -> int:
    """No-load loss all the time plus copper loss at the period's load (loss load factor, k = 0.3)."""
    hours = Fraction(seconds, 3600)
    kwh = Fraction(lv_milli, 1000)
    average_fraction = kwh / hours / POWER_FACTOR / plate.rated_kva
    peak_fraction = average_fraction / plate.load_factor
    lf = plate.load_factor
    llf = Fraction(3, 10) * lf + Fraction(7, 10) * lf * lf
    loss_kwh = (
        Fraction(plate.no_load_loss_w, 1000) * hours
        + Fraction(plate.copper_loss_w, 1000) * peak_fraction**2 * llf * hours
    )
    return int(loss_kwh * 1000)


# The leak of cause 1: an old main under the courtyard starts to leak in March 2025, the leak grows
# through the year and the main is dug up and repaired in January 2026. Old joints drip all the time.
LEAK_START = datetime(2025, 3, 10, 14, 0, tzinfo=TZ)
LEAK_REPAIRED = datetime(2026, 1, 8, 16, 0, tzinfo=TZ)
LEAK_FIRST_MILLI_PER_DAY = 3_000
LEAK_GROWTH_MILLI_PER_DAY = 80_000  # reached just before the repair; grows with the square of the time
DRIP_MILLI_PER_DAY = 1_200


def leak_milli(start: datetime, end: datetime) -> int:
    """Water lost between master meter and sub-meters from start to end (m³ thousandths)."""
    total = Fraction(DRIP_MILLI_PER_DAY) * _days(start, end)
    a, b = max(start, LEAK_START), min(end, LEAK_REPAIRED)
    if a < b:
        span = _days(LEAK_START, LEAK_REPAIRED)
        x0, x1 = _days(LEAK_START, a), _days(LEAK_START, b)
        total += LEAK_FIRST_MILLI_PER_DAY * (x1 - x0)
        total += Fraction(LEAK_GROWTH_MILLI_PER_DAY) * (x1**3 - x0**3) / (3 * span**2)
    return int(total)


def _days(a: datetime, b: datetime) -> Fraction:
    return Fraction(int((b - a).total_seconds()), DAY)
