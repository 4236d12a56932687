"""Findings on generated compounds: a leak found in its zone, its repair measured, a stopped meter, no false alarm."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from reports.findings import savings
from reports.findings.models import Finding, FindingKind, FindingStatus, OrderKind
from reports.findings.orders import create_order, move
from reports.findings.schemas import OrderCreate
from reports.findings.service import raise_period
from reports.findings.worth import MONTH_DAYS
from reports.periods import month, parse_period
from tests.reports.scenarios import Check, Leaf, Scenario, build, local

FIRST = date(2025, 1, 1)
MONTHS = 10
LEAK_PER_DAY = 2_000  # 2 m³ a day under the living area (thousandths)
REPAIRED = local(date(2025, 6, 15), 10)


def monthly_times() -> list:
    out, d = [], FIRST
    for _k in range(MONTHS + 1):
        out.append(local(d))
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def scenario(*, leak: int = 0, leak_until=None, stops_at=None) -> Scenario:
    living = [Leaf(f"H{i:02d}", 400, zone="Living", building="Block 1") for i in range(20)]
    living[3].stops_at = stops_at
    living[3].milli_per_day = 300
    offices = [Leaf(f"O{i}", 2_000, zone="Office") for i in range(3)]
    return Scenario(
        checks=[
            Check("C-LIVING", "Living", living, loss_milli_per_day=leak, loss_until=leak_until),
            Check("C-OFFICE", "Office", offices),
        ]
    )


def findings(session, compound) -> list[Finding]:
    return list(session.execute(sa.select(Finding).where(Finding.compound_id == compound.id)).scalars())


def raise_months(session, compound, first: str, last: str) -> None:
    from reports.findings.cli import months_of

    for p in months_of(parse_period(f"{first}..{last}")):
        raise_period(session, compound=compound, period=p)


def test_a_clean_compound_raises_no_findings(session):
    built = build(session, scenario(), monthly_times())
    raise_months(session, built.compound, "2025-01", "2025-10")
    assert findings(session, built.compound) == []


def test_an_injected_leak_raises_a_leakage_finding_in_its_zone(session):
    built = build(session, scenario(leak=LEAK_PER_DAY), monthly_times())
    raise_period(session, compound=built.compound, period=month(date(2025, 3, 1)))
    (f,) = findings(session, built.compound)
    assert f.kind == FindingKind.zone_loss_high
    assert f.zone_id == built.zones["Living"].id
    assert f.meter_id == built.meters["C-LIVING"].id
    # Its worth per month: the leak over an average month (the interpolation rounds to a thousandth).
    expected = Fraction(LEAK_PER_DAY) * MONTH_DAYS
    assert abs(f.volume_milli_per_month - expected) <= 2
    assert "C-LIVING" in __import__("reports.findings.texts", fromlist=["x"]).basis_text(f)


def test_raising_a_period_again_adds_nothing_and_a_later_period_carries_the_finding(session):
    built = build(session, scenario(leak=LEAK_PER_DAY), monthly_times())
    for label in ("2025-03", "2025-03", "2025-04", "2025-03"):
        raise_period(session, compound=built.compound, period=parse_period(label))
    (f,) = findings(session, built.compound)
    assert f.period_label == "2025-04"


def _repair(session, built, finding: Finding):
    data = OrderCreate(kind=OrderKind.repair_leak, finding_id=finding.id, assignee="wang.plumber")
    order = create_order(session, compound=built.compound, data=data, by="li.finance")
    move(session, compound=built.compound, order=order, to="in_progress")
    move(
        session,
        compound=built.compound,
        order=order,
        to="done",
        done_note="Joint under block 1 replaced",
        done_date=REPAIRED.date(),
    )
    return order


def test_the_repair_of_the_leak_is_measured_within_five_percent(session):
    built = build(session, scenario(leak=LEAK_PER_DAY, leak_until=REPAIRED), monthly_times())
    raise_months(session, built.compound, "2025-02", "2025-05")
    (f,) = findings(session, built.compound)
    order = _repair(session, built, f)
    assert f.status == FindingStatus.resolved
    s = savings.measure(session, compound=built.compound, order=order)
    assert s.status == "measured"
    assert s.method == savings.ADJACENT  # ten months of readings: no year before
    assert s.target == "C-LIVING"
    injected = Fraction(LEAK_PER_DAY) * MONTH_DAYS
    assert abs(s.milli_per_month - injected) <= injected * Fraction(5, 100)
    assert s.after == "2025-07..2025-10" and s.before == "2025-02..2025-05"
    # After the repair the months raise nothing new.
    raise_months(session, built.compound, "2025-07", "2025-10")
    assert len(findings(session, built.compound)) == 1


def test_a_saving_is_not_yet_measurable_until_enough_months_are_read(session):
    built = build(session, scenario(leak=LEAK_PER_DAY, leak_until=REPAIRED), monthly_times()[:8])  # to 2025-08-01
    raise_period(session, compound=built.compound, period=parse_period("2025-03"))
    (f,) = findings(session, built.compound)
    order = _repair(session, built, f)
    s = savings.measure(session, compound=built.compound, order=order)
    assert s.status == "not_yet" and s.months == 1 and s.milli_per_month is None


def test_a_meter_that_stops_registering_raises_a_stopped_meter_finding(session):
    built = build(session, scenario(stops_at=local(date(2025, 5, 1))), monthly_times())
    raise_months(session, built.compound, "2025-02", "2025-05")
    (f,) = findings(session, built.compound)
    assert f.kind == FindingKind.stopped_meter
    assert f.meter_id == built.meters["H03"].id
    assert f.zone_id == built.zones["Living"].id
    assert f.estimated
    assert abs(f.volume_milli_per_month - Fraction(300) * MONTH_DAYS) <= 2
    raise_months(session, built.compound, "2025-06", "2025-07")
    (f,) = findings(session, built.compound)
    assert f.period_label == "2025-07"  # carried forward while it stays stopped


def test_a_dismissed_finding_says_why_and_is_not_raised_again(session):
    from compound.kit.errors import InvalidInput
    from reports.findings.service import dismiss

    built = build(session, scenario(leak=LEAK_PER_DAY), monthly_times())
    raise_period(session, compound=built.compound, period=parse_period("2025-03"))
    (f,) = findings(session, built.compound)
    with pytest.raises(InvalidInput):
        dismiss(session, compound=built.compound, finding=f, reason="  ", by="li")
    dismiss(session, compound=built.compound, finding=f, reason="Known: the pool is being filled", by="li")
    raise_period(session, compound=built.compound, period=parse_period("2025-04"))
    (f,) = findings(session, built.compound)
    assert f.status == FindingStatus.dismissed and f.dismissed_reason.startswith("Known")


def test_worth_is_valued_at_the_periods_average_cost_from_the_utilitys_bills(session):
    from reports.models import UtilityBill

    built = build(session, scenario(leak=LEAK_PER_DAY), monthly_times())
    session.add(
        UtilityBill(
            compound_id=built.compound.id,
            meter_id=built.meters["MASTER"].id,
            period_start_date=date(2025, 3, 1),
            period_end_date=date(2025, 3, 31),
            quantity_milli=492_900,
            amount_fen=226_734,
        )
    )  # 4.60 yuan a m³
    session.flush()
    raise_period(session, compound=built.compound, period=parse_period("2025-03"))
    raise_period(session, compound=built.compound, period=parse_period("2025-04"))  # no bill: March's cost
    (f,) = findings(session, built.compound)
    assert f.cost_per_unit == Decimal("4.6")
    assert f.volume_milli_per_month == 60_875  # 2 m³ × 30.4375 days
    assert f.value_fen_per_month == 28_003  # 60.875 m³ × 4.60 yuan = 280.025 yuan, half up
    assert f.estimated  # the cost comes from another month's bills
