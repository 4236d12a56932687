"""The quick balance from totals: parsing, refusals naming the key, outputs and their rounding (issue 10)."""

import json
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.quick_balance import TotalsError, electricity_from_totals, water_from_totals

# The water example of test_water_formulas, typed as a clerk might: numbers, strings, a float.
WATER = {
    "days": 30,
    "system_input": "1200",
    "billed_metered": 900,
    "billed_unmetered": 20.0,
    "unbilled_metered": "100.000",
    "unbilled_unmetered": 30,
    "unauthorised": 5,
    "customer_meter_error_fraction": "0.04",
    "data_handling_errors": 2,
    "estimated_read_error": 1,
    "connections": 50,
    "mains_km": "1.5",
    "service_km": "0.4",
    "pressure_m": 25,
    "variable_cost_per_unit": "2.50",
    "tariff_per_unit": "4.20",
}


def test_water_balance_from_totals():
    out = water_from_totals(WATER)
    assert out["meter_error_basis"] == "true"
    assert out["customer_meter_error"] == D("41.667")  # 1,000 / 0.96 − 1,000
    expected = {
        "system_input": "1200.000", "authorised": "1050.000", "water_losses": "150.000",
        "apparent_losses": "49.667", "real_losses": "100.333", "non_revenue": "280.000",
        "nrw_pct": "23.33", "apparent_pct_of_authorised": "4.73",
        # 100.333 m³ / 50 / 30 days × 1000 = 66.888… L
        "real_losses_per_connection_day_l": "66.89",
        # (18 × 1.5 + 0.8 × 50 + 25 × 0.4) × 25 = (27 + 40 + 10) × 25 = 1,925 L/day
        "uarl": "1925.00",
        # 100.333 × 2.50 = 250.8325 → 250.83; 49.667 × 4.20 = 208.6014 → 208.60; 130 × 2.50 = 325.00
        "real_losses_value": "250.83", "apparent_losses_value": "208.60", "unbilled_authorised_value": "325.00",
        "non_revenue_value": "784.43",
    }  # fmt: skip
    assert {k: str(out[k]) for k in expected} == expected
    assert "ili" not in out
    assert out["ili_not_valid_because"]["code"] == "too_few_connections"
    assert out["warnings"] == []


def test_the_registered_basis_from_totals():
    out = water_from_totals({**WATER, "meter_error_basis": "registered"})
    assert (out["customer_meter_error"], out["real_losses"]) == (D("40.000"), D("102.000"))


def test_ili_is_shown_for_a_large_enough_system():
    # 3,000 connections on 150 km, 15 km private pipe, 30 m: UARL 164,250 L/day; real losses 2 × UARL over 365 days.
    out = water_from_totals({
        "days": 365, "system_input": "119902.5", "connections": 3000, "mains_km": 150, "service_km": 15,
        "pressure_m": 30,
    })  # fmt: skip
    assert out["ili"] == D("2.00")
    assert "ili_not_valid_because" not in out
    assert out["uarl"] == D("164250.00")


def test_absent_figures_are_zero_or_not_given():
    out = water_from_totals({"system_input": 100})
    assert out["real_losses"] == D("100.000")
    assert out["nrw_pct"] == D("100.00")
    assert out["real_losses_per_connection_day_l"] is None and out["uarl"] is None
    assert out["real_losses_value"] is None and out["non_revenue_value"] is None
    assert out["ili_not_valid_because"] == {
        "code": "not_given", "message": "ILI is not shown: connections is not given."
    }  # fmt: skip
    assert water_from_totals({})["nrw_pct"] is None  # no input, no percentage


def test_a_float_is_read_through_its_decimal_repr():
    out = water_from_totals({"system_input": 0.3, "billed_metered": 0.1, "billed_unmetered": 0.2})
    assert out["non_revenue"] == D("0.000")  # 0.1 + 0.2 == 0.3 here, unlike in binary


def test_json_with_decimal_numbers_round_trips():
    data = json.loads('{"system_input": 1000.125, "billed_metered": "999.125"}', parse_float=D)
    assert water_from_totals(data)["water_losses"] == D("1.000")


def test_warnings_when_the_figures_disagree():
    over = water_from_totals({"system_input": 100, "billed_metered": 120})
    assert [w["code"] for w in over["warnings"]] == ["authorised_exceeds_input"]
    assert over["water_losses"] == D("-20.000")
    apparent = water_from_totals({"system_input": 100, "billed_metered": 90, "unauthorised": 20})
    assert [w["code"] for w in apparent["warnings"]] == ["real_losses_negative"]


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        ({"billed_metered": -1}, "billed_metered", "must not be negative"),
        ({"billed_metered": "12,5"}, "billed_metered", "must be a number"),
        ({"billed_metered": True}, "billed_metered", "not true or false"),
        ({"billed_metered": "NaN"}, "billed_metered", "finite"),
        ({"billed_metered": [1]}, "billed_metered", "must be a number"),
        ({"billed_metered": "1.0005"}, "billed_metered", "at most 3 decimal places"),
        ({"billed_meterd": 1}, "billed_meterd", "is not a known key"),
        ({"customer_meter_error_fraction": 1}, "customer_meter_error_fraction", "below 1"),
        ({"meter_error_basis": "measured"}, "meter_error_basis", '"registered"'),
        ({"supply_hours_per_day": 25}, "supply_hours_per_day", "at most 24"),
        ({"supply_hours_per_day": 0}, "supply_hours_per_day", "more than 0"),
        ({"connections": "50.5"}, "connections", "whole number"),
        ({"days": 0}, "days", "more than 0"),
        ({"system_input": "1e15"}, "system_input", "too large"),
        ({"tariff_per_unit": "0." + "1" * 31}, "tariff_per_unit", "significant digits"),
    ],
)
def test_bad_water_input_is_refused_naming_the_key(changes, key, reason):
    with pytest.raises(TotalsError) as refused:
        water_from_totals({**WATER, **changes})
    assert refused.value.key == key
    assert reason in refused.value.reason
    assert str(refused.value).startswith(f"{key}: ")


def test_totals_that_are_not_an_object_are_refused():
    with pytest.raises(TotalsError, match="totals: must be an object"):
        water_from_totals([1, 2])  # type: ignore[arg-type]


# Electricity: a 630 kVA transformer carrying 99,000 kWh in 30 days (720 h) at pf 0.9 and LF 0.5:
# average 137.5 kW, peak 275 kW = 48.50% of the rating; LLF 0.325; no-load 1.18 × 720 = 849.6 kWh;
# load 6.8 × 0.48501² × 0.325 × 720 = 374.304 kWh. Line losses 2% of 100,000 = 2,000 kWh.
# Lamps 40 × 100 W × 11 h × 30 days = 1,320 kWh.
# Unexplained = 100,000 − 80,000 − 1,320 − 1,223.904 − 2,000 = 15,456.096 kWh.
ELECTRICITY = {
    "days": 30,
    "input": "100000",
    "billed": 80000,
    "billed_amount": "60000",
    "collected_amount": "55000",
    "transformers": [
        {
            "name": "T1",
            "rated_kva": 630,
            "no_load_loss_kw": "1.18",
            "copper_loss_kw": "6.8",
            "energy_kwh": 99000,
            "power_factor": "0.9",
            "load_factor": "0.5",
        },
    ],  # fmt: skip
    "line_loss_rate": "0.02",
    "lamps": [{"count": 40, "watts": 100, "hours_per_day": 11}],
    "variable_cost_per_unit": "0.60",
    "tariff_per_unit": "0.65",
}


def test_electricity_balance_from_totals():
    out = electricity_from_totals(ELECTRICITY)
    expected = {
        "system_input": "100000.000", "billed_metered": "80000.000", "public_lighting": "1320.000",
        "transformer_no_load_losses": "849.600", "transformer_load_losses": "374.304",
        "transformer_losses": "1223.904", "line_losses": "2000.000", "technical_losses": "3223.904",
        "non_revenue": "20000.000", "unexplained": "15456.096",
        # BE 80%, CE 55,000 / 60,000 = 91.666…%, AT&C 1 − 0.8 × 0.91666… = 26.666…%
        "billing_efficiency_pct": "80.00", "collection_efficiency_pct": "91.67", "atc_loss_pct": "26.67",
        # lighting 1,320 × 0.60 = 792.00; technical 3,223.904 × 0.60 = 1,934.3424 → 1,934.34;
        # unexplained 15,456.096 × 0.65 = 10,046.4624 → 10,046.46; total of the rounded parts 12,772.80
        "public_lighting_value": "792.00", "technical_losses_value": "1934.34", "unexplained_value": "10046.46",
        "unbilled_metered_value": "0.00", "non_revenue_value": "12772.80",
    }  # fmt: skip
    assert {k: str(out[k]) for k in expected} == expected
    assert out["public_lighting_estimated"] is True
    assert out["line_losses_method"] == "rate"
    [t1] = out["transformers"]
    assert (t1["name"], t1["peak_kw"], t1["peak_load_pct"], t1["loss_load_factor"]) == (
        "T1", D("275.000"), D("48.50"), D("0.325")
    )  # fmt: skip


def test_pgvcl_through_the_quick_balance():
    out = electricity_from_totals(
        {"input": "2416.52", "billed": "1811.60", "billed_amount": "94147.19", "collected_amount": "92454.83"}
    )
    assert (out["billing_efficiency_pct"], out["collection_efficiency_pct"], out["atc_loss_pct"]) == (
        D("74.97"), D("98.20"), D("26.38")
    )  # fmt: skip


def test_transformer_losses_on_the_low_voltage_side_stay_out_of_the_gap():
    out = electricity_from_totals({**ELECTRICITY, "utility_meters_high_voltage": False})
    assert out["transformer_losses"] == D("1223.904")
    assert out["technical_losses"] == D("2000.000")
    assert out["unexplained"] == D("16680.000")


def test_cables_instead_of_a_rate():
    # 200 m of NAYY 4×150 at 100 A for 720 h: 3 × 100² × 0.0416 Ω × 720 / 1000 = 898.56 kWh
    data = {**ELECTRICITY, "cables": [{"ohm_per_km": "0.208", "km": "0.2", "current_a": 100}]}
    del data["line_loss_rate"]
    out = electricity_from_totals(data)
    assert (out["line_losses"], out["line_losses_method"]) == (D("898.560"), "cables")


def test_metered_public_lighting():
    data = {**ELECTRICITY, "public_lighting": "1500.5"}
    del data["lamps"]
    out = electricity_from_totals(data)
    assert (out["public_lighting"], out["public_lighting_estimated"]) == (D("1500.500"), False)


def test_electricity_without_optional_parts():
    out = electricity_from_totals({"input": 1000, "billed": 900})
    assert out["unexplained"] == D("100.000")
    assert out["transformers"] == [] and out["line_losses_method"] is None
    assert out["collection_efficiency_pct"] is None and out["atc_loss_pct"] is None
    assert out["non_revenue_value"] is None
    assert [w["code"] for w in electricity_from_totals({"input": 1000, "billed": 1100})["warnings"]] == [
        "unexplained_negative"
    ]


def transformer(**changes):
    return {**ELECTRICITY, "transformers": [{**ELECTRICITY["transformers"][0], **changes}]}


@pytest.mark.parametrize(
    ("data", "key", "reason"),
    [
        (transformer(power_factor=None), "transformers[0].power_factor", "is not given"),
        (transformer(power_factor="1.1"), "transformers[0].power_factor", "at most 1"),
        (transformer(rated_kva=0), "transformers[0].rated_kva", "more than 0"),
        (transformer(peak_kw=300), "transformers[0].peak_kw", "either peak_kw or load_factor"),
        (transformer(load_factor=None), "transformers[0].peak_kw", "either peak_kw or load_factor"),
        (transformer(load_factor=None, peak_kw=100), "transformers[0].peak_kw", "below the average load, 137.500 kW"),
        (transformer(kva=630), "transformers[0].kva", "is not a known key"),
        ({**ELECTRICITY, "transformers": {"rated_kva": 630}}, "transformers", "must be a list"),
        ({**ELECTRICITY, "transformers": [5]}, "transformers[0]", "must be an object"),
        ({k: v for k, v in ELECTRICITY.items() if k != "days"}, "days", "needed for"),
        ({**ELECTRICITY, "public_lighting": 10}, "lamps", "not both"),
        ({**ELECTRICITY, "line_loss_rate": 1}, "line_loss_rate", "below 1"),
        ({**ELECTRICITY, "cables": [{"ohm_per_km": 0.2, "km": 1}]}, "cables", "not both"),
        ({**ELECTRICITY, "utility_meters_high_voltage": "yes"}, "utility_meters_high_voltage", "true or false"),
        ({**ELECTRICITY, "lamps": [{"count": 1.5, "watts": 10, "hours_per_day": 1}]}, "lamps[0].count", "whole"),
        ({**ELECTRICITY, "input": "-5"}, "input", "must not be negative"),
    ],
)
def test_bad_electricity_input_is_refused_naming_the_key(data, key, reason):
    with pytest.raises(TotalsError) as refused:
        electricity_from_totals(data)
    assert refused.value.key == key
    assert reason in refused.value.reason


volumes = st.decimals(min_value=0, max_value=10**9, places=3).map(str)


@given(siv=volumes, parts=st.lists(volumes, min_size=7, max_size=7), u=st.decimals(0, D("0.5"), places=3),
       basis=st.sampled_from(["true", "registered"]))  # fmt: skip
def test_the_published_water_table_adds_up(siv, parts, u, basis):
    keys = ("billed_metered", "billed_unmetered", "unbilled_metered", "unbilled_unmetered", "unauthorised",
            "data_handling_errors", "estimated_read_error")  # fmt: skip
    out = water_from_totals(
        {"system_input": siv, **dict(zip(keys, parts, strict=True)), "customer_meter_error_fraction": str(u),
         "meter_error_basis": basis, "variable_cost_per_unit": "1.37", "tariff_per_unit": "2.9"}
    )  # fmt: skip
    assert out["authorised"] + out["apparent_losses"] + out["real_losses"] == out["system_input"] == D(siv)
    assert out["non_revenue"] == out["system_input"] - out["billed_authorised"]
    parts_of_apparent = ("unauthorised", "customer_meter_error", "data_handling_errors", "estimated_read_error")
    assert sum(out[k] for k in parts_of_apparent) == out["apparent_losses"]
    assert out["non_revenue_value"] == (
        out["real_losses_value"] + out["apparent_losses_value"] + out["unbilled_authorised_value"]
    )


@given(system_input=volumes, parts=st.lists(volumes, min_size=3, max_size=3), lf=st.decimals(D("0.05"), 1, places=2),
       hv=st.booleans(), rate=st.decimals(0, D("0.1"), places=3))  # fmt: skip
def test_the_published_electricity_table_adds_up(system_input, parts, lf, hv, rate):
    billed, unbilled, lighting = parts
    out = electricity_from_totals(
        {"days": 31, "input": system_input, "billed": billed, "unbilled_metered": unbilled,
         "public_lighting": lighting, "line_loss_rate": str(rate), "utility_meters_high_voltage": hv,
         "transformers": [{"rated_kva": 630, "no_load_loss_kw": "1.18", "copper_loss_kw": "6.8",
                           "energy_kwh": system_input, "power_factor": "0.9", "load_factor": str(lf)}]}
    )  # fmt: skip
    in_gap = out["transformer_losses"] if hv else 0
    total = out["billed_metered"] + out["unbilled_metered"] + out["public_lighting"] + in_gap + out["line_losses"]
    assert total + out["unexplained"] == out["system_input"] == D(system_input)
    assert out["transformer_losses"] == sum(t["losses"] for t in out["transformers"])
