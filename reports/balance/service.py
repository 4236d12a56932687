"""The period balance of one utility: every master meter, every check meter and zone, for any range of days.

    period_balance(session, compound=c, utility=Utility.water, period=parse_period("2025-03"))

1. The window is the period's local midnights. Every meter's use over it comes from one set-based query
   (reports/balance/usage.py): the readings cut by a boundary are interpolated day by day, a meter not read since
   the end is carried to it at its last rate (estimated).
2. The tree (reports/balance/tree.py) sums the billing meters by where they hang, zone and class, and gives each
   utility and check meter its own use.
3. Each master meter's subtree is balanced (reports/balance/components.py) with the loss formulas and the
   compound's settings; several masters of one utility add up.
4. Every check meter is set against its children and the losses placed in zones (reports/balance/zones.py).
5. Beside it: how the masters' readings were aligned, and the utility's bills against the compound's own reading.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from compound.register.models import Compound
from meters.models import Meter, MeterRole, Reading, Utility
from reports.balance import components as comp
from reports.balance.alignment import Alignment, align
from reports.balance.settings import get_settings
from reports.balance.tree import Node, Tree, load_tree
from reports.balance.usage import Window, meter_use
from reports.balance.zones import Placement, place, single_zone, zones_below
from reports.formulas import money
from reports.formulas import water as w
from reports.formulas.numbers import HUNDRED, ratio
from reports.models import BalanceSettings, LossCable
from reports.periods import Period, add_months, month, months_ending
from reports.utility_bills import BillCheck, check_bills, list_bills


@dataclass
class MasterResult:
    node: Node
    components: comp.Components
    alignment: Alignment | None  # None in a summary
    bills: list[BillCheck]


@dataclass
class PeriodBalance:
    compound: Compound
    utility: Utility
    period: Period
    window: Window
    settings: BalanceSettings
    tree: Tree
    masters: list[MasterResult]
    total: comp.Components
    placement: Placement
    indicators: dict[str, Any] = field(default_factory=dict)
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Masters whose readings begin inside the period: the days before their first reading are not in the input.
    starts: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes(self) -> list[Node]:
        return [n for r in self.tree.roots for n in r.walk()]

    def single_zone(self, node: Node) -> bool:
        return single_zone(node)

    def zones_below(self, node: Node) -> list[str]:
        return sorted(self.tree.zones.get(z, "—") for z in zones_below(node) if z is not None)


def _empty(tree: Tree, s: BalanceSettings, window: Window) -> comp.Components:
    """The figures of a utility with no master meter, every one 0: the pages and the JSON keep their shape."""
    nothing = Node(0, "", MeterRole.utility.value, None, None, None, False)
    if tree.utility is Utility.water:
        return comp.water(nothing, s)
    return comp.electricity(nothing, tree, s, hours=Decimal(window.seconds) / 3600, cables=[])


def _cables(session: Session, compound: Compound, tree: Tree, window: Window) -> list[dict[str, Any]]:
    """Registered loss cables with the energy their meter carried, and the master each one is under."""
    cables = session.execute(sa.select(LossCable).where(LossCable.compound_id == compound.id)).scalars().all()
    if not cables:
        return []
    use = meter_use(
        compound_id=compound.id,
        window=window,
        dialect=session.get_bind().dialect.name,
        meter_ids=[c.meter_id for c in cables],
    )
    used = dict(session.execute(sa.select(use.c.meter_id, use.c.use_milli)).all())
    master_of = _master_of(session, compound, tree, [c.meter_id for c in cables])
    return [
        {
            "name": c.name,
            "use": int(used.get(c.meter_id, 0)),
            "master_id": master_of.get(c.meter_id),
            "ohm_per_km": c.ohm_per_km,
            "km": c.km,
            "voltage_v": c.voltage_v,
        }
        for c in cables
    ]


def _master_of(session: Session, compound: Compound, tree: Tree, meter_ids: list[int]) -> dict[int, int]:
    """The master meter above each of these meters (an inner node, or the parent of a billing meter)."""
    owner = {n.id: r.id for r in tree.masters for n in r.walk()}
    m = Meter.__table__.c
    rows = session.execute(sa.select(m.id, m.parent_id).where(m.compound_id == compound.id, m.id.in_(meter_ids))).all()
    return {mid: owner.get(mid, owner.get(parent)) for mid, parent in rows if owner.get(mid, owner.get(parent))}


def _water_indicators(total: comp.Components, s: BalanceSettings, days: Decimal) -> dict[str, Any]:
    connections = s.connections if s.connections is not None else total.details.get("connections")
    system = w.SystemData(
        mains_km=None if s.mains_km is None else Decimal(s.mains_km),
        connections=connections,
        service_km=None if s.service_km is None else Decimal(s.service_km),
        pressure_m=None if s.pressure_m is None else Decimal(s.pressure_m),
        supply_hours_per_day=Decimal(s.supply_hours_per_day),
    )
    per_connection = None
    if connections:
        per_connection = w.real_losses_per_connection_day_l(
            total["real_losses"], connections=connections, days=days, supply_hours_per_day=system.supply_hours_per_day
        )
    ili = w.infrastructure_leakage_index(total["real_losses"], days=days, system=system)
    return {
        "nrw_pct": w.nrw_pct(total),
        "apparent_pct_of_authorised": w.apparent_pct_of_authorised(total),
        "real_losses_per_connection_day_l": per_connection,
        "connections": connections,
        "uarl": ili.uarl,
        "ili": ili.value,
        "ili_not_valid_because": ili.not_valid_because,
        "system": system,
    }


def _electricity_indicators(total: comp.Components) -> dict[str, Any]:
    be = money.billing_efficiency(total["billed_metered"], total["system_input"])
    loss = None if not total["system_input"] else ratio(total["non_revenue"] * HUNDRED, total["system_input"])
    return {"billing_efficiency_pct": None if be is None else be * HUNDRED, "non_revenue_pct": loss}


def _meter_error(session: Session, compound: Compound, s: BalanceSettings, window: Window, period: Period) -> Any:
    """The customer meters' under-registration from their accuracy tests, where any were recorded."""
    from reports.findings.accuracy import meter_error

    return meter_error(
        session, compound_id=compound.id, utility=Utility.water.value, window=window, end=period.last_day,
        configured=Decimal(s.meter_error_fraction), basis=w.MeterErrorBasis(s.meter_error_basis),
    )  # fmt: skip


def _master(session: Session, compound: Compound, node: Node, tree: Tree, s: BalanceSettings, window: Window,
            period: Period, cables: list[dict[str, Any]], summary: bool,
            error: Any = None) -> MasterResult:  # fmt: skip
    if tree.utility is Utility.water:
        components = comp.water(node, s, error)
    else:
        hours = Decimal(window.seconds) / 3600
        components = comp.electricity(node, tree, s, hours=hours, cables=cables)
    if summary:
        return MasterResult(node, components, None, [])
    alignment = align(session, compound_id=compound.id, meter_id=node.id, serial=node.serial, window=window)
    bills = list_bills(session, compound=compound, meter_ids=[node.id], start=period.start, end=period.end)
    return MasterResult(node, components, alignment, check_bills(session, compound=compound, bills=bills))


def period_balance(
    session: Session, *, compound: Compound, utility: Utility, period: Period, summary: bool = False
) -> PeriodBalance:
    """The balance of one utility over the period (a month, a quarter, a year or any range of days).

    summary=True leaves out what only the full page shows (the alignment of the masters' readings, the bills), for
    the month-by-month series.
    """
    start, end = period.bounds(clock.tz_of(compound))
    window = Window(start, end)
    s = get_settings(session, compound=compound)
    tree = load_tree(session, compound=compound, utility=utility, window=window, start=period.start, end=period.end)
    cables = _cables(session, compound, tree, window) if utility is Utility.electricity else []
    error = _meter_error(session, compound, s, window, period) if utility is Utility.water and tree.masters else None
    masters = [_master(session, compound, n, tree, s, window, period, cables, summary, error) for n in tree.masters]
    total = comp.combine([m.components for m in masters]) if masters else _empty(tree, s, window)
    result = PeriodBalance(compound, utility, period, window, s, tree, masters, total, place(tree.roots, tree.zones))
    result.starts = _late_starts(session, compound, tree, window)
    if utility is Utility.water:
        result.indicators = _water_indicators(total, s, Decimal(period.days))
    else:
        result.indicators = _electricity_indicators(total)
    result.warnings = _warnings(result)
    return result


def _late_starts(session: Session, compound: Compound, tree: Tree, window: Window) -> dict[str, Any]:
    """Master meters first read after the period began, with the local date of that first reading."""
    if not tree.masters:
        return {}
    r = Reading.__table__.c
    firsts = []
    for n in tree.masters:  # one seek each on the (meter, time) index
        first = session.execute(
            sa.select(r.read_at)
            .where(r.compound_id == compound.id, r.meter_id == n.id, r.superseded_by_id.is_(None))
            .order_by(r.read_at)
            .limit(1)
        ).scalar_one_or_none()
        firsts.append((n.id, first))
    tz = clock.tz_of(compound)
    serials = {n.id: n.serial for n in tree.masters}
    return {serials[m]: clock.local_date(at, tz) for m, at in firsts if at is not None and at > window.start}


def _warnings(b: PeriodBalance) -> list[tuple[str, dict[str, Any]]]:
    """Codes with their figures; the edge (CLI, page, API) words them in the reader's language."""
    out: list[tuple[str, dict[str, Any]]] = []
    if not b.masters:
        out.append(("no_master", {}))
    for serial, first in b.starts.items():
        out.append(("partial_start", {"serial": serial, "date": first.isoformat()}))
    groups = [g for r in b.tree.roots for g in r.all_groups()]
    extrapolated = sum(g.extrapolated for g in groups) + sum(1 for n in b.nodes if n.extrapolated)
    if extrapolated:
        out.append(("extrapolated", {"count": extrapolated, "date": b.period.last_day.isoformat()}))
    if outside := sum(g.use for g in b.tree.outside):
        out.append(("outside", {"volume": comp.vol(outside), "meters": sum(g.meters for g in b.tree.outside)}))
    if b.tree.loose_unmetered:
        out.append(("loose_unmetered", {"names": ", ".join(u.name for u in b.tree.loose_unmetered)}))
    if b.total["real_losses"] < 0:
        out.append(("negative_losses", {"volume": b.total["real_losses"]}))
    tolerance = Decimal(b.settings.utility_tolerance_fraction)
    for m in b.masters:
        for check in m.bills:
            if check.beyond(tolerance):
                out.append(
                    (
                        "utility_disagrees",
                        {
                            "serial": m.node.serial,
                            "start": check.bill.period_start_date.isoformat(),
                            "pct": check.difference_pct(),
                            "tolerance": tolerance * HUNDRED,
                        },
                    )
                )
    return out


def default_period(session: Session, *, compound: Compound, utility: Utility) -> Period:
    """The latest calendar month the master meters' readings cover to its end (else the month before today)."""
    r, m = Reading.__table__.c, Meter.__table__.c
    last = session.execute(
        sa.select(sa.func.max(r.read_at))
        .select_from(
            Reading.__table__.join(Meter.__table__, sa.and_(m.compound_id == r.compound_id, m.id == r.meter_id))
        )
        .where(
            r.compound_id == compound.id,
            m.utility == utility.value,
            m.role == MeterRole.utility.value,
            r.superseded_by_id.is_(None),
        )
    ).scalar_one_or_none()
    tz = clock.tz_of(compound)
    day = clock.local_date(last, tz) if last is not None else clock.today(compound)
    return month(add_months(day.replace(day=1), -1))


@dataclass(frozen=True)
class MonthTotals:
    period: Period
    total: comp.Components
    estimated: bool  # the input rests on estimates (a meter carried to the end, estimated readings)
    partial: bool  # the master's readings begin inside the month: its input is not the whole month's


def monthly_series(
    session: Session, *, compound: Compound, utility: Utility, last: Period, months: int = 24
) -> list[MonthTotals]:
    """The months ending with `last`'s month, each with its totals."""
    out = []
    for p in months_ending(last, months):
        b = period_balance(session, compound=compound, utility=utility, period=p, summary=True)
        extrapolated = any(code == "extrapolated" for code, _params in b.warnings)
        estimated = extrapolated or "system_input" in b.total.estimated
        out.append(MonthTotals(p, b.total, estimated, bool(b.starts) or not b.masters))
    return out
