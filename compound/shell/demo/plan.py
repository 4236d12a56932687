"""The demo compound on paper: its households, its meter tree and what happens to its meters.

Pure data, no database: builder.py writes it, usage.py gives each meter its consumption.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from compound.register.models import ZoneKind
from compound.shell.demo import names
from compound.shell.demo.consumption import TZ, Calendar
from meters.models import EstimateRule, MeterRole, UnmeteredCategory, Utility

BLOCKS = ("1号楼", "2号楼")
UNITS_PER_BLOCK = 5
FLATS_PER_FLOOR = 4
MIN_HOUSEHOLDS = 40


@dataclass
class HouseholdPlan:
    code: str
    flat: str  # block-unit-floor/flat, e.g. "1-2-301"
    block: int  # 1 or 2
    walk: int  # position on its block's round
    name: str
    phone: str
    persons: int
    move_in: date
    move_out: date | None = None


@dataclass
class Replacement:
    """The meter is taken out during month k and a new one put in (the old one's seal was found broken)."""

    k: int
    at: datetime
    before_permille: int  # share of month k's use that went through the old meter
    new_serial: str
    new_start_milli: int
    note_final: str


@dataclass
class MeterNode:
    serial: str
    utility: Utility
    role: MeterRole
    location: str
    reader: str
    offset_seconds: int  # after the round's start
    zone: ZoneKind | None = None
    building: str | None = None
    account: str | None = None  # account code
    parent: str | None = None  # serial
    transformer: str | None = None  # name
    multiplier: int = 1
    dials: int = 6
    step_milli: int = 1000  # the finest figure read off the register (1000: whole units; 100: one decimal)
    start_milli: int = 0
    installed: date = date(2012, 5, 1)
    walk_order: int = 0
    hv_side: bool = False
    # Its place in the flow, for the consumption model: meters and transformer low-voltage meters under it.
    children: list[str] = field(default_factory=list)
    # Leaf meters: true use of each month k (index 0 unused), thousandths after the multiplier.
    use: list[int] = field(default_factory=list)
    # Inner meters: what flows through it besides its children (losses, unmetered use), from the children's
    # recorded use of each month.
    extra: Callable[[dict[str, list[int]]], list[int]] | None = None
    missed: set[int] = field(default_factory=set)  # rounds on which nobody could read it
    estimated: set[int] = field(default_factory=set)  # of those, the ones an estimate was made for
    replacement: Replacement | None = None
    replaces: str | None = None  # serial of the meter this one replaced
    removed: date | None = None
    # A meter that stopped: month k → the permille of its use it still registered (what it missed flowed on).
    slow: dict[int, int] = field(default_factory=dict)


@dataclass
class UnmeteredPlan:
    name: str
    utility: Utility
    category: UnmeteredCategory
    parent: str
    zone: ZoneKind
    rule: EstimateRule
    fixed_per_month: str | None = None
    lamp_count: int | None = None
    lamp_watts: int | None = None
    hours_per_day: str | None = None
    area_m2: int | None = None
    litres_per_m2_day: str | None = None
    actual: list[int] = field(default_factory=list)  # what it really used each month (never metered)


@dataclass
class SealPlan:
    serial: str
    number: str
    sealed: date
    sealed_by: str
    broken: date | None = None
    broken_by: str | None = None
    broken_note: str | None = None


@dataclass
class TreePlan:
    meters: dict[str, MeterNode]  # in an order where a parent comes before its children
    unmetered: list[UnmeteredPlan]
    seals: list[SealPlan]


class PaymentHabit(StrEnum):
    """How an account pays its bills: for the payments and collections a later part of the demo adds."""

    monthly = "monthly"  # pays each bill within the month
    late = "late"  # pays, one to three months late (cause 5 of the seed, for units)
    half_yearly = "half_yearly"  # pays every six months (cause 7)
    yearly = "yearly"  # pays once a year (cause 7)
    defaulter = "defaulter"  # stops paying until a home visit: a key defaulter
    earmarked = "earmarked"  # the finance bureau pays when its earmarked funds arrive (cause 6)


def plan_habits(rng: random.Random, households: list[HouseholdPlan]) -> dict[str, PaymentHabit]:
    """Account code → payment habit, for every office unit and household of the demo."""
    habits: dict[str, PaymentHabit] = {}
    for unit in (*names.OFFICE_UNITS, names.CONFERENCE_ACCOUNT, names.CENTRE_ACCOUNT):
        habits[unit.code] = (
            PaymentHabit.earmarked
            if unit.finance_bureau_pays
            else rng.choice(
                (PaymentHabit.monthly, PaymentHabit.monthly, PaymentHabit.monthly, PaymentHabit.late, PaymentHabit.late)
            )
        )
    kinds = (
        PaymentHabit.monthly,
        PaymentHabit.late,
        PaymentHabit.half_yearly,
        PaymentHabit.yearly,
        PaymentHabit.defaulter,
    )
    for h in households:
        habits[h.code] = rng.choices(kinds, weights=(55, 12, 18, 10, 5))[0]
    return habits


def plan_households(rng: random.Random, n: int) -> list[HouseholdPlan]:
    """n households in two blocks: five units (staircases) each, four flats a floor."""
    if n < MIN_HOUSEHOLDS:
        raise ValueError(f"the demo needs at least {MIN_HOUSEHOLDS} households")
    out: list[HouseholdPlan] = []
    for block in (1, 2):
        count = (n + 1) // 2 if block == 1 else n // 2
        per_unit = -(-count // UNITS_PER_BLOCK)
        walk = 0
        for unit in range(1, UNITS_PER_BLOCK + 1):
            for i in range(min(per_unit, count - walk)):
                floor, number = divmod(i, FLATS_PER_FLOOR)
                flat = f"{block}-{unit}-{floor + 1}{number + 1:02d}"
                out.append(
                    HouseholdPlan(
                        code=f"H{flat}",
                        flat=flat,
                        block=block,
                        walk=walk,
                        name=names.person_name(rng),
                        phone=names.phone(rng),
                        persons=rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)),
                        move_in=date(rng.randint(1996, 2023), rng.randint(1, 12), rng.randint(1, 28)),
                    )
                )
                walk += 1
    # A few households arrive during the two years (their flat stood empty before) and a few leave.
    movers = rng.sample(range(len(out)), 8)
    for i in movers[:3]:
        out[i].move_in = date(2025, rng.randint(2, 12), rng.randint(1, 28))
    for i in movers[3:]:
        out[i].move_out = date(rng.choice((2025, 2026)), rng.randint(1, 9), rng.randint(1, 28))
    return out


def block_name(block: int) -> str:
    return BLOCKS[block - 1]


def household_location(h: HouseholdPlan, utility: Utility) -> str:
    _block, unit, flat = h.flat.split("-")
    floor = flat[:-2]
    place = "管道井" if utility == Utility.water else "电表箱"
    return f"{block_name(h.block)}{unit}单元{floor}层{place}（{flat}室）"


def plan_tree(households: list[HouseholdPlan], calendar: Calendar, seed: str) -> TreePlan:
    """Every meter, transformer low-voltage meter and unmetered use, and the special events of the story."""
    meters: dict[str, MeterNode] = {}
    for node in _water_meters(households) + _electricity_meters(households):
        meters[node.serial] = node
    for node in meters.values():
        if node.parent and node.parent in meters:
            meters[node.parent].children.append(node.serial)
    unmetered = _unmetered()
    _special_events(meters, households, calendar, random.Random(f"{seed}:events"))
    seals = _seals(meters, calendar, random.Random(f"{seed}:seals"))
    return TreePlan(meters=meters, unmetered=unmetered, seals=seals)


def _office_meters(utility: Utility, parent: str, offset: int) -> list[MeterNode]:
    letter = "W" if utility == Utility.water else "E"
    where = "水表间" if utility == Utility.water else "配电箱"
    out = []
    for i, unit in enumerate(names.OFFICE_UNITS):
        out.append(
            MeterNode(
                serial=f"{letter}-{unit.code}",
                utility=utility,
                role=MeterRole.billing,
                location=f"{unit.building}一层{where}（{unit.name}）",
                reader=names.OFFICE_READER,
                offset_seconds=offset + 180 * i,
                zone=ZoneKind.office,
                building=unit.building,
                account=unit.code,
                parent=parent,
                dials=5 if utility == Utility.water else 6,
                step_milli=1000 if utility == Utility.water else 100,
                walk_order=2 * i + (utility == Utility.electricity),
                installed=date(2010 + i % 9, 3 + i % 8, 10),
            )
        )
    return out


def _water_meters(households: list[HouseholdPlan]) -> list[MeterNode]:
    w, z = Utility.water, ZoneKind
    conf, centre = names.CONFERENCE_ACCOUNT.code, names.CENTRE_ACCOUNT.code
    out = [
        MeterNode(
            "W-MAIN",
            w,
            MeterRole.utility,
            "西门总水表井（全院总表、总阀）",
            names.PLUMBER,
            0,
            zone=z.public,
            dials=7,
            step_milli=100,
            start_milli=486_213_400,
            installed=date(2024, 6, 18),
        ),
        MeterNode(
            "W-OFFICE",
            w,
            MeterRole.check,
            "办公区进水阀门井（办公区分表）",
            names.PLUMBER,
            1800,
            zone=z.office,
            parent="W-MAIN",
            step_milli=100,
            start_milli=71_530_200,
            installed=date(2024, 7, 2),
        ),
        MeterNode(
            "W-CONF",
            w,
            MeterRole.billing,
            "会议楼东侧水表井（会务区水表）",
            names.PLUMBER,
            2100,
            zone=z.conference,
            building="会议楼",
            account=conf,
            parent="W-MAIN",
            dials=5,
            start_milli=18_402_000,
            installed=date(2016, 4, 12),
        ),
        MeterNode(
            "W-BOILER",
            w,
            MeterRole.billing,
            "锅炉房及水泵房进水管",
            names.PLUMBER,
            2400,
            zone=z.public,
            building="锅炉房及水泵房",
            account=centre,
            parent="W-MAIN",
            dials=5,
            start_milli=26_751_000,
            installed=date(2015, 10, 8),
        ),
        MeterNode(
            "W-LIVING",
            w,
            MeterRole.check,
            "生活区进水阀门井（生活区分表）",
            names.PLUMBER,
            2700,
            zone=z.living,
            parent="W-MAIN",
            step_milli=100,
            start_milli=203_884_500,
            installed=date(2024, 7, 2),
        ),
    ]
    for block in (1, 2):
        out.append(
            MeterNode(
                f"W-B{block}",
                w,
                MeterRole.check,
                f"{block_name(block)}北侧进户水表井（楼总表）",
                names.PLUMBER,
                2700 + 300 * block,
                zone=z.living,
                building=block_name(block),
                parent="W-LIVING",
                step_milli=100,
                start_milli=(97_310_300, 88_962_700)[block - 1],
                installed=date(2019, 5, 20),
            )
        )
    out += _office_meters(w, "W-OFFICE", 1800)
    out += _household_meters(households, w)
    return out


def _electricity_meters(households: list[HouseholdPlan]) -> list[MeterNode]:
    e, z = Utility.electricity, ZoneKind
    conf, centre = names.CONFERENCE_ACCOUNT.code, names.CENTRE_ACCOUNT.code
    room = "配电室"
    out = [
        # The utility bills on the 10 kV side (CT 50/5 × PT 10000/100): the transformers' losses are ours.
        MeterNode(
            "E-HV",
            e,
            MeterRole.utility,
            "配电室10kV进线计量柜（供电公司关口表）",
            names.ELECTRICIAN,
            600,
            zone=z.public,
            building=room,
            multiplier=1000,
            step_milli=10,
            start_milli=3_862_410,
            installed=date(2016, 8, 30),
            hv_side=True,
            children=["E-T1", "E-T2"],
        ),
        MeterNode(
            "E-T1",
            e,
            MeterRole.check,
            "配电室1号变压器低压总柜（CT 1500/5）",
            names.ELECTRICIAN,
            720,
            building=room,
            transformer="1号变压器",
            multiplier=300,
            step_milli=10,
            start_milli=9_214_370,
            installed=date(2016, 8, 30),
            walk_order=1,
        ),
        MeterNode(
            "E-T2",
            e,
            MeterRole.check,
            "配电室2号变压器低压总柜（CT 1000/5）",
            names.ELECTRICIAN,
            840,
            building=room,
            transformer="2号变压器",
            multiplier=200,
            step_milli=10,
            start_milli=15_377_820,
            installed=date(2016, 8, 30),
            walk_order=2,
        ),
        # The office feeder also feeds the meeting building: office and conference are not separated.
        MeterNode(
            "E-OFFICE",
            e,
            MeterRole.check,
            "配电室办公区出线柜（办公楼及会议楼，CT 200/5）",
            names.ELECTRICIAN,
            960,
            zone=z.office,
            building=room,
            parent="E-T1",
            multiplier=40,
            step_milli=10,
            start_milli=412_650_330,
            installed=date(2016, 8, 30),
            walk_order=3,
        ),
        MeterNode(
            "E-AUD",
            e,
            MeterRole.billing,
            "大礼堂配电间（CT 100/5）",
            names.ELECTRICIAN,
            3000,
            zone=z.conference,
            building="大礼堂",
            account=conf,
            parent="E-T1",
            multiplier=20,
            step_milli=10,
            start_milli=52_118_060,
            installed=date(2014, 6, 3),
        ),
        MeterNode(
            "E-MEET",
            e,
            MeterRole.billing,
            "会议楼一层配电间",
            names.ELECTRICIAN,
            3300,
            zone=z.conference,
            building="会议楼",
            account=conf,
            parent="E-OFFICE",
            step_milli=100,
            start_milli=318_442_700,
            installed=date(2014, 6, 3),
        ),
        MeterNode(
            "E-BOILER",
            e,
            MeterRole.billing,
            "锅炉房及水泵房配电柜（CT 50/5）",
            names.ELECTRICIAN,
            3600,
            zone=z.public,
            building="锅炉房及水泵房",
            account=centre,
            parent="E-T1",
            multiplier=10,
            step_milli=10,
            start_milli=64_905_880,
            installed=date(2015, 10, 8),
        ),
        # The living feeder also carries the courtyard lamps, which have no meter of their own.
        MeterNode(
            "E-LIVING",
            e,
            MeterRole.check,
            "配电室生活区出线柜（住宅楼及庭院灯，CT 200/5）",
            names.ELECTRICIAN,
            1080,
            zone=z.living,
            building=room,
            parent="E-T2",
            multiplier=40,
            step_milli=10,
            start_milli=994_810_550,
            installed=date(2016, 8, 30),
            walk_order=4,
        ),
    ]
    for block in (1, 2):
        out.append(
            MeterNode(
                f"E-B{block}",
                e,
                MeterRole.check,
                f"{block_name(block)}一层配电间（楼总表，CT 100/5）",
                names.BLOCK_READERS[block - 1],
                1500,
                zone=z.living,
                building=block_name(block),
                parent="E-LIVING",
                multiplier=20,
                step_milli=10,
                start_milli=(231_405_120, 198_770_460)[block - 1],
                installed=date(2016, 8, 30),
            )
        )
    out += _office_meters(e, "E-OFFICE", 1830)
    out += _household_meters(households, e)
    return out


def _household_meters(households: list[HouseholdPlan], utility: Utility) -> list[MeterNode]:
    water = utility == Utility.water
    letter = "W" if water else "E"
    out = []
    for h in households:
        seed_value = sum(map(ord, h.flat))  # a stable, varied register start for every flat
        out.append(
            MeterNode(
                serial=f"{letter}-{h.flat}",
                utility=utility,
                role=MeterRole.billing,
                location=household_location(h, utility),
                reader=names.BLOCK_READERS[h.block - 1],
                offset_seconds=1800 + 40 * h.walk + (0 if water else 20),
                zone=ZoneKind.living,
                building=block_name(h.block),
                account=h.code,
                parent=f"{letter}-B{h.block}",
                dials=5 if water else 6,
                step_milli=1000 if water else 100,
                start_milli=(seed_value * 37 % 2400 + 300) * 1000
                if water
                else (seed_value * 131 % 38000 + 4000) * 1000,
                walk_order=2 * h.walk + (0 if water else 1),
                installed=date(2008 + seed_value % 12, 1 + seed_value % 12, 1 + seed_value % 27),
            )
        )
    return out


def _unmetered() -> list[UnmeteredPlan]:
    w, e, z = Utility.water, Utility.electricity, ZoneKind
    c = UnmeteredCategory
    return [
        UnmeteredPlan(
            "绿化用水", w, c.landscaping, "W-MAIN", z.public, EstimateRule.area, area_m2=6000, litres_per_m2_day="3.000"
        ),
        UnmeteredPlan(
            "1号公厕（西门）", w, c.public_toilet, "W-MAIN", z.public, EstimateRule.fixed, fixed_per_month="50.000"
        ),
        UnmeteredPlan(
            "2号公厕（生活区）", w, c.public_toilet, "W-MAIN", z.public, EstimateRule.fixed, fixed_per_month="30.000"
        ),
        UnmeteredPlan(
            "办公区保洁及开水房用水",
            w,
            c.office_use,
            "W-OFFICE",
            z.office,
            EstimateRule.fixed,
            fixed_per_month="40.000",
        ),
        # Problem 1 of the seed: the courtyard lamps hang off the living-area feeder, behind its check meter.
        UnmeteredPlan(
            "庭院灯",
            e,
            c.courtyard_lamps,
            "E-LIVING",
            z.public,
            EstimateRule.lamps,
            lamp_count=60,
            lamp_watts=60,
            hours_per_day="4.50",
        ),
        UnmeteredPlan(
            "公用路灯",
            e,
            c.street_lights,
            "E-T2",
            z.public,
            EstimateRule.lamps,
            lamp_count=40,
            lamp_watts=150,
            hours_per_day="11.50",
        ),
    ]


def _special_events(
    meters: dict[str, MeterNode], households: list[HouseholdPlan], calendar: Calendar, rng: random.Random
) -> None:
    """Rollovers, one replacement, missed reads and estimates, on households that stay all along."""
    settled = [h for h in households if h.move_out is None and h.move_in < calendar.months[0]]
    picks = rng.sample(settled, 10)
    # Old meters whose registers wrap during the two years.
    for h, dials, start in ((picks[0], 4, 9_978_000), (picks[1], 4, 9_941_000), (picks[2], 5, 99_712_300)):
        node = meters[f"{'E' if dials == 5 else 'W'}-{h.flat}"]
        node.dials, node.start_milli = dials, start
    # A water meter stops in March 2025 (its register barely moves while the flat is lived in); in June it is found
    # with a cracked glass and a broken seal, and replaced.
    old = meters[f"W-{picks[3].flat}"]
    k = calendar.month_index(date(2025, 6, 1))
    old.slow = {m: 15 for m in range(k - 3, k + 1)}
    at = (calendar.rounds[k - 1] + timedelta(days=16)).astimezone(TZ).replace(hour=14, minute=20)
    old.replacement = Replacement(
        k=k,
        at=at,
        before_permille=520,
        new_serial=f"{old.serial}-2",
        new_start_milli=0,
        note_final="表计停走、表盘玻璃破裂、封签断开，拆旧表（末次读数）",
    )
    old.removed = at.date()
    new = MeterNode(
        **{
            **old.__dict__,
            "serial": old.replacement.new_serial,
            "replacement": None,
            "replaces": old.serial,
            "use": [],
            "removed": None,
            "start_milli": 0,
            "installed": at.date(),
            "dials": 5,
            "children": [],
            "missed": set(),
            "estimated": set(),
            "slow": {},
        }
    )
    meters[new.serial] = new
    meters[old.parent].children.append(new.serial)  # type: ignore[index]
    # Missed reads: nobody home, a locked meter cupboard. Two of them get an estimate.
    for i, h in enumerate(picks[4:]):
        node = meters[f"{'W' if i % 2 else 'E'}-{h.flat}"]
        round_k = rng.randint(4, len(calendar.rounds) - 3)
        node.missed.add(round_k)
        if i < 2:
            node.estimated.add(round_k)


def _seals(meters: dict[str, MeterNode], calendar: Calendar, rng: random.Random) -> list[SealPlan]:
    """The centre tested and sealed every meter in the autumn of 2024; a few meters escaped, a few broke."""
    seals: list[SealPlan] = []
    billing = [m for m in meters.values() if m.role == MeterRole.billing and m.replaces is None]
    unsealed = {m.serial for m in rng.sample(billing, 4)}
    for n, m in enumerate(meters.values(), start=1):
        if m.serial in unsealed:
            continue
        if m.role == MeterRole.utility:
            seals.append(
                SealPlan(
                    m.serial, f"GS-{m.installed:%Y%m}-{n:04d}", m.installed, names.UTILITY_SEALERS[m.utility.value]
                )
            )
            continue
        sealed = m.installed if m.replaces else date(2024, 9, 2) + timedelta(days=rng.randint(0, 45))
        seals.append(SealPlan(m.serial, f"HQ{sealed.year}-{n:05d}", sealed, rng.choice(names.SEALERS)))
        if m.replacement:
            seals[-1].broken, seals[-1].broken_by = m.replacement.at.date() - timedelta(days=3), m.reader
            seals[-1].broken_note = "抄表时发现封签断开、表盘玻璃破裂，已报修换表"
    breakable = [s for s in seals if s.serial.startswith(("W-1", "W-2", "E-1", "E-2")) and s.broken is None]
    for s in rng.sample(breakable, 3):
        s.broken = calendar.months[rng.randint(3, 20)] + timedelta(days=rng.randint(0, 27))
        s.broken_by = names.BLOCK_READERS[int(s.serial[2]) - 1]
        s.broken_note = rng.choice(
            ("表箱封签被剪断，已告知住户并重新核对读数", "封签锈蚀断裂，待补封", "住户自行打开表箱检修，封签破坏")
        )
    return seals
