"""Night-flow tests: readings of a master or zone meter in the quiet hours, and the daily leakage they point to.

The minimum night flow, less the compound's legitimate night use, times the night-day factor (from the pressure
profile and N1 where given, else the configured hours), is set beside the month's real losses per day from the
balance: of the master meter's balance, or of the check meter's loss against its children.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock, lookups
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Meter, MeterRole, Utility
from meters.readings.validation import FUTURE_TOLERANCE
from reports.balance import settings as balance_settings
from reports.formulas import night_flow as nf
from reports.formulas.numbers import ratio
from reports.models import BalanceSettings, NightFlowReading, NightFlowTest
from reports.periods import Period, month
from reports.schemas import NightFlowCreate


@dataclass(frozen=True)
class NightFactor:
    hours: Decimal
    source: str  # "profile" (FAVAD, from the pressure profile and N1) or "configured"


def night_day_factor(s: BalanceSettings) -> NightFactor:
    if s.pressure_profile:
        profile = balance_settings.pressure_profile(s.pressure_profile)
        hours = balance_settings.night_hours(balance_settings.night_window(s))
        night = sum((profile[h] for h in hours), Decimal(0)) / len(hours)
        if night > 0:
            factor = nf.favad_night_day_factor(profile, night_pressure=night, n1=Decimal(s.favad_n1))
            return NightFactor(factor, "profile")
    return NightFactor(Decimal(s.night_day_hours), "configured")


def _test_meter(session: Session, compound: Compound, meter_id: int) -> Meter:
    meter = lookups.get_or_raise(
        session, Meter, compound_id=compound.id, id=meter_id, error=InvalidInput, message=_("No such meter."),
        field="meter_id",
    )  # fmt: skip
    if meter.utility != Utility.water or meter.role == MeterRole.billing:
        raise InvalidInput(_("A night-flow test reads a water master meter or zone meter."), field="meter_id")
    return meter


def create_test(session: Session, *, compound: Compound, data: NightFlowCreate) -> NightFlowTest:
    """Save a test of two or more readings in the night window; refused when the flow cannot be worked out."""
    meter = _test_meter(session, compound, data.meter_id)
    tz = clock.tz_of(compound)
    s = balance_settings.get_settings(session, compound=compound)
    readings = sorted(
        ((clock.assume_local(r.read_at, tz).astimezone(tz), int(r.value.scaleb(3))) for r in data.readings),
        key=lambda r: r[0],
    )
    if readings[-1][0] > clock.now() + FUTURE_TOLERANCE:
        raise InvalidInput(_("A reading of the test is in the future."), field="readings")
    _flow(readings, meter.multiplier, balance_settings.night_window(s))  # refuse what cannot be worked out
    test = NightFlowTest(
        compound_id=compound.id, meter_id=meter.id, test_date=readings[0][0].date(), read_by=data.read_by,
        note=data.note,
    )  # fmt: skip
    session.add(test)
    session.flush()
    for at, value in readings:
        session.add(NightFlowReading(compound_id=compound.id, test_id=test.id, read_at=at, value_milli=value))
    session.flush()
    return test


def _flow(readings: list[tuple[datetime, int]], multiplier: int, window: nf.NightWindow) -> list[nf.FlowInterval]:
    try:
        return nf.flow_intervals(_points(readings, multiplier), window=window)
    except nf.NightFlowError as exc:
        raise InvalidInput(_night_problem(exc, window), field="readings") from None


def _night_problem(exc: nf.NightFlowError, window: nf.NightWindow) -> str:
    """The formula's refusal in the reader's language."""
    text = str(exc)
    if "at least two" in text:
        return _("A night-flow test needs at least two readings.")
    if "outside the night window" in text:
        return _(
            "Every reading must be taken in the night window, %(start)s–%(end)s.",
            start=f"{window.start:%H:%M}",
            end=f"{window.end:%H:%M}",
        )
    if "lower than" in text:
        return _("A reading is lower than the one before it.")
    return _("Two readings were taken at the same time.")


@dataclass
class NightFlowResult:
    test: NightFlowTest
    meter: Meter
    readings: list[tuple[datetime, Decimal]]  # local time, register value in m³ (after the multiplier)
    intervals: list[nf.FlowInterval]
    estimate: nf.NightFlowEstimate
    factor: NightFactor
    month: Period
    month_real_losses_per_day: Decimal | None  # from the balance: the master's real losses, or the zone's loss
    compared_with: str  # "real_losses" (a master meter) or "zone_loss" (a check meter against its children)


def load_readings(session: Session, *, compound: Compound, test: NightFlowTest) -> list[tuple[datetime, int]]:
    tz = clock.tz_of(compound)
    rows = session.execute(
        sa.select(NightFlowReading.read_at, NightFlowReading.value_milli)
        .where(NightFlowReading.compound_id == compound.id, NightFlowReading.test_id == test.id)
        .order_by(NightFlowReading.read_at)
    ).all()
    return [(at.astimezone(tz), v) for at, v in rows]


def work_out(session: Session, *, compound: Compound, test: NightFlowTest) -> NightFlowResult:
    """The test's minimum night flow, legitimate use and leakage, beside the month's real losses per day."""
    from reports.balance.service import period_balance

    meter = session.get(Meter, test.meter_id)
    s = balance_settings.get_settings(session, compound=compound)
    readings = load_readings(session, compound=compound, test=test)
    intervals = _flow(readings, meter.multiplier, balance_settings.night_window(s))
    factor = night_day_factor(s)
    estimate = nf.estimate_leakage(
        _points(readings, meter.multiplier),
        allowances=balance_settings.allowances(s),
        night_day_factor=factor.hours,
        window=balance_settings.night_window(s),
    )
    span = month(test.test_date)
    balance = period_balance(session, compound=compound, utility=Utility.water, period=span)
    per_day, compared = None, "real_losses"
    if meter.role == MeterRole.utility:
        master = next((m for m in balance.masters if m.node.id == meter.id), None)
        if master is not None:
            per_day = ratio(master.components["real_losses"], Decimal(span.days))
    else:
        node = balance.tree.node(meter.id)
        compared = "zone_loss"
        if node is not None:
            per_day = ratio(Decimal(node.loss).scaleb(-3), Decimal(span.days))
    values = [(at, Decimal(v * meter.multiplier).scaleb(-3)) for at, v in readings]
    return NightFlowResult(test, meter, values, intervals, estimate, factor, span, per_day, compared)


def _points(readings: list[tuple[datetime, int]], multiplier: int) -> list[nf.MeterReading]:
    return [nf.MeterReading(at, Decimal(value * multiplier).scaleb(-3)) for at, value in readings]


def list_tests(session: Session, *, compound: Compound, limit: int = 50) -> list[tuple[NightFlowTest, str]]:
    """The compound's tests, newest first, with their meter's serial."""
    rows = session.execute(
        sa.select(NightFlowTest, Meter.serial)
        .join(Meter, sa.and_(Meter.compound_id == NightFlowTest.compound_id, Meter.id == NightFlowTest.meter_id))
        .where(NightFlowTest.compound_id == compound.id)
        .order_by(NightFlowTest.test_date.desc(), NightFlowTest.id.desc())
        .limit(limit)
    ).all()
    return [(t, serial) for t, serial in rows]


def test_meters(session: Session, *, compound: Compound) -> list[Meter]:
    """The water meters a night-flow test may read: master meters first, then zone (check) meters."""
    rows = session.execute(
        sa.select(Meter).where(
            Meter.compound_id == compound.id, Meter.utility == Utility.water, Meter.role != MeterRole.billing
        )
    ).scalars()
    return sorted(rows, key=lambda m: (m.role != MeterRole.utility, m.serial))
