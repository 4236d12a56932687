"""Write the demo compound into the database: register, meter tree, 24 months of readings.

Three steps that later parts of the demo (bills, payments, collections) extend: build_register,
build_meter_tree and build_readings each return the ids the next step needs, gathered in DemoCompound.
Rows go in with bulk Core inserts; nothing here commits.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Account, AccountKind, Building, Compound, Payer, Zone, ZoneKind
from compound.shell.demo import names
from compound.shell.demo.balance import build_balance
from compound.shell.demo.billing import build_billing
from compound.shell.demo.chain import RoundTimes, points, reading_rows, recorded_by_month
from compound.shell.demo.collections import build_collections
from compound.shell.demo.consumption import TRANSFORMERS, Calendar, make_calendar
from compound.shell.demo.findings import build_findings
from compound.shell.demo.payments import build_payments
from compound.shell.demo.plan import (
    BLOCKS,
    HouseholdPlan,
    MeterNode,
    PaymentHabit,
    TreePlan,
    plan_habits,
    plan_households,
    plan_tree,
)
from compound.shell.demo.usage import assign_usage
from meters.models import Meter, MeterStatus, Reading, ReadingSource, Seal, Transformer, UnmeteredUse

SEED = "某区机关大院"
DEFAULT_HOUSEHOLDS = 400
READING_BATCH = 5000

# (stage, done, total): lets the command line draw progress without this module knowing how.
OnProgress = Callable[[str, int, int], None]

ZONES = (
    (ZoneKind.office, "办公区"),
    (ZoneKind.conference, "会务区"),
    (ZoneKind.living, "生活区"),
    (ZoneKind.public, "公共区域"),
)
BUILDINGS = (
    ("1号办公楼", ZoneKind.office),
    ("2号办公楼", ZoneKind.office),
    ("3号办公楼", ZoneKind.office),
    ("大礼堂", ZoneKind.conference),
    ("会议楼", ZoneKind.conference),
    (BLOCKS[0], ZoneKind.living),
    (BLOCKS[1], ZoneKind.living),
    ("锅炉房及水泵房", ZoneKind.public),
    ("配电室", ZoneKind.public),
)


@dataclass
class RegisterIds:
    compound_id: int
    zones: dict[ZoneKind, int]
    buildings: dict[str, int]  # name → id
    accounts: dict[str, int]  # account code → id
    households: list[HouseholdPlan]
    habits: dict[str, PaymentHabit]  # account code → how it pays


@dataclass
class TreeIds:
    calendar: Calendar
    plan: TreePlan
    meters: dict[str, int]  # serial → id
    transformers: dict[str, int]  # name → id
    unmetered: dict[str, int]  # name → id


@dataclass
class DemoCompound:
    """What later parts of the demo build on: the ids, the calendar of rounds and each account's habits."""

    compound_id: int
    code: str
    seed: str
    calendar: Calendar
    zones: dict[ZoneKind, int]
    buildings: dict[str, int]
    accounts: dict[str, int]
    meters: dict[str, int]
    transformers: dict[str, int]
    unmetered: dict[str, int]
    habits: dict[str, PaymentHabit]
    finance_bureau_pays: list[str] = field(default_factory=list)  # account codes
    readings: int = 0


def _insert(session: Session, table: sa.Table, rows: list[dict]) -> list[int]:
    """Bulk insert, returning the new ids in the order of the rows."""
    if not rows:
        return []
    result = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def build_register(
    session: Session,
    *,
    seed: str = SEED,
    households: int = DEFAULT_HOUSEHOLDS,
    code: str = names.COMPOUND_CODE,
    name: str = names.COMPOUND_NAME,
) -> RegisterIds:
    """The compound, its four zones, its buildings, its office units and households."""
    rng = random.Random(f"{seed}:register")
    (compound_id,) = _insert(
        session,
        Compound.__table__,
        [{"code": code, "name": name, "timezone": "Asia/Shanghai", "spike_factor": Decimal("3"), "is_demo": True}],
    )
    zone_ids = _insert(
        session, Zone.__table__, [{"compound_id": compound_id, "name": n, "kind": k.value} for k, n in ZONES]
    )
    zones = {k: i for (k, _n), i in zip(ZONES, zone_ids, strict=True)}
    building_ids = _insert(
        session,
        Building.__table__,
        [{"compound_id": compound_id, "name": n, "zone_id": zones[k]} for n, k in BUILDINGS],
    )
    buildings = {n: i for (n, _k), i in zip(BUILDINGS, building_ids, strict=True)}
    people = plan_households(rng, households)
    units = (*names.OFFICE_UNITS, names.CONFERENCE_ACCOUNT, names.CENTRE_ACCOUNT)
    rows = [
        {
            "compound_id": compound_id,
            "code": u.code,
            "kind": AccountKind.office.value,
            "name": u.name,
            "building_id": buildings[u.building],
            "flat": None,
            "phone": f"内线 {6000 + 11 * i}",
            "payer": (Payer.finance_bureau if u.finance_bureau_pays else Payer.self).value,
            "move_in_date": date(2003, 9, 1),
            "move_out_date": None,
        }
        for i, u in enumerate(units, start=1)
    ]
    rows += [
        {
            "compound_id": compound_id,
            "code": h.code,
            "kind": AccountKind.household.value,
            "name": h.name,
            "building_id": buildings[BLOCKS[h.block - 1]],
            "flat": h.flat,
            "phone": h.phone,
            "payer": Payer.self.value,
            "move_in_date": h.move_in,
            "move_out_date": h.move_out,
        }
        for h in people
    ]
    account_ids = _insert(session, Account.__table__, rows)
    return RegisterIds(
        compound_id=compound_id,
        zones=zones,
        buildings=buildings,
        accounts={r["code"]: i for r, i in zip(rows, account_ids, strict=True)},
        households=people,
        habits=plan_habits(random.Random(f"{seed}:habits"), people),
    )


def build_meter_tree(session: Session, *, register: RegisterIds, seed: str = SEED) -> TreeIds:
    """Meters (utility, check, billing), the two transformers, the unmetered uses and the seals."""
    calendar = make_calendar(random.Random(f"{seed}:calendar"))
    plan = plan_tree(register.households, calendar, seed)
    cid = register.compound_id
    meter_ids: dict[str, int] = {}
    transformer_ids: dict[str, int] = {}
    for level in _levels(plan.meters):
        rows = [_meter_row(plan.meters[s], register, meter_ids, transformer_ids) for s in level]
        meter_ids.update(zip(level, _insert(session, Meter.__table__, rows), strict=True))
        if not transformer_ids:  # fed by the utility meter, feeding the low-voltage meters of the next level
            transformer_ids = _insert_transformers(session, cid, meter_ids)
    unmetered_ids = _insert(
        session,
        UnmeteredUse.__table__,
        [
            {
                "compound_id": cid,
                "utility": u.utility.value,
                "name": u.name,
                "category": u.category.value,
                "parent_meter_id": meter_ids[u.parent],
                "zone_id": register.zones[u.zone],
                "rule": u.rule.value,
                "fixed_per_month": _dec(u.fixed_per_month),
                "lamp_count": u.lamp_count,
                "lamp_watts": _dec(u.lamp_watts),
                "hours_per_day": _dec(u.hours_per_day),
                "area_m2": _dec(u.area_m2),
                "litres_per_m2_day": _dec(u.litres_per_m2_day),
                "active_from_date": date(2024, 6, 18),
                "active_to_date": None,
            }
            for u in plan.unmetered
        ],
    )
    _insert(
        session,
        Seal.__table__,
        [
            {
                "compound_id": cid,
                "meter_id": meter_ids[s.serial],
                "number": s.number,
                "sealed_date": s.sealed,
                "sealed_by": s.sealed_by,
                "broken_date": s.broken,
                "broken_by": s.broken_by,
                "broken_note": s.broken_note,
            }
            for s in plan.seals
        ],
    )
    return TreeIds(
        calendar=calendar,
        plan=plan,
        meters=meter_ids,
        transformers=transformer_ids,
        unmetered={u.name: i for u, i in zip(plan.unmetered, unmetered_ids, strict=True)},
    )


def _dec(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _levels(meters: dict[str, MeterNode]) -> list[list[str]]:
    """Serials grouped so every meter's parent, transformer feeder or replaced meter is in an earlier group."""

    def depth(node: MeterNode) -> int:
        if node.replaces:
            return depth(meters[node.replaces]) + 1
        if node.parent:
            return depth(meters[node.parent]) + 1
        return 1 if node.transformer else 0

    grouped: dict[int, list[str]] = {}
    for serial, node in meters.items():
        grouped.setdefault(depth(node) * 2 + (1 if node.replaces else 0), []).append(serial)
    return [grouped[d] for d in sorted(grouped)]


def _insert_transformers(session: Session, compound_id: int, meter_ids: dict[str, int]) -> dict[str, int]:
    ids = _insert(
        session,
        Transformer.__table__,
        [
            {
                "compound_id": compound_id,
                "name": t.name,
                "rated_kva": Decimal(t.rated_kva),
                "no_load_loss_w": Decimal(t.no_load_loss_w),
                "copper_loss_w": Decimal(t.copper_loss_w),
                "parent_meter_id": meter_ids["E-HV"],
            }
            for t in TRANSFORMERS
        ],
    )
    return {t.name: i for t, i in zip(TRANSFORMERS, ids, strict=True)}


def _meter_row(m: MeterNode, register: RegisterIds, meter_ids: dict[str, int], transformer_ids: dict[str, int]) -> dict:
    return {
        "compound_id": register.compound_id,
        "utility": m.utility.value,
        "serial": m.serial,
        "location": m.location,
        "role": m.role.value,
        "account_id": register.accounts[m.account] if m.account else None,
        "parent_id": meter_ids[m.parent] if m.parent else None,
        "transformer_id": transformer_ids[m.transformer] if m.transformer else None,
        "building_id": register.buildings[m.building] if m.building else None,
        "zone_id": register.zones[m.zone] if m.zone else None,
        "multiplier": m.multiplier,
        "dials": m.dials,
        "walk_order": m.walk_order,
        "installed_date": m.installed,
        "removed_date": m.removed,
        "status": (MeterStatus.removed if m.removed else MeterStatus.active).value,
        "replaces_id": meter_ids[m.replaces] if m.replaces else None,
        "hv_side": m.hv_side,
    }


def build_readings(
    session: Session,
    *,
    register: RegisterIds,
    tree: TreeIds,
    seed: str = SEED,
    spike_factor: Decimal = Decimal("3"),
    on_progress: OnProgress | None = None,
) -> int:
    """24 months of monthly rounds for every meter; estimates superseded by the real reading after them."""
    plan, calendar = tree.plan, tree.calendar
    assign_usage(plan, register.households, calendar, seed)
    times = RoundTimes(calendar, seed)
    months = len(calendar.rounds) - 1
    pts: dict[str, list] = {}
    recorded: dict[str, list[int]] = {}

    def measure(serial: str) -> list[int]:
        """What the meter recorded each month; an inner meter's true use is its children's plus its extra."""
        if serial in recorded:
            return recorded[serial]
        node = plan.meters[serial]
        if node.children:
            below = {child: measure(child) for child in node.children}
            extra = node.extra(below) if node.extra else [0] * (months + 1)
            node.use = [sum(col) + e for *col, e in zip(*below.values(), extra, strict=True)]
            node.use[0] = 0
        pts[serial] = points(node, plan.meters, times)
        recorded[serial] = recorded_by_month(node, pts[serial], months)
        return recorded[serial]

    for serial in plan.meters:
        measure(serial)
    total, batch = 0, []
    for n, (serial, node) in enumerate(plan.meters.items(), start=1):
        batch += reading_rows(
            node, pts[serial], compound_id=register.compound_id, meter_id=tree.meters[serial], spike_factor=spike_factor
        )
        if len(batch) >= READING_BATCH or n == len(plan.meters):
            session.execute(sa.insert(Reading.__table__), batch)
            total += len(batch)
            batch = []
            if on_progress:
                on_progress("readings", n, len(plan.meters))
    _supersede_estimates(session, register.compound_id)
    return total


def _supersede_estimates(session: Session, compound_id: int) -> None:
    """Each estimate stands replaced by the first real reading of its meter after it (set-based)."""
    table, later = Reading.__table__, Reading.__table__.alias("later")
    first_real_after = (
        sa.select(later.c.id)
        .where(
            later.c.compound_id == table.c.compound_id,
            later.c.meter_id == table.c.meter_id,
            later.c.source != ReadingSource.estimated.value,
            later.c.read_at > table.c.read_at,
        )
        .order_by(later.c.read_at, later.c.id)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        sa.update(table)
        .where(table.c.compound_id == compound_id, table.c.source == ReadingSource.estimated.value)
        .values(superseded_by_id=first_real_after)
    )


def build_demo(
    session: Session,
    *,
    households: int = DEFAULT_HOUSEHOLDS,
    code: str = names.COMPOUND_CODE,
    seed: str = SEED,
    on_progress: OnProgress | None = None,
) -> DemoCompound:
    """The whole demo compound, deterministic for a given seed and size. Flushes, never commits."""
    step = on_progress or (lambda _stage, _done, _total: None)
    register = build_register(session, seed=seed, households=households, code=code)
    step("register", 1, 1)
    tree = build_meter_tree(session, register=register, seed=seed)
    step("meter tree", 1, 1)
    count = build_readings(session, register=register, tree=tree, seed=seed, on_progress=on_progress)
    session.flush()
    units = (*names.OFFICE_UNITS, names.CONFERENCE_ACCOUNT, names.CENTRE_ACCOUNT)
    demo = DemoCompound(
        compound_id=register.compound_id,
        code=code,
        seed=seed,
        calendar=tree.calendar,
        zones=register.zones,
        buildings=register.buildings,
        accounts=register.accounts,
        meters=tree.meters,
        transformers=tree.transformers,
        unmetered=tree.unmetered,
        habits=register.habits,
        finance_bureau_pays=[u.code for u in units if u.finance_bureau_pays],
        readings=count,
    )
    build_balance(session, demo=demo, households=register.households, seed=seed)
    # The bills come after the readings and the balance; payment history comes after the bills.
    build_billing(session, compound_id=demo.compound_id, households=register.households, on_progress=on_progress)
    build_payments(session, compound_id=demo.compound_id, habits=register.habits, seed=seed)
    build_findings(session, compound_id=demo.compound_id, calendar=tree.calendar, seed=seed)
    # Last: the collection history is replayed from the bills and payments above.
    build_collections(session, compound_id=demo.compound_id, seed=seed)
    return demo


def summary(session: Session, *, compound_id: int) -> dict[str, int]:
    """Row counts of one compound, table by table."""
    tables = {
        "zones": Zone,
        "buildings": Building,
        "accounts": Account,
        "meters": Meter,
        "transformers": Transformer,
        "unmetered uses": UnmeteredUse,
        "seals": Seal,
        "readings": Reading,
    }
    return {
        label: session.execute(
            sa.select(sa.func.count()).select_from(model.__table__).where(model.__table__.c.compound_id == compound_id)
        ).scalar_one()
        for label, model in tables.items()
    }
