"""The period balance from readings: alignment by interpolation, scenarios with known causes, invariants."""

from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meters.models import Meter, MeterRole, UnmeteredUse, Utility
from reports.balance.output import reconcile_json
from reports.balance.service import period_balance
from reports.balance.usage import Window, meter_use
from reports.models import BalanceSettings, UtilityBill
from reports.periods import parse_period
from tests.factories import make_compound
from tests.reports.scenarios import (
    QUIET,
    Check,
    Leaf,
    Scenario,
    Unmetered,
    add_transformer,
    build,
    cumulative,
    local,
    write_readings,
)

APRIL = parse_period("2025-04")  # 30 days
HEADLINE_PARTS = (
    "billed_metered", "billed_unmetered", "unbilled_metered", "unbilled_unmetered", "apparent_losses", "real_losses",
)  # fmt: skip


def monthly(*days: date) -> list:
    return [local(d) for d in days]


AT_BOUNDARIES = monthly(date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1))


def _use(session, compound, meter, start, end) -> tuple[int, int]:
    u = meter_use(
        compound_id=compound.id,
        window=Window(start, end),
        dialect=session.get_bind().dialect.name,
        meter_ids=[meter.id],
    )
    row = session.execute(sa.select(u.c.use_milli, u.c.estimated_milli)).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


# Alignment by interpolation, worked by hand


def test_readings_are_aligned_to_the_month_by_daily_interpolation(session):
    # Readings at local midnight: 27 Jan 1,000 m³; 26 Feb 1,300; 28 Mar 1,600 (each interval 30 days, 10 m³/day).
    # February (1 Feb to 1 Mar) takes 25 days of the first interval (250 m³) and 3 of the second (30 m³): 280 m³.
    c = make_compound(session)
    m = Meter(compound_id=c.id, utility="water", serial="MAIN", role=MeterRole.utility, dials=7)
    session.add(m)
    session.flush()
    from tests.reports.scenarios import readings_for

    times = monthly(date(2025, 1, 27), date(2025, 2, 26), date(2025, 3, 28))
    session.execute(
        sa.insert(m.__table__.metadata.tables["reading"]), readings_for(m, times, [1_000_000, 1_300_000, 1_600_000])
    )
    b = period_balance(session, compound=c, utility=Utility.water, period=parse_period("2025-02"))
    assert b.total["system_input"] == D("280.000")
    a = b.masters[0].alignment
    # Start: between 27 Jan and 26 Feb; 5 days × 10 m³ of that reading fall before 1 Feb; 25 days lie inside.
    assert (a.start.how, a.start.before.at, a.start.after.at) == ("interpolated", times[0], times[1])
    assert (a.start.use_before_milli, a.start.days) == (50_000, D("25.00"))
    # End: between 26 Feb and 28 Mar; 3 days (30 m³) before 1 Mar.
    assert (a.end.use_before_milli, a.end.days) == (30_000, D("3.00"))
    assert a.days_interpolated == D("28.00")  # no reading on either boundary: every day rests on interpolation
    assert "system_input" not in b.total.estimated  # interpolated between real readings: measured


def test_an_interpolated_share_rounds_half_up_and_neighbouring_periods_add_up(session):
    # One reading interval of 7 days carrying 100 m³ (100,000 thousandths), cut 3 days in:
    # 100,000 × 3/7 = 42,857.14… → 42,857 before the cut, and the other side gets 57,143: 100,000 in all.
    c = make_compound(session)
    m = Meter(compound_id=c.id, utility="water", serial="M1", role=MeterRole.billing, dials=7)
    session.add(m)
    session.flush()
    start = local(date(2025, 5, 10))
    write_readings(session, m, Fraction(100_000, 7), [start, start + timedelta(days=7)])
    cut = start + timedelta(days=3)
    before = _use(session, c, m, start - timedelta(days=1), cut)[0]
    after = _use(session, c, m, cut, start + timedelta(days=7))[0]
    assert (before, after) == (42_857, 57_143)


def test_a_meter_not_read_since_the_end_is_carried_at_its_last_rate_and_marked_estimated(session):
    c = make_compound(session)
    m = Meter(compound_id=c.id, utility="water", serial="M1", role=MeterRole.utility, dials=7)
    session.add(m)
    session.flush()
    # 10 m³/day, last read on 21 April: the last 9 days of April are extrapolated at 10 m³/day.
    write_readings(session, m, 10_000, monthly(date(2025, 3, 22), date(2025, 4, 21)))
    b = period_balance(session, compound=c, utility=Utility.water, period=APRIL)
    assert b.total["system_input"] == D("300.000")
    assert "system_input" in b.total.estimated
    assert b.masters[0].alignment.end.how == "extrapolated"
    assert [code for code, _ in b.warnings] == ["extrapolated"]


# Scenarios with known causes


def water_scenario() -> Scenario:
    under = Fraction(2, 100)
    office = [Leaf(f"O{i}", 3_000 + 250 * i, "Office", under=under) for i in range(6)]
    living = [Leaf(f"H{i}", 400 + 37 * i, "Living", under=under) for i in range(40)]
    boiler = Leaf("BOILER", 2_500, "Public", under=under, own_use=True)
    return Scenario(
        leaves=[boiler, Leaf("CONF", 1_800, "Public", under=under)],
        checks=[Check("C-OFFICE", "Office", office, loss_milli_per_day=150), Check("C-LIVING", "Living", living)],
        unmetered=[
            Unmetered("Lawns", D("600"), zone="Public"),
            Unmetered("Toilets", D("45"), "public_toilet", zone="Public"),
        ],
        leak_milli_per_day=9_000,
    )


def _water_settings() -> dict:
    return {**QUIET, "meter_error_fraction": D("0.02"), "meter_error_basis": "true"}


@pytest.mark.parametrize(
    "times",
    [
        AT_BOUNDARIES,
        # Rounds on odd days at 08:30: every boundary is interpolated.
        [local(date(2025, 3, 26), 8, 30), local(date(2025, 4, 27), 8, 30), local(date(2025, 5, 26), 8, 30)],
    ],
    ids=["readings-at-the-boundaries", "readings-on-round-days"],
)
def test_a_water_scenario_recovers_each_cause(session, times):
    s = water_scenario()
    built = build(session, s, times, settings=_water_settings())
    b = period_balance(session, compound=built.compound, utility=Utility.water, period=APRIL)
    t = b.total
    days = 30
    true_leaves = sum(leaf.milli_per_day for leaf in s.all_leaves()) * days
    siv = t["system_input"]
    tolerance = siv / 100  # each cause within 1% of the system input
    billed_true = sum(leaf.milli_per_day for leaf in s.all_leaves() if not leaf.own_use) * days / D(1000)
    assert abs(t["billed_metered"] - billed_true * D("0.98")) <= tolerance
    assert abs(t["unbilled_metered"] - D(2_500 * days * 98 // 100) / 1000) <= tolerance
    assert t["unbilled_unmetered"] == D("645.000")  # the fixed rules over a whole month: exact
    # Under-registration at 2 % of the true volume: V/(1 − u) − V is what the meters missed.
    missed = D(true_leaves) * D("0.02") / 1000
    assert abs(t["customer_meter_error"] - missed) <= tolerance
    leak = D(9_000 + 150) * days / 1000  # the master's leak and the office check meter's loss
    assert abs(t["real_losses"] - leak) <= tolerance
    if times is AT_BOUNDARIES:
        # Readings on the boundaries: the measured parts are the readings themselves, to the thousandth.
        def april(rate: Fraction) -> int:
            cum = cumulative(rate, times[0], times)
            return cum[2] - cum[1]

        registered = sum(april(Fraction(leaf.milli_per_day) * (1 - leaf.under)) for leaf in s.all_leaves())
        assert (t["billed_metered"] + t["unbilled_metered"]) * 1000 == registered
        master = Fraction(true_leaves, days) + 9_000 + 150 + Fraction(645_000, 30)
        assert t["system_input"] * 1000 == april(master)
    assert sum(t[k] for k in HEADLINE_PARTS) == t["system_input"]


def test_zones_rank_check_meters_and_estimate_the_share_of_a_zone_without_one(session):
    s = water_scenario()
    built = build(session, s, AT_BOUNDARIES, settings=_water_settings())
    b = period_balance(session, compound=built.compound, utility=Utility.water, period=APRIL)
    zones = reconcile_json(b)["zones"]
    assert [z["code"] for z in zones][0] == "MASTER"  # the leak upstream of everything is the largest loss
    office = next(z for z in zones if z["code"] == "C-OFFICE")
    # The office check meter: 6 meters registering 98 % of their use, plus 150 thousandths a day lost: measured.
    office_true = sum(3_000 + 250 * i for i in range(6)) * 30
    assert D(office["loss"]) == D(office_true * 2 // 100 + 150 * 30) / 1000
    assert office["estimated"] is False
    # "Public" has no check meter: its meters and unmetered uses hang on the master; its share is an estimate.
    public = b.placement.zones[built.zones["Public"].id]
    assert not public.separately_metered and public.measured_loss == 0 and public.estimated_share > 0
    assert next(z for z in zones if z["code"] == "Public")["estimated"] is True
    assert b.placement.zones[built.zones["Office"].id].separately_metered
    # Every node's loss is placed somewhere: measured in a zone, an estimated share, or unplaced.
    placed = sum(z.measured_loss + z.estimated_share for z in b.placement.zones.values()) + b.placement.unplaced
    assert placed == sum(n.loss for n in b.nodes)


def test_the_centres_own_use_is_unbilled_metered(session):
    s = Scenario(leaves=[Leaf("BOILER", 1_000, own_use=True), Leaf("FLAT", 2_000), Leaf("PUMP", 500, no_account=True)])
    built = build(session, s, AT_BOUNDARIES)
    t = period_balance(session, compound=built.compound, utility=Utility.water, period=APRIL).total
    assert (t["billed_metered"], t["unbilled_metered"]) == (D("60.000"), D("45.000"))
    assert t["non_revenue"] == t["system_input"] - t["billed_metered"]


def _electricity(session, *, hv_side: bool, theft_per_day: int = 4_000):
    """HV utility meter → transformer (630 kVA, P0 1.18 kW, Pk 6.8 kW) → LV meter → 30 billing meters + lamps."""
    c = make_compound(session)
    hv = Meter(compound_id=c.id, utility="electricity", serial="HV", role=MeterRole.utility, dials=9, hv_side=hv_side)
    session.add(hv)
    session.flush()
    tid = add_transformer(session, c, hv, name="T1", kva="630", p0_w="1180", pk_w="6800")
    lv = Meter(compound_id=c.id, utility="electricity", serial="LV", role=MeterRole.check, dials=9, transformer_id=tid)
    session.add(lv)
    session.flush()
    from compound.register.models import Account, AccountKind

    billed = 0
    for i in range(30):
        a = Account(compound_id=c.id, code=f"E{i}", kind=AccountKind.household, name=f"E{i}")
        session.add(a)
        session.flush()
        m = Meter(
            compound_id=c.id,
            utility="electricity",
            serial=f"E{i}",
            role=MeterRole.billing,
            dials=9,
            parent_id=lv.id,
            account_id=a.id,
        )
        session.add(m)
        session.flush()
        per_day = 120_000 + 3_000 * i  # kWh thousandths a day
        write_readings(session, m, per_day, AT_BOUNDARIES)
        billed += per_day
    session.add(
        UnmeteredUse(
            compound_id=c.id,
            utility="electricity",
            name="Lamps",
            category="courtyard_lamps",
            rule="lamps",
            lamp_count=60,
            lamp_watts=D(60),
            hours_per_day=D("4.5"),
            parent_meter_id=lv.id,
        )
    )
    lamps = 60 * 60 * 45 // 10  # Wh a day = 16,200 → 16.2 kWh a day
    lv_per_day = billed + lamps + theft_per_day
    write_readings(session, lv, lv_per_day, AT_BOUNDARIES)
    # The transformer's losses by the loss-load-factor method at the settings' LF 0.5, pf 0.9, k 0.3.
    hours = Fraction(30 * 24)
    lv_kwh = Fraction(lv_per_day * 30, 1000)
    x_peak = lv_kwh / hours / Fraction(9, 10) / 630 / Fraction(1, 2)
    llf = Fraction(3, 10) * Fraction(1, 2) + Fraction(7, 10) * Fraction(1, 4)
    losses = Fraction(118, 100) * hours + Fraction(68, 10) * x_peak**2 * llf * hours
    write_readings(session, hv, Fraction(lv_per_day) + losses * 1000 / 30, AT_BOUNDARIES)
    session.add(BalanceSettings(compound_id=c.id, **QUIET))
    session.flush()
    return c, {"billed": billed * 30, "lamps": lamps * 30, "theft": theft_per_day * 30, "losses": losses}


def test_an_electricity_scenario_recovers_transformer_losses_lamps_and_the_rest(session):
    c, known = _electricity(session, hv_side=True)
    b = period_balance(session, compound=c, utility=Utility.electricity, period=APRIL)
    t = b.total
    tolerance = t["system_input"] / 100
    assert t["billed_metered"] * 1000 == known["billed"]  # measured: exact
    assert t["public_lighting"] * 1000 == known["lamps"]  # 60 × 60 W × 4.5 h × 30 days = 486 kWh
    assert abs(t["transformer_losses"] - D(known["losses"].numerator) / known["losses"].denominator) <= tolerance
    # No-load loss all month: 1.18 kW × 720 h = 849.6 kWh exactly.
    assert t["transformer_no_load_losses"] == D("849.600")
    assert abs(t["unexplained"] - D(known["theft"]) / 1000) <= tolerance
    assert t["real_losses"] == t["transformer_losses"] + t["line_losses"]
    assert sum(t[k] for k in HEADLINE_PARTS) == t["system_input"]
    hv_node = next(n for n in b.nodes if n.serial == "HV")
    # Measured across the transformer: what the HV meter saw minus the LV meter, beside the nameplate estimate.
    assert abs(D(hv_node.loss) / 1000 - t["transformer_losses"]) <= D("0.01")


def test_transformer_losses_stay_outside_the_gap_when_the_utility_meters_the_low_voltage_side(session):
    c, _known = _electricity(session, hv_side=False)
    t = period_balance(session, compound=c, utility=Utility.electricity, period=APRIL).total
    assert t["transformer_losses"] > 0 and t["real_losses"] == t["line_losses"] == 0
    assert sum(t[k] for k in HEADLINE_PARTS) == t["system_input"]


def test_a_utility_bill_beyond_tolerance_is_flagged(session):
    built = build(session, Scenario(leaves=[Leaf("FLAT", 10_000)]), AT_BOUNDARIES)
    master = built.meters["MASTER"]
    # Own reading for April: 300 m³; the utility bills 312 m³ (4 % more; the tolerance is 2 %).
    session.add(
        UtilityBill(
            compound_id=built.compound.id,
            meter_id=master.id,
            period_start_date=date(2025, 4, 1),
            period_end_date=date(2025, 4, 30),
            quantity_milli=312_000,
            amount_fen=124_800,
        )
    )
    session.flush()
    b = period_balance(session, compound=built.compound, utility=Utility.water, period=APRIL)
    check = b.masters[0].bills[0]
    assert (check.own_milli, check.difference_milli(), check.difference_pct()) == (300_000, 12_000, D("4.00"))
    assert "utility_disagrees" in [code for code, _ in b.warnings]


def test_a_quarter_is_the_sum_of_its_months(session):
    times = monthly(*(date(2025, m, 1) for m in range(1, 8)))
    built = build(session, water_scenario(), times, settings=_water_settings())
    q = period_balance(session, compound=built.compound, utility=Utility.water, period=parse_period("2025-Q2"))
    months = [
        period_balance(session, compound=built.compound, utility=Utility.water, period=parse_period(m))
        for m in ("2025-04", "2025-05", "2025-06")
    ]
    for key in ("system_input", "billed_metered", "unbilled_metered", "unbilled_unmetered"):
        assert q.total[key] == sum(m.total[key] for m in months), key


# Invariants


leaf_strategy = st.builds(
    Leaf,
    serial=st.uuids().map(lambda u: f"L{u.hex[:8]}"),
    milli_per_day=st.integers(0, 50_000),
    zone=st.sampled_from([None, "Office", "Living", "Public"]),
    under=st.fractions(0, Fraction(1, 10)),
    own_use=st.booleans(),
    no_account=st.booleans(),
)
check_strategy = st.builds(
    Check,
    serial=st.uuids().map(lambda u: f"C{u.hex[:8]}"),
    zone=st.sampled_from([None, "Office", "Living"]),
    leaves=st.lists(leaf_strategy, max_size=4),
    loss_milli_per_day=st.integers(0, 5_000),
)
scenario_strategy = st.builds(
    Scenario,
    leaves=st.lists(leaf_strategy, max_size=4),
    checks=st.lists(check_strategy, max_size=3),
    unmetered=st.lists(
        st.builds(
            Unmetered,
            name=st.uuids().map(lambda u: f"U{u.hex[:8]}"),
            fixed_per_month=st.decimals(0, 1000, places=3),
            zone=st.sampled_from([None, "Public"]),
        ),
        max_size=3,
    ),
    leak_milli_per_day=st.integers(0, 20_000),
)
fractions = st.decimals(0, D("0.2"), places=6)
round_days = st.lists(st.integers(-5, 5), min_size=3, max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scenario=scenario_strategy,
    shifts=round_days,
    u=fractions,
    dh=fractions,
    ua=fractions,
    basis=st.sampled_from(["true", "registered"]),
)
def test_for_any_scenario_the_components_add_up_exactly_to_the_system_input(
    session, scenario, shifts, u, dh, ua, basis
):
    nested = session.begin_nested()
    try:
        times = [local(date(2025, 3, 28) + timedelta(days=31 * k + d), 8, 30) for k, d in enumerate(shifts)]
        opts = {
            **QUIET,
            "meter_error_fraction": u,
            "data_handling_fraction": dh,
            "unauthorised_fraction": ua,
            "meter_error_basis": basis,
        }
        built = build(session, scenario, times, settings=opts)
        b = period_balance(session, compound=built.compound, utility=Utility.water, period=APRIL)
        t = b.total
        assert sum(t[k] for k in HEADLINE_PARTS) == t["system_input"]
        assert t["non_revenue"] == t["system_input"] - t["billed_metered"] - t["billed_unmetered"]
        assert t["apparent_losses"] == (
            t["unauthorised"] + t["customer_meter_error"] + t["data_handling_errors"] + t["estimated_read_error"]
        )
        placed = sum(z.measured_loss + z.estimated_share for z in b.placement.zones.values()) + b.placement.unplaced
        assert placed == sum(n.loss for n in b.nodes)
        out = reconcile_json(b)
        assert sum(D(out[k]) for k in HEADLINE_PARTS) == D(out["system_input"])
    finally:
        nested.rollback()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(theft=st.integers(0, 200_000), hv=st.booleans(), rate=st.decimals(0, D("0.05"), places=4))
def test_for_any_electricity_scenario_the_components_add_up_exactly(session, theft, hv, rate):
    nested = session.begin_nested()
    try:
        c, _known = _electricity(session, hv_side=hv, theft_per_day=theft)
        session.execute(
            sa.update(BalanceSettings).where(BalanceSettings.compound_id == c.id).values(line_loss_rate=rate)
        )
        t = period_balance(session, compound=c, utility=Utility.electricity, period=APRIL).total
        assert sum(t[k] for k in HEADLINE_PARTS) == t["system_input"]
        assert t["system_input"] == (
            t["billed_metered"]
            + t["own_use"]
            + t["public_lighting"]
            + t["other_unmetered"]
            + t["technical_losses"]
            + t["unexplained"]
        )
    finally:
        nested.rollback()


@pytest.mark.parametrize("utility", [Utility.water, Utility.electricity])
def test_a_compound_without_meters_balances_to_nothing_and_says_why(session, utility):
    c = make_compound(session)
    b = period_balance(session, compound=c, utility=utility, period=APRIL)
    out = reconcile_json(b, details=True)
    assert out["system_input"] == "0.000" and out["zones"] == []
    assert [w["code"] for w in out["details"]["warnings"]] == ["no_master"]


def test_registered_cables_replace_the_line_loss_rate_with_3_i_squared_r(session, client_as):
    c, _known = _electricity(session, hv_side=True)
    lv = session.execute(sa.select(Meter).where(Meter.compound_id == c.id, Meter.serial == "LV")).scalar_one()
    session.execute(
        sa.update(BalanceSettings).where(BalanceSettings.compound_id == c.id).values(line_loss_rate=D("0.05"))
    )
    r = client_as("finance").post(
        f"/api/compounds/{c.id}/loss-cables",
        json={"name": "LV feeder", "meter_id": lv.id, "ohm_per_km": "0.208", "km": "0.3"},
    )
    assert r.status_code == 201, r.text
    b = period_balance(session, compound=c, utility=Utility.electricity, period=APRIL)
    t = b.total
    assert b.masters[0].components.details["line_losses_method"] == "cables"
    # The LV meter carries 4,905 + 16.2 + 4 = 4,925.2 kWh a day (30 billing meters, the lamps, the theft): over
    # 720 h its average load P = 147,756 kWh / 720 h = 205.217 kW, I = P / (√3 · 400 V · 0.9) = 329.1 A, the peak at
    # LF 0.5 is 658.2 A, LLF = 0.3·0.5 + 0.7·0.25 = 0.325: 3 · I_peak² · (0.208 Ω/km × 0.3 km) · 720 h · 0.325 / 1000.
    lv_kwh = D(b.tree.node(lv.id).use) / 1000
    average_kw = lv_kwh / 720
    current = average_kw * 1000 / (D(3).sqrt() * 400 * D("0.9")) / D("0.5")
    expected = 3 * current * current * D("0.208") * D("0.3") * 720 * D("0.325") / 1000
    assert abs(t["line_losses"] - expected) < D("0.01")
    assert t["line_losses"] != (t["system_input"] * D("0.05")).quantize(D("0.001"))
    assert sum(t[k] for k in HEADLINE_PARTS) == t["system_input"]
