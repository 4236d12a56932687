"""The demo compound's findings and work orders: what the centre found month by month, and what its work saved.

The months are raised in turn, as the scheduler would after each month, and the centre acts on what it finds:

- March 2025: a household water meter has stopped (its register barely moves; the flat is lived in) → a "replace
  a meter" order, done in June 2025 when the meter is found with a cracked glass and a broken seal;
- June 2025: the night-flow test of the master meter points to a leak → a "repair a leak" order: trial holes
  along the courtyard main, the main dug up and repaired on 8 January 2026 (the balance's zone-loss finding on
  the master meter is the same leak and is resolved with it);
- seals found broken (a meter box's seal cut, one rusted through) → "seal a meter" orders, done within days;
- March 2026: the water company's bill is 3.5 % above the master meter → a "test a meter" order (the master
  meter tests +0.4 %, within its class; the company corrects the bill);
- an open order: a check meter for the conference zone, which is not separately metered.

The household meters were tested in the autumn of 2024 (the seed's centre tested and sealed every meter); a
sample of those tests is recorded, so the balance's under-registration comes from them. Then every done order's
saving is worked out.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Compound, Zone
from compound.shell.demo import consumption as c
from compound.shell.demo.users import DEMO_USERS
from meters.models import Meter, MeterRole, Utility
from reports.findings import savings
from reports.findings.accuracy import record_test
from reports.findings.models import Finding, FindingKind, FindingSettings, OrderKind, WorkOrder
from reports.findings.orders import create_order, move
from reports.findings.schemas import OrderCreate
from reports.findings.service import Balances, raise_period
from reports.periods import Period, add_months, month

PLUMBER = DEMO_USERS[next(r for r in DEMO_USERS if r.value == "maintenance")]
LEAK_REPAIRED = c.LEAK_REPAIRED.date()


def build_findings(session: Session, *, compound_id: int, calendar: c.Calendar, seed: str) -> None:
    """Raise every month's findings and carry out the story's work orders. Flushes, never commits."""
    if not sa.inspect(session.connection()).has_table(Finding.__tablename__):
        return
    rng = random.Random(f"{seed}:findings")
    compound = session.get(Compound, compound_id)
    # The drip of old joints after the repair (about 1.2 m³ a day) is not worth a finding here.
    session.add(FindingSettings(compound_id=compound_id, night_leak_per_day=Decimal(2), min_water_per_month=Decimal(2)))
    _accuracy_tests(session, compound, rng)
    balances = Balances(session, compound)
    first, last = add_months(calendar.months[1], 1), calendar.months[-1]
    pending: list[Pending] = []
    m = first
    while m < last:
        _finish(session, compound, pending, before=m)
        raise_period(session, compound=compound, period=month(m), balances=balances)
        pending += _act(session, compound, month(m))
        m = add_months(m, 1)
    _finish(session, compound, pending, before=last)
    _open_orders(session, compound)
    savings.refresh(session, compound=compound, balances=balances)
    session.flush()


def _accuracy_tests(session: Session, compound: Compound, rng: random.Random) -> None:
    """A sample of the autumn 2024 bench tests: the household meters register a little less than flows."""
    m = Meter.__table__.c
    ids = (
        session.execute(
            sa.select(m.id)
            .where(
                m.compound_id == compound.id,
                m.utility == Utility.water.value,
                m.role == MeterRole.billing.value,
                m.serial.like("W-_-%"),
            )
            .order_by(m.id)
        )
        .scalars()
        .all()
    )
    for meter_id in rng.sample(list(ids), min(24, len(ids))):
        error = Decimal(rng.randint(-160, -50)) / 100  # −1.6 % to −0.5 %
        on = date(2024, 9, 2) + timedelta(days=rng.randint(0, 40))
        record_test(
            session,
            compound=compound,
            meter_id=meter_id,
            test_date=on,
            error_pct=error,
            tested_by="李卫东",
            note="校表台检定（封表前）",
        )


def _open(session: Session, compound: Compound, kind: FindingKind) -> list[Finding]:
    """Open findings of the kind that have no work order yet."""
    w = WorkOrder.__table__.c
    ordered = sa.select(w.finding_id).where(w.compound_id == compound.id, w.finding_id.is_not(None))
    return list(
        session.execute(
            sa.select(Finding)
            .where(Finding.compound_id == compound.id, Finding.kind == kind.value, Finding.status == "open")
            .where(Finding.id.not_in(ordered))
            .order_by(Finding.id)
        ).scalars()
    )


@dataclass
class Pending:
    """An order in progress, to be closed once its month has passed (so later months see the work)."""

    order: WorkOrder
    done: date
    note: str
    error_pct: Decimal | None = None


def _order(
    session: Session,
    compound: Compound,
    finding: Finding,
    kind: OrderKind,
    title: str,
    *,
    made: date,
    due: date,
    done: date,
    note: str,
    error_pct: Decimal | None = None,
) -> Pending:
    """An order made from the finding on `made` and started; it is closed with what was done after `done`."""
    data = OrderCreate(kind=kind, finding_id=finding.id, title=title, assignee=PLUMBER, due_date=due)
    order = create_order(session, compound=compound, data=data, by="demo-finance")
    move(session, compound=compound, order=order, to="in_progress")
    order.started_at = datetime.combine(made + timedelta(days=1), time(9), tzinfo=c.TZ)
    session.add(order)
    return Pending(order, done, note, error_pct)


def _finish(session: Session, compound: Compound, pending: list[Pending], *, before: date) -> None:
    for p in [p for p in pending if p.done < before]:
        move(
            session,
            compound=compound,
            order=p.order,
            to="done",
            done_note=p.note,
            done_date=p.done,
            error_pct=p.error_pct,
        )
        p.order.closed_at = datetime.combine(p.done, time(17), tzinfo=c.TZ)
        session.add(p.order)
        pending.remove(p)


def _act(session: Session, compound: Compound, period: Period) -> list[Pending]:
    """What the centre does at the start of the next month about the findings raised for `period`."""
    made, out = period.end + timedelta(days=3), []
    for f in _open(session, compound, FindingKind.stopped_meter):
        replaced = _replacement_date(session, compound, f.meter_id)
        if replaced is None:
            continue
        out.append(
            _order(
                session,
                compound,
                f,
                OrderKind.replace_meter,
                "更换停走水表",
                made=made,
                due=made + timedelta(days=30),
                done=replaced,
                note="旧表停走、表盘玻璃破裂、封签断开：换新表并加封，旧表送检",
            )
        )
    for f in _open(session, compound, FindingKind.night_flow_leak):
        out.append(
            _order(
                session,
                compound,
                f,
                OrderKind.repair_leak,
                "查找并修复院内主管漏水",
                made=made,
                due=date(2025, 12, 31),
                done=LEAK_REPAIRED,
                note="沿院内老旧主管探挖，找到锈蚀破裂管段；挖开更换管段及接头，回填恢复路面",
            )
        )
    for f in _open(session, compound, FindingKind.broken_seal):
        if f.meter_id is None or _removed(session, compound, f.meter_id):
            continue  # the meter's replacement resolves it
        out.append(
            _order(
                session,
                compound,
                f,
                OrderKind.seal_meter,
                "补封表计",
                made=made,
                due=made + timedelta(days=7),
                done=min(made + timedelta(days=5), _last_day()),
                note="核对读数无异常，重新加封",
            )
        )
    for f in _open(session, compound, FindingKind.utility_disagrees):
        out.append(
            _order(
                session,
                compound,
                f,
                OrderKind.test_meter,
                "会同自来水公司校验总表",
                made=made,
                due=made + timedelta(days=20),
                done=made + timedelta(days=16),
                error_pct=Decimal("0.4"),
                note="总表现场校验误差 +0.4%，在允许范围内；自来水公司核实后更正三月账单",
            )
        )
    return out


def _last_day() -> date:
    return c.add_months(c.BASELINE_MONTH, c.MONTHS + 1) - timedelta(days=1)


def _replacement_date(session: Session, compound: Compound, meter_id: int | None) -> date | None:
    meter = session.get(Meter, meter_id) if meter_id else None
    return meter.removed_date if meter is not None else None


def _removed(session: Session, compound: Compound, meter_id: int) -> bool:
    meter = session.get(Meter, meter_id)
    return meter is None or meter.removed_date is not None


def _open_orders(session: Session, compound: Compound) -> None:
    """Work still to do: a check meter for the conference zone (its water is not separately metered)."""
    zone = session.execute(
        sa.select(Zone).where(Zone.compound_id == compound.id, Zone.name == "会务区")
    ).scalar_one_or_none()
    data = OrderCreate(
        kind=OrderKind.install_check_meter,
        title="会务区加装分水表",
        utility="water",
        zone_id=zone.id if zone else None,
        assignee=PLUMBER,
        due_date=date(2026, 12, 20),
        notes="会议楼及礼堂用水现从总表直接分出，无分表；加装后可单独核算会务区漏损",
    )
    create_order(session, compound=compound, data=data, by="demo-manager")
