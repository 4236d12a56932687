"""Generated compounds for the balance tests: known uses, a known leak, known unmetered uses and transformers.

Readings are written with Core inserts, with the consumption and period the reading service would store, so a
scenario of hundreds of meters takes milliseconds. Every meter's use is spread evenly over time (a constant
rate per meter), so the balance's interpolation between readings gives back the true use up to the rounding
of a thousandth.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Account, AccountKind, Building, Compound, Zone, ZoneKind
from meters.models import Meter, MeterRole, Reading, Transformer, UnmeteredUse, Utility
from reports.models import BalanceSettings, UnbilledAccount, UnbilledPurpose
from tests.factories import make_compound

TZ = ZoneInfo("Asia/Shanghai")
DAY = 86400


def local(d: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=TZ)


@dataclass
class Leaf:
    """A billing meter and what flows through it per day (true), of which it registers (1 − under) × true."""

    serial: str
    milli_per_day: int
    zone: str | None = None
    under: Fraction = Fraction(0)
    own_use: bool = False  # the centre's own use: metered, not billed
    no_account: bool = False
    stops_at: datetime | None = None  # from then on the meter registers nothing (stopped, tampered with)
    building: str | None = None  # a building of that name in the leaf's zone


@dataclass
class Check:
    serial: str
    zone: str | None
    leaves: list[Leaf] = field(default_factory=list)
    loss_milli_per_day: int = 0  # what leaks between the check meter and its meters
    loss_until: datetime | None = None  # the leak repaired then


@dataclass
class Unmetered:
    name: str
    fixed_per_month: Decimal  # the "fixed" rule, whole months only in the tests: the estimate is exact
    category: str = "landscaping"
    zone: str | None = None
    parent: str | None = None  # a check meter's serial; None: under the master


@dataclass
class Scenario:
    """One water master meter, its check meters and billing meters, and what flows past them."""

    leaves: list[Leaf] = field(default_factory=list)  # directly under the master
    checks: list[Check] = field(default_factory=list)
    unmetered: list[Unmetered] = field(default_factory=list)
    leak_milli_per_day: int = 0  # on the master's side, upstream of everything
    leak_until: datetime | None = None  # the leak repaired then
    zones: tuple[str, ...] = ("Office", "Living", "Public")
    utility: Utility = Utility.water

    def all_leaves(self) -> list[Leaf]:
        return self.leaves + [leaf for c in self.checks for leaf in c.leaves]


@dataclass
class Built:
    compound: Compound
    meters: dict[str, Meter]
    zones: dict[str, Zone]


def _meter(session: Session, c: Compound, serial: str, role: MeterRole, utility: Utility, **kw) -> Meter:
    m = Meter(compound_id=c.id, utility=utility, serial=serial, role=role, dials=9, **kw)
    session.add(m)
    session.flush()
    return m


def readings_for(meter: Meter, times: list[datetime], cum_milli: list[int]) -> list[dict]:
    """The rows record_reading would store for register values cum at these times (multiplier 1)."""
    rows, prev = [], None
    for at, cum in zip(times, cum_milli, strict=True):
        rows.append(
            {
                "compound_id": meter.compound_id,
                "meter_id": meter.id,
                "read_at": at,
                "value_milli": cum,
                "consumption_milli": None if prev is None else cum - prev[1],
                "period_seconds": None if prev is None else int((at - prev[0]).total_seconds()),
                "rollover": False,
                "source": "manual",
                "kind": "regular",
                "read_by": "",
                "note": "",
                "confirmed": "",
            }
        )
        prev = (at, cum)
    return rows


# A flow: an even rate (thousandths a day), or a schedule of rates [(from, rate), ...] — each rate holds from its
# moment (None: from the start) until the next one's.
Flow = Fraction | int | list[tuple[datetime | None, Fraction | int]]


def _days(a: datetime, b: datetime) -> Fraction:
    return Fraction(int((b - a).total_seconds()), DAY)


def flowed(flow: Flow, start: datetime, t: datetime) -> Fraction:
    """What the flow carried from `start` to `t`, exactly."""
    if not isinstance(flow, list):
        return Fraction(flow) * _days(start, t)
    total = Fraction(0)
    for i, (since, rate) in enumerate(flow):
        a = max(start, since) if since is not None else start
        until = flow[i + 1][0] if i + 1 < len(flow) else None
        b = min(t, until) if until is not None else t
        if b > a:
            total += Fraction(rate) * _days(a, b)
    return total


def cumulative(milli_per_day: Flow, start: datetime, times: list[datetime], *more: Flow) -> list[int]:
    """The register (thousandths) at each time, for the flows from `start`, cut to whole thousandths."""
    return [int(sum((flowed(f, start, t) for f in (milli_per_day, *more)), Fraction(0))) for t in times]


def write_readings(session: Session, meter: Meter, milli_per_day: Flow, times: list[datetime], *more: Flow) -> None:
    rows = readings_for(meter, times, cumulative(milli_per_day, times[0], times, *more))
    session.execute(sa.insert(Reading.__table__), rows)


def scaled(flow: Flow, factor: Fraction) -> Flow:
    if not isinstance(flow, list):
        return Fraction(flow) * factor
    return [(since, Fraction(rate) * factor) for since, rate in flow]


def stopping(rate: Fraction | int, at: datetime | None) -> Flow:
    """An even rate until `at`, nothing after (a leak repaired, a meter that stops registering)."""
    return Fraction(rate) if at is None else [(None, Fraction(rate)), (at, Fraction(0))]


def build(session: Session, s: Scenario, times: list[datetime], *, settings: dict | None = None) -> Built:
    """The compound of the scenario, with readings of every meter at `times` (the master's are the same times)."""
    c = make_compound(session)
    zones = {}
    for name in s.zones:
        z = Zone(compound_id=c.id, name=name, kind=ZoneKind.office)
        session.add(z)
        session.flush()
        zones[name] = z
    meters: dict[str, Meter] = {}
    master = _meter(session, c, "MASTER", MeterRole.utility, s.utility)
    meters["MASTER"] = master
    total: list[Flow] = [stopping(s.leak_milli_per_day, s.leak_until)]
    for leaf in s.leaves:
        total.append(_leaf(session, c, leaf, master, zones, meters, times))
    for check in s.checks:
        cm = _meter(
            session,
            c,
            check.serial,
            MeterRole.check,
            s.utility,
            parent_id=master.id,
            zone_id=zones[check.zone].id if check.zone else None,
        )
        meters[check.serial] = cm
        through: list[Flow] = [stopping(check.loss_milli_per_day, check.loss_until)]
        through += [_leaf(session, c, leaf, cm, zones, meters, times) for leaf in check.leaves]
        through += [_daily(u) for u in s.unmetered if u.parent == check.serial]
        write_readings(session, cm, *through[:1], times, *through[1:])
        total += through
    total += [_daily(u) for u in s.unmetered if u.parent is None]
    write_readings(session, master, total[0], times, *total[1:])
    for u in s.unmetered:
        parent = meters[u.parent].id if u.parent else master.id
        session.add(
            UnmeteredUse(
                compound_id=c.id,
                utility=s.utility,
                name=u.name,
                category=u.category,
                rule="fixed",
                fixed_per_month=u.fixed_per_month,
                parent_meter_id=parent,
                zone_id=zones[u.zone].id if u.zone else None,
            )
        )
    session.add(BalanceSettings(compound_id=c.id, **(settings or QUIET)))
    session.flush()
    return Built(c, meters, zones)


# Settings that estimate nothing: the scenario says what is really there.
QUIET = {
    "meter_error_fraction": Decimal(0),
    "data_handling_fraction": Decimal(0),
    "unauthorised_fraction": Decimal(0),
    "estimated_read_error_fraction": Decimal(0),
    "line_loss_rate": Decimal(0),
}


def _daily(u: Unmetered) -> Fraction:
    """A fixed monthly use spread over a 30-day month (the tests use 30-day periods)."""
    return Fraction(u.fixed_per_month) * 1000 / 30


def _building(session, c, zone: Zone, name: str) -> Building:
    found = session.execute(sa.select(Building).where(Building.compound_id == c.id, Building.name == name)).scalar()
    if found is None:
        found = Building(compound_id=c.id, zone_id=zone.id, name=name)
        session.add(found)
        session.flush()
    return found


def _leaf(session, c, leaf: Leaf, parent: Meter, zones, meters, times) -> Flow:
    account = None
    building = _building(session, c, zones[leaf.zone], leaf.building) if leaf.building and leaf.zone else None
    if not leaf.no_account:
        account = Account(compound_id=c.id, code=f"A-{leaf.serial}", kind=AccountKind.household, name=leaf.serial,
                          building_id=building.id if building else None)  # fmt: skip
        session.add(account)
        session.flush()
        if leaf.own_use:
            session.add(UnbilledAccount(compound_id=c.id, account_id=account.id, purpose=UnbilledPurpose.own_use))
    m = _meter(
        session,
        c,
        leaf.serial,
        MeterRole.billing,
        parent.utility,
        parent_id=parent.id,
        account_id=account.id if account else None,
        zone_id=zones[leaf.zone].id if leaf.zone else None,
        building_id=building.id if building else None,
    )
    meters[leaf.serial] = m
    write_readings(session, m, scaled(stopping(leaf.milli_per_day, leaf.stops_at), 1 - leaf.under), times)
    return Fraction(leaf.milli_per_day)


def add_transformer(session: Session, c: Compound, feeder: Meter, *, name: str, kva: str, p0_w: str, pk_w: str) -> int:
    t = Transformer(
        compound_id=c.id,
        name=name,
        rated_kva=Decimal(kva),
        no_load_loss_w=Decimal(p0_w),
        copper_loss_w=Decimal(pk_w),
        parent_meter_id=feeder.id,
    )
    session.add(t)
    session.flush()
    return t.id
