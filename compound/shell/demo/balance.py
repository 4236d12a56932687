"""The demo compound's balance: its settings, the centre's own use, the utility's bills and night-flow tests.

The 24 months of readings already carry the story (the leak that grows under the courtyard from March 2025 and
is repaired in January 2026, the summer load on the two transformers, lamps and lawns nobody meters); this adds
what the balance needs beside them:

- the settings: 1 % customer meter under-registration of the true volume, the network figures, the night-use
  allowances and a pressure profile (the night pressure is higher than the day's, so the night-day factor is
  below 24 hours);
- the boiler and pump house (the logistics centre's own account) as authorised unbilled use;
- the utility's monthly bills for the master water meter and the 10 kV meter, read by the utility on the first
  of each month, within a fraction of a percent of the compound's own reading — except March 2026, when the water
  company's figure is 3.5 % above ours (a master meter that disagrees with the utility is itself a finding);
- night-flow tests of the master water meter before the repair (the leak visible at night) and after it.

Not separately metered: the conference zone and the public places hang on the master water meter without a check
meter of their own; in electricity, the office feeder also carries the meeting building (the seed's open problem 1).
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session

from compound.shell.demo import consumption as c
from compound.shell.demo import names
from compound.shell.demo.plan import HouseholdPlan
from meters.models import Reading, UnmeteredUse
from reports.balance.usage import Window, meter_use
from reports.models import (
    BalanceSettings,
    NightFlowReading,
    NightFlowTest,
    UnbilledAccount,
    UnbilledPurpose,
    UtilityBill,
    UtilityBillLine,
)
from reports.night_flow import night_day_factor

# Day pressures (m) a little below the night's: leakage by night runs at more than its daily average.
PRESSURE_PROFILE = "33,33,34,34,34,33,31,29,28,28,28,28,29,29,28,28,28,28,29,30,31,32,32,33"
NIGHT_TESTS = (date(2025, 6, 17), date(2025, 11, 19), date(2026, 2, 24), date(2026, 6, 16))
DISAGREES = (date(2026, 3, 1), Decimal("1.035"))  # the water company's March 2026 figure is 3.5 % above ours

WATER_LINES = (("水费", Decimal("3.45")), ("污水处理费", Decimal("1.20")))
POWER_LINES = (("电度电费", Decimal("0.6283")), ("政府性基金及附加", Decimal("0.0262")))


class DemoRefs(Protocol):
    """What of the demo compound this needs (builder.DemoCompound has it)."""

    compound_id: int
    calendar: c.Calendar
    meters: dict[str, int]  # serial → id
    accounts: dict[str, int]  # account code → id


def build_balance(session: Session, *, demo: DemoRefs, households: list[HouseholdPlan], seed: str) -> None:
    """Settings, own use, bills and night-flow tests of the demo compound. Flushes, never commits.

    A database migrated only as far as before the balance (tests/compound/test_schema_rules.py builds the demo at an
    older revision, then migrates it) has no balance tables: then there is nothing to add.
    """
    if not sa.inspect(session.connection()).has_table(BalanceSettings.__tablename__):
        return
    rng = random.Random(f"{seed}:balance")
    people = sum(h.persons for h in households if h.move_out is None)
    settings = BalanceSettings(
        compound_id=demo.compound_id,
        # The demo's meters register what flows (no worn meters): a small under-registration, no theft.
        meter_error_fraction=Decimal("0.01"),
        unauthorised_fraction=Decimal(0),
        mains_km=Decimal("2.4"),
        service_km=Decimal("0.6"),
        pressure_m=Decimal("30"),
        night_people=people,
        small_users=3,
        pressure_profile=PRESSURE_PROFILE,
        favad_n1=Decimal("1.1"),
    )
    session.add(settings)
    session.add(
        UnbilledAccount(
            compound_id=demo.compound_id,
            account_id=demo.accounts[names.CENTRE_ACCOUNT.code],
            purpose=UnbilledPurpose.own_use,
            note="锅炉房及水泵房：后勤服务中心自用",
        )
    )
    session.flush()
    _seasonal_watering(session, demo)
    _bills(session, demo, "W-MAIN", WATER_LINES, rng)
    _bills(session, demo, "E-HV", POWER_LINES, rng)
    _night_tests(session, demo, settings, rng)
    session.flush()


# The lawns are watered fifteen times as much in summer as in winter: the centre sets an estimate for each season
# (the register's rule is one figure a day), so the balance's winter is not drowned by a summer figure.
SEASON_LITRES = {
    12: "0.3",
    1: "0.3",
    2: "0.3",
    3: "1.5",
    4: "3.0",
    5: "3.0",
    6: "4.8",
    7: "4.8",
    8: "4.8",
    9: "3.2",
    10: "3.2",
    11: "1.2",
}
SEASON_NAMES = {"0.3": "冬季", "1.5": "初春", "3.0": "春季", "4.8": "夏季", "3.2": "秋季", "1.2": "初冬"}


def _seasons(first: date, last: date) -> list[tuple[date, date | None, Decimal]]:
    """(first day, last day, litres per m² a day) of each season from `first` on; the last one open-ended."""
    out: list[tuple[date, date | None, Decimal]] = []
    m = first
    while m < last:
        litres = SEASON_LITRES[m.month]
        if out and str(out[-1][2]) == litres:
            m = c.add_months(m, 1)
            continue
        if out:
            out[-1] = (out[-1][0], m - timedelta(days=1), out[-1][2])
        out.append((m, None, Decimal(litres)))
        m = c.add_months(m, 1)
    return out


def _seasonal_watering(session: Session, demo: DemoRefs) -> None:
    """The landscaping estimate of the register ends with the 2024 season; one use per season follows it."""
    u = UnmeteredUse.__table__.c
    lawn = session.execute(
        sa.select(UnmeteredUse).where(UnmeteredUse.compound_id == demo.compound_id, u.name == "绿化用水")
    ).scalar_one()
    seasons = _seasons(demo.calendar.months[1], c.add_months(demo.calendar.months[-1], 2))
    lawn.active_to_date = seasons[0][0] - timedelta(days=1)
    for first, last, litres in seasons:
        session.add(
            UnmeteredUse(
                compound_id=demo.compound_id,
                utility=lawn.utility,
                name=f"绿化用水（{first:%Y}年{SEASON_NAMES[str(litres)]}）",
                category=lawn.category,
                parent_meter_id=lawn.parent_meter_id,
                zone_id=lawn.zone_id,
                rule=lawn.rule,
                area_m2=lawn.area_m2,
                litres_per_m2_day=litres,
                active_from_date=first,
                active_to_date=last,
            )
        )
    session.flush()


def _months(calendar: c.Calendar) -> list[date]:
    """The calendar months the rounds cover end to end (the utility reads on the first of each)."""
    first = calendar.months[1]
    last = calendar.months[-1]
    out, m = [], first
    while m < last:
        out.append(m)
        m = c.add_months(m, 1)
    return out


def _own(session: Session, compound_id: int, meter_id: int, start: date, end: date) -> int:
    window = Window(datetime.combine(start, time(), tzinfo=c.TZ), datetime.combine(end, time(), tzinfo=c.TZ))
    use = meter_use(
        compound_id=compound_id, window=window, dialect=session.get_bind().dialect.name, meter_ids=[meter_id]
    )
    row = session.execute(sa.select(use.c.use_milli)).first()
    return int(row[0]) if row else 0


def _bills(session: Session, demo: DemoRefs, serial: str, lines: tuple, rng: random.Random) -> None:
    meter_id = demo.meters[serial]
    for month in _months(demo.calendar):
        end = c.add_months(month, 1)
        own = _own(session, demo.compound_id, meter_id, month, end)
        factor = (
            DISAGREES[1]
            if (serial == "W-MAIN" and month == DISAGREES[0])
            else Decimal(1000 + rng.randint(-6, 6)) / 1000
        )
        # The utility's meter shows whole units.
        quantity = int(Decimal(own) * factor / 1000)
        parts = [(label, quantity, price, int((quantity * price * 100).quantize(Decimal(1)))) for label, price in lines]
        bill = UtilityBill(
            compound_id=demo.compound_id,
            meter_id=meter_id,
            period_start_date=month,
            period_end_date=end - timedelta(days=1),
            quantity_milli=quantity * 1000,
            amount_fen=sum(p[3] for p in parts),
            bill_number=f"{'SW' if serial.startswith('W') else 'GD'}{month:%Y%m}{rng.randint(1000, 9999)}",
            issued_date=end + timedelta(days=4),
        )
        session.add(bill)
        session.flush()
        for position, (label, qty, price, fen) in enumerate(parts, start=1):
            session.add(
                UtilityBillLine(
                    compound_id=demo.compound_id,
                    bill_id=bill.id,
                    position=position,
                    label=label,
                    quantity_milli=qty * 1000,
                    unit_price=price,
                    amount_fen=fen,
                )
            )


def _night_tests(session: Session, demo: DemoRefs, settings: BalanceSettings, rng: random.Random) -> None:
    """Readings of the master water meter every 30 minutes from 02:00 to 04:00 on a few quiet nights.

    The flow at night is the legitimate night use plus the leak at night pressure: the day's leakage divided by
    the night-day factor of the pressure profile, so the test points to the leak the balance finds.
    """
    factor = night_day_factor(settings).hours
    legitimate = (Decimal(settings.night_people) * Decimal("0.06") * 10 + settings.small_users * 50) / 1000  # m³/h
    meter_id = demo.meters["W-MAIN"]
    value = Decimal("0")
    for night in NIGHT_TESTS:
        day_start = datetime.combine(night, time(), tzinfo=c.TZ)
        leak_per_day = Decimal(c.leak_milli(day_start, day_start + timedelta(days=1))) / 1000
        rate = legitimate + leak_per_day / factor
        test = NightFlowTest(
            compound_id=demo.compound_id,
            meter_id=meter_id,
            test_date=night,
            read_by=names.PLUMBER,
            note="关闭各楼进户阀前的总表夜间读数",
        )
        session.add(test)
        session.flush()
        value = Decimal(_register_at(session, demo.compound_id, meter_id, day_start + timedelta(hours=2))) / 1000
        for k in range(5):
            at = day_start + timedelta(hours=2, minutes=30 * k)
            # A toilet cistern or a late kettle now and then: the flow is never below the quiet minimum.
            extra = Decimal(rng.randint(0, 40)) / 1000 if k else Decimal(0)
            if k:
                value += (rate + extra) / 2
            session.add(
                NightFlowReading(
                    compound_id=demo.compound_id,
                    test_id=test.id,
                    read_at=at,
                    value_milli=int(value.quantize(Decimal("0.001")) * 1000),
                )
            )


def _register_at(session: Session, compound_id: int, meter_id: int, at: datetime) -> int:
    """The master's dial (thousandths) at `at`, from the last reading before it and the use since (interpolated)."""
    r = Reading.__table__.c
    last = session.execute(
        sa.select(r.read_at, r.value_milli)
        .where(r.compound_id == compound_id, r.meter_id == meter_id, r.read_at <= at, r.superseded_by_id.is_(None))
        .order_by(r.read_at.desc())
        .limit(1)
    ).first()
    if last is None:
        return 0
    return last[1] + _own_between(session, compound_id, meter_id, last[0], at)


def _own_between(session: Session, compound_id: int, meter_id: int, start: datetime, end: datetime) -> int:
    use = meter_use(
        compound_id=compound_id,
        window=Window(start, end),
        dialect=session.get_bind().dialect.name,
        meter_ids=[meter_id],
    )
    row = session.execute(sa.select(use.c.use_milli)).first()
    return int(row[0]) if row else 0
