"""Verified savings: once an order is done, the loss it targeted before the work set against the loss after.

The targeted loss is the loss of one node of the meter tree: the order's own master or check meter, or, for a
billing meter (a stopped meter replaced, a seal renewed), the meter it hangs under — whatever it fails to
register shows there as loss; for a zone, the check meter that meters it alone; else every node's loss of the
utility. The after window is the whole months after the month the work was done in, as far as the readings cover
them (at most twelve). The before window is, where the readings reach back that far, the same calendar months
a year earlier ("same months of the previous year": the same weather and the same heating season); otherwise
the same number of whole months just before the month of the work ("adjacent equal windows"), none of them
before the month the order's finding was first raised (the loss it targets was not there yet). Each window's
loss per average month is its loss over its days × 30.4375; the saving is the difference, valued at the after
window's average cost per unit. With fewer whole months after the work than the compound's
`saving_min_months`, the saving is "not yet measurable".
"""

import json
from dataclasses import asdict, dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit.errors import AppError
from compound.register.models import Compound, Zone
from meters.models import Meter, MeterRole, Utility
from reports.balance.service import PeriodBalance, default_period
from reports.findings.models import Finding, OrderKind, OrderStatus, WorkOrder
from reports.findings.service import Balances
from reports.findings.settings import get_settings
from reports.findings.worth import cost_per_unit, per_month_exact
from reports.periods import Period, add_months, month, parse_period

MAX_MONTHS = 12
# The work whose saving shows in a loss of the tree: a leak stops, a stopped meter registers again, wiring that
# took power nobody metered is gone. A seal renewed or a meter tested changes no loss the meters can see.
MEASURED = frozenset({OrderKind.repair_leak, OrderKind.replace_meter, OrderKind.remove_unmetered_wiring})
SAME_MONTHS, ADJACENT = "same_months_previous_year", "adjacent_windows"


@dataclass
class Saving:
    status: str  # "measured", "not_yet", or "not_measured" (work whose saving no meter shows: a seal, a test)
    method: str = ""
    target: str = ""  # the serial of the node, or "" for every node of the utility
    utility: str = ""
    before: str = ""  # the windows, as period labels
    after: str = ""
    months: int = 0
    before_milli_per_month: int = 0
    after_milli_per_month: int = 0
    milli_per_month: int | None = None
    fen_per_month: int | None = None
    estimated_cost: bool = False
    reason: str = ""  # why not yet: "months" (too few months after) or "no_target"


def _node_of(session: Session, order: WorkOrder) -> tuple[str, int | None]:
    """(utility, meter id of the targeted node — None for every node of the utility)."""
    if order.meter_id is not None:
        meter = session.get(Meter, order.meter_id)
        utility = str(getattr(meter.utility, "value", meter.utility))
        if meter.role != MeterRole.billing:
            return utility, meter.id
        return utility, meter.parent_id
    utility = order.utility or Utility.water.value
    if order.zone_id is not None:
        m = Meter.__table__.c
        checks = (
            session.execute(
                sa.select(m.id)
                .where(
                    m.compound_id == order.compound_id,
                    m.zone_id == order.zone_id,
                    m.role == MeterRole.check.value,
                    m.utility == utility,
                )
                .order_by(m.id)
            )
            .scalars()
            .all()
        )
        if checks:
            return utility, checks[0]
    return utility, None


def _loss(b: PeriodBalance, node_id: int | None) -> int | None:
    """The node's loss in the month, or None when the month is not measured (no readings, or begins late)."""
    if not b.masters or b.starts or any(code == "extrapolated" for code, _p in b.warnings):
        return None
    if node_id is None:
        return sum(n.loss for n in b.nodes)
    node = b.tree.node(node_id)
    return None if node is None or node.use <= 0 else node.loss


def _window(balances: Balances, utility: Utility, months: list[Period], node_id: int | None) -> Fraction | None:
    """Loss per average month over these months, or None if any of them is not measured."""
    total, days = 0, 0
    for p in months:
        loss = _loss(balances.get(utility, p), node_id)
        if loss is None:
            return None
        total, days = total + loss, days + p.days
    return per_month_exact(total, days)


def _label(months: list[Period]) -> str:
    return months[0].label if len(months) == 1 else f"{months[0].label}..{months[-1].label}"


def _after_months(balances: Balances, utility: Utility, done: date, node_id: int | None) -> list[Period]:
    latest = default_period(balances.session, compound=balances.compound, utility=utility)
    out, first = [], add_months(done.replace(day=1), 1)
    for k in range(MAX_MONTHS):
        p = month(add_months(first, k))
        if p.start > latest.start or _loss(balances.get(utility, p), node_id) is None:
            break
        out.append(p)
    return out


def measure(session: Session, *, compound: Compound, order: WorkOrder, balances: Balances | None = None) -> Saving:
    """The verified saving of a done order (or why it is not yet measurable)."""
    balances = balances or Balances(session, compound)
    utility_text, node_id = _node_of(session, order)
    utility = Utility(utility_text)
    target = session.get(Meter, node_id).serial if node_id is not None else ""
    if order.status != OrderStatus.done or order.done_date is None:
        return Saving("not_yet", target=target, utility=utility.value, reason="not_done")
    if OrderKind(order.kind) not in MEASURED:
        return Saving("not_measured", target=target, utility=utility.value, reason="kind")
    after = _after_months(balances, utility, order.done_date, node_id)
    if len(after) < get_settings(session, compound=compound).saving_min_months:
        return Saving("not_yet", target=target, utility=utility.value, months=len(after), reason="months")
    work_month = order.done_date.replace(day=1)
    method, before = SAME_MONTHS, [month(add_months(p.start, -12)) for p in after]
    before_loss = _window(balances, utility, before, node_id) if before[-1].start < work_month else None
    if before_loss is None:
        first = _first_month(session, order)
        method, before, before_loss = ADJACENT, *_adjacent(balances, utility, work_month, node_id, after, first)
    if before_loss is None:
        return Saving("not_yet", target=target, utility=utility.value, months=len(after), reason="before")
    after = after[: len(before)]
    after_loss = _window(balances, utility, after, node_id) or Fraction(0)
    saved = int(round(before_loss - after_loss))
    cost = cost_per_unit(session, compound=compound, utility=utility.value, start=after[0].start, end=after[-1].end)
    return Saving(
        "measured",
        method,
        target,
        utility.value,
        _label(before),
        _label(after),
        len(after),
        int(round(before_loss)),
        int(round(after_loss)),
        saved,
        cost.fen(saved),
        cost.estimated,
    )


def _first_month(session: Session, order: WorkOrder) -> date | None:
    """The first month of the order's finding: before it the loss the order targets was not there yet."""
    if order.finding_id is None:
        return None
    finding = session.get(Finding, order.finding_id)
    if finding is None:
        return None
    first = json.loads(finding.basis or "{}").get("since") or finding.period_label
    try:
        return parse_period(first).start.replace(day=1)
    except AppError:
        return None


def _adjacent(
    balances: Balances,
    utility: Utility,
    work_month: date,
    node_id: int | None,
    after: list[Period],
    first: date | None = None,
) -> tuple[list[Period], Fraction | None]:
    """As many whole measured months just before the work's month as there are after it (fewer if the readings
    begin later, or the order's finding was first raised later), oldest first."""
    before: list[Period] = []
    for k in range(1, len(after) + 1):
        p = month(add_months(work_month, -k))
        if (first is not None and p.start < first) or _loss(balances.get(utility, p), node_id) is None:
            break
        before.insert(0, p)
    if not before:
        return [], None
    return before, _window(balances, utility, before, node_id)


def refresh(session: Session, *, compound: Compound, balances: Balances | None = None) -> int:
    """Work out again the saving of every done order (after a period is raised); how many are measured."""
    balances = balances or Balances(session, compound)
    orders = session.execute(
        sa.select(WorkOrder).where(WorkOrder.compound_id == compound.id, WorkOrder.status == OrderStatus.done.value)
    ).scalars()
    measured = 0
    for order in orders:
        saving = measure(session, compound=compound, order=order, balances=balances)
        store(order, saving)
        session.add(order)
        measured += saving.status == "measured"
    session.flush()
    return measured


def store(order: WorkOrder, saving: Saving) -> None:
    order.utility = order.utility or saving.utility
    order.saving = json.dumps(asdict(saving), sort_keys=True)
    order.saving_milli_per_month = saving.milli_per_month
    order.saving_fen_per_month = saving.fen_per_month


def stored(order: WorkOrder) -> Saving | None:
    return Saving(**json.loads(order.saving)) if order.saving else None


def zone_name(session: Session, order: WorkOrder) -> str | None:
    if order.zone_id is None:
        return None
    zone = session.get(Zone, order.zone_id)
    return zone.name if zone else None


def describe(saving: Saving) -> dict[str, Any]:
    return asdict(saving)
