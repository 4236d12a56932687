"""The money waterfall closes to the fen for any input, values volumes at the period's cost, says what is estimated."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from reports.money.waterfall import (
    CODES,
    VOLUME_CAUSES,
    Charges,
    Revenue,
    Volumes,
    closes,
    combine,
    waterfall,
)

yuan = st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=2, allow_nan=False, allow_infinity=False)
positive_yuan = st.decimals(min_value=D(0), max_value=D("1e9"), places=2, allow_nan=False, allow_infinity=False)
volume = st.decimals(min_value=D(0), max_value=D("1e8"), places=3, allow_nan=False, allow_infinity=False)


@st.composite
def inputs(draw):
    causes = {code: draw(volume) for code in draw(st.sets(st.sampled_from(VOLUME_CAUSES)))}
    estimated = frozenset(draw(st.sets(st.sampled_from((*VOLUME_CAUSES, "system_input")))))
    volumes = Volumes(draw(volume), draw(volume), causes, estimated)
    charges = Charges(draw(positive_yuan), draw(volume), draw(st.booleans()))
    revenue = Revenue(
        billed_amount=draw(positive_yuan),
        billed_quantity=draw(volume),
        unpaid_units=draw(yuan),
        unfunded_official_use=draw(positive_yuan),
        unpaid_households=draw(yuan),
        collected_arrears=draw(positive_yuan),
    )
    return volumes, charges, revenue


@given(inputs(), st.sampled_from(("water", "electricity")))
def test_the_causes_sum_exactly_to_charges_minus_collected_for_any_input(data, utility):
    volumes, charges, revenue = data
    w = waterfall(utility, volumes, charges, revenue)
    assert [b.code for b in w.causes] == list(CODES)
    assert sum(b.amount for b in w.causes) == w.utility_charges - w.collected
    assert closes(w)
    for b in w.causes:
        assert b.amount == b.amount.quantize(D("0.01"))  # every bar to the fen


@given(inputs(), inputs())
def test_water_and_electricity_together_still_close(a, b):
    w = waterfall("water", *a)
    e = waterfall("electricity", *b)
    both = combine([w, e])
    assert closes(both)
    assert both.amount("leakage") == w.amount("leakage") + e.amount("leakage")
    assert both.utility_charges == w.utility_charges + e.utility_charges


def _example(**revenue):
    # 10,000 m³ charged 38,500.00 yuan: 3.85 yuan per m³.
    volumes = Volumes(
        system_input=D("10100"),
        billed=D("7000"),
        causes={
            "leakage": D("1500"),
            "unmetered_public_water": D("800"),
            "other_unbilled_use": D("600"),
            "apparent_losses": D("200"),
        },  # fmt: skip
        estimated=frozenset({"leakage", "unmetered_public_water"}),
    )
    return waterfall("water", volumes, Charges(D("38500.00"), D("10000")), Revenue(**revenue))


def test_volumes_are_valued_at_the_average_cost_per_unit():
    w = _example(billed_amount=D("24500.00"), billed_quantity=D("7000"))
    assert w.unit_cost == D("3.85")
    assert w.amount("leakage") == D("5775.00")  # 1,500 m³ × 3.85
    assert w.amount("unmetered_public_water") == D("3080.00")
    assert w.amount("other_unbilled_use") == D("2310.00")
    assert w.amount("apparent_losses") == D("770.00")
    assert w.amount("transformer_line_losses") == 0 and w.amount("public_lighting") == 0


def test_the_tariff_difference_is_what_the_billed_units_cost_less_what_they_were_billed():
    # Billed 7,000 m³ for 24,500.00 yuan (3.50 per m³) while they cost 3.85: the compound loses 0.35 × 7,000.
    w = _example(billed_amount=D("24500.00"), billed_quantity=D("7000"))
    assert w.average_billed_price == D("3.5")
    assert w.amount("tariff_difference") == D("2450.00")
    # Billing above cost turns it negative: the tariff makes money back.
    above = _example(billed_amount=D("28000.00"), billed_quantity=D("7000"))
    assert above.amount("tariff_difference") == D("-1050.00")


def test_the_unexplained_rest_is_the_utility_reading_above_the_compounds_own():
    # The utility billed 10,000 m³ and the compound's master read 10,100: the bars explain 10,100 m³ of use at
    # cost, so 100 m³ more than was charged (−385.00 yuan) is unexplained.
    w = _example(billed_amount=D("24500.00"), billed_quantity=D("7000"))
    assert w.amount("unexplained") == D("-385.00")
    assert closes(w)


def test_unpaid_bills_lead_from_billed_to_collected_and_arrears_stay_apart():
    w = _example(
        billed_amount=D("24500.00"), billed_quantity=D("7000"), unpaid_units=D("1000.00"),
        unfunded_official_use=D("3000.00"), unpaid_households=D("500.00"), collected_arrears=D("2000.00"),
    )  # fmt: skip
    assert w.collected == D("20000.00")
    assert w.collected_arrears == D("2000.00")
    assert sum(b.amount for b in w.causes) == D("38500.00") - D("20000.00")
    # CE of the period's own bills leaves the arrears out; the reference's CE counts them.
    assert round(w.own_collection_efficiency * 100, 2) == D("81.63")  # 20,000 / 24,500
    assert round(w.efficiencies.collection_efficiency * 100, 2) == D("89.80")  # 22,000 / 24,500


def test_each_bar_says_whether_it_is_estimated():
    w = _example(billed_amount=D("24500.00"), billed_quantity=D("7000"))
    flags = {b.code: b.estimated for b in w.causes}
    assert flags["leakage"] and flags["unmetered_public_water"] and flags["unexplained"]
    assert not flags["other_unbilled_use"] and not flags["tariff_difference"] and not flags["unpaid_units"]
    estimated_charges = waterfall("water", Volumes(D(10), D(5), {}), Charges(D(30), D(10), True), Revenue())
    assert all(b.estimated for b in estimated_charges.causes[:8])


def test_without_a_utility_quantity_nothing_is_valued_but_the_bars_still_close():
    w = waterfall("water", Volumes(D(100), D(50), {"leakage": D(20)}), Charges(D(0), D(0)),
                  Revenue(billed_amount=D("150.00"), billed_quantity=D(50)))  # fmt: skip
    assert w.unit_cost is None and w.amount("leakage") == 0
    assert w.amount("unexplained") == D("-150.00") and closes(w)


def test_billing_efficiency_collection_efficiency_and_atc_as_the_reference_defines_them():
    # PGVCL April 2015 shape (section 4): BE 74.97 %, CE 98.20 %, AT&C 26.38 %.
    volumes = Volumes(D("2416.52"), D("1811.60"), {})
    revenue = Revenue(billed_amount=D("94147.19"), billed_quantity=D("1811.60"), unpaid_units=D("1692.36"))
    w = waterfall("electricity", volumes, Charges(D("100000.00"), D("2416.52")), revenue)
    e = w.efficiencies
    assert round(e.billing_efficiency * 100, 2) == D("74.97")
    assert round(e.collection_efficiency * 100, 2) == D("98.20")
    assert round(e.atc_loss * 100, 2) == D("26.38")
