"""The demo compound's story in findings and work orders: the leak found by night flow and repaired, a stopped meter
replaced, seals renewed, the utility's bill questioned; each done order with its measured saving."""

import pytest
import sqlalchemy as sa

from compound.register.models import Compound
from compound.shell.demo import build_demo
from reports.findings.models import Finding, WorkOrder
from reports.findings.savings import stored
from reports.findings.summary import events, totals


@pytest.fixture(scope="module")
def demo(engine):
    from sqlmodel import Session

    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    built = build_demo(session, households=40, code="DEMO-FIND")
    try:
        yield session, session.get(Compound, built.compound_id)
    finally:
        session.close()
        outer.rollback()
        conn.close()


def _orders(session, compound) -> dict[str, list[WorkOrder]]:
    out: dict[str, list[WorkOrder]] = {}
    for o in session.execute(sa.select(WorkOrder).where(WorkOrder.compound_id == compound.id)).scalars():
        out.setdefault(str(o.kind), []).append(o)
    return out


def test_the_leak_found_by_night_flow_is_repaired_and_its_saving_measured(demo):
    session, compound = demo
    (repair,) = _orders(session, compound)["repair_leak"]
    finding = session.get(Finding, repair.finding_id)
    assert str(finding.kind) == "night_flow_leak" and finding.status == "resolved"
    s = stored(repair)
    assert s.status == "measured" and s.method == "same_months_previous_year" and s.target == "W-MAIN"
    assert s.milli_per_month > 100_000 and s.fen_per_month > 0  # more than 100 m³ a month
    # The balance's own finding of the same leak on the master meter is resolved by the repair too.
    zone = session.execute(
        sa.select(Finding).where(Finding.compound_id == compound.id, Finding.kind == "zone_loss_high")
    ).scalar_one()
    assert zone.meter_id == finding.meter_id and zone.status == "resolved"


def test_the_stopped_meter_is_found_replaced_and_the_block_loss_falls(demo):
    session, compound = demo
    (replace,) = _orders(session, compound)["replace_meter"]
    finding = session.get(Finding, replace.finding_id)
    assert str(finding.kind) == "stopped_meter" and finding.period_label >= "2025-03"
    s = stored(replace)
    assert s.status == "measured" and s.milli_per_month > 2_000 and s.target.startswith("W-B")


def test_seals_are_renewed_and_one_order_is_still_open(demo):
    session, compound = demo
    orders = _orders(session, compound)
    assert len(orders["seal_meter"]) >= 2 and all(o.status == "done" for o in orders["seal_meter"])
    assert stored(orders["seal_meter"][0]).status == "not_measured"
    assert [o.status for o in orders["install_check_meter"]] == ["open"]
    t = totals(session, compound=compound, year=2026)
    assert t.saved_fen_per_month > 0 and t.open_orders == 1


def test_the_work_done_is_on_the_charts(demo):
    session, compound = demo
    from datetime import date

    kinds = {e.kind for e in events(session, compound.id, date(2024, 11, 1), date(2026, 11, 1))}
    assert {"leak_repaired", "meter_replaced", "meters_sealed"} <= kinds
