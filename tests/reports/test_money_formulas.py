"""Billing efficiency, collection efficiency and AT&C loss (loss-methods.md section 4)."""

from decimal import Decimal as D

from reports.formulas import money
from reports.formulas.numbers import as_pct, round_money, round_pct


def pct(fraction: D) -> D:
    return round_pct(as_pct(fraction))


def test_pgvcl_april_2015():
    # Input 2,416.52 MU, billed 1,811.60 MU: BE = 0.749673…; revenue billed 94,147.19, collected 92,454.83 lakh Rs:
    # CE = 0.982024…; AT&C = 1 − 0.749673… × 0.982024… = 0.263802…
    e = money.efficiencies(
        system_input=D("2416.52"), billed=D("1811.60"), billed_amount=D("94147.19"), collected_amount=D("92454.83")
    )
    assert pct(e.billing_efficiency) == D("74.97")
    assert pct(e.collection_efficiency) == D("98.20")
    assert pct(e.atc_loss) == D("26.38")


def test_collection_above_100_percent_when_arrears_come_in():
    # Billed 100, collected 110 (arrears): CE 110%; with BE 90%, AT&C = 1 − 0.9 × 1.1 = 1%.
    e = money.efficiencies(system_input=D(1000), billed=D(900), billed_amount=D(100), collected_amount=D(110))
    assert e.collection_efficiency == D("1.1")
    assert e.atc_loss == D("0.01")


def test_no_denominator_no_efficiency():
    e = money.efficiencies(system_input=D(0), billed=D(0))
    assert (e.billing_efficiency, e.collection_efficiency, e.atc_loss) == (None, None, None)
    assert money.collection_efficiency(D(5), D(0)) is None
    no_amounts = money.efficiencies(system_input=D(100), billed=D(80))
    assert no_amounts.billing_efficiency == D("0.8") and no_amounts.atc_loss is None


def test_value_at_a_unit_price_rounds_only_at_the_end():
    # 1,234.567 kWh × 0.5283 yuan = 652.2217… yuan → 652.22
    assert money.value_at(D("1234.567"), D("0.5283")) == D("652.2217461")
    assert round_money(money.value_at(D("1234.567"), D("0.5283"))) == D("652.22")
    assert round_money(D("0.005")) == D("0.01")  # ROUND_HALF_UP, not the banker's rounding
