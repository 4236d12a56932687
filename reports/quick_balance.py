"""A quick balance from totals typed in (issue 10, "A quick balance from totals"; loss-methods.md sections 1, 3, 4).

`water_from_totals` and `electricity_from_totals` take the parsed JSON object of the CLI, the page or the API
and return the balance as a dict with the key names of the period balance. Input rules:

- numbers may be JSON numbers or strings; a float is read through `str` (its shortest repr), never its binary
  value (the CLI should still parse with `json.loads(..., parse_float=Decimal)`); true/false, NaN, infinities
  and unknown keys are refused;
- volumes (m³, kWh) are not negative and have at most 3 decimal places (0.001, the resolution of the readings),
  so the balance closes exactly; absent volumes are 0; other absent figures (and JSON null) are "not given",
  and the outputs that need them are None (the ILI gives its reason instead);
- a refused input raises `TotalsError(key, reason)`, the key as typed (`transformers[1].power_factor`).

Keys. Water, as issue 10 lists them, plus `estimated_read_error` (m³, an apparent loss):
`days`, `system_input`, `billed_metered`, `billed_unmetered`, `unbilled_metered`, `unbilled_unmetered`,
`unauthorised`, `customer_meter_error_fraction` (0 ≤ u < 1), `meter_error_basis` ("true", the default, or
"registered"), `data_handling_errors`, `mains_km`, `connections`, `service_km`, `pressure_m`,
`supply_hours_per_day` (default 24), `variable_cost_per_unit`, `tariff_per_unit`.
Electricity: `days`, `input`, `billed`, `billed_amount`, `collected_amount`, and optionally `unbilled_metered`;
`public_lighting` (metered kWh) or `lamps` [{`count`, `watts`, `hours_per_day`}]; `transformers` [{`rated_kva`,
`no_load_loss_kw`, `copper_loss_kw`, `energy_kwh` (carried over the period), `power_factor`, `peak_kw` or
`load_factor`, `loss_load_k` (default 0.3), `name`}]; `utility_meters_high_voltage` (default true: the
transformer losses are inside the compound's gap); `line_loss_rate` (a fraction of the input) or `cables`
[{`ohm_per_km`, `km`, `current_a` (RMS), `hours` (default days × 24)}]; `variable_cost_per_unit`,
`tariff_per_unit`. `input` comes out as `system_input` and `billed` as `billed_metered`, the period balance's names.

Rounding of the outputs, once, at the end, ROUND_HALF_UP (`reports.formulas.numbers`):

| output                                                     | step                       |
|------------------------------------------------------------|----------------------------|
| volumes: every balance component (m³, kWh), `average_kw`…  | 0.001                      |
| estimated volumes (meter error, transformer, line, lamps)  | 0.001, where each is made  |
| percentages (`*_pct`)                                      | 0.01                       |
| `uarl`, `real_losses_per_connection_day_l` (litres/day)    | 0.01                       |
| `ili`                                                      | 0.01                       |
| `load_factor`, `loss_load_factor` of a transformer         | 0.001                      |
| money (`*_value`, yuan)                                    | 0.01, the fen              |

Inputs echoed (`days`, `customer_meter_error_fraction`) are as given. Remainders (real losses, unexplained)
and totals (apparent losses, transformer losses, the non-revenue value) are sums of the rounded parts, so
every published table adds up. Money follows the IWA convention: losses of water or energy that was bought
(real losses, technical losses) and unbilled authorised use (public lighting too) at `variable_cost_per_unit`,
apparent losses (and for electricity the unexplained rest: unmetered rooms, theft, meter error) at
`tariff_per_unit`. Transformer losses outside the gap (`utility_meters_high_voltage` false) are shown, not valued.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from reports.formulas import electricity as el
from reports.formulas import money
from reports.formulas import water as w
from reports.formulas.numbers import (
    INDEX,
    LITRES,
    MONEY,
    PERCENT,
    VOLUME,
    ZERO,
    as_pct,
    ratio,
    round_money,
    round_pct,
    round_to,
    round_volume,
)

WATER_VOLUMES = (
    "system_input", "billed_metered", "billed_unmetered", "unbilled_metered", "unbilled_unmetered",
    "unauthorised", "data_handling_errors", "estimated_read_error",
)  # fmt: skip
WATER_KEYS = frozenset(WATER_VOLUMES) | {
    "days", "customer_meter_error_fraction", "meter_error_basis", "mains_km", "connections", "service_km",
    "pressure_m", "supply_hours_per_day", "variable_cost_per_unit", "tariff_per_unit",
}  # fmt: skip
ELECTRICITY_KEYS = frozenset({
    "days", "input", "billed", "unbilled_metered", "public_lighting", "lamps", "transformers",
    "utility_meters_high_voltage", "line_loss_rate", "cables", "billed_amount", "collected_amount",
    "variable_cost_per_unit", "tariff_per_unit",
})  # fmt: skip
TRANSFORMER_KEYS = frozenset({
    "name", "rated_kva", "no_load_loss_kw", "copper_loss_kw", "energy_kwh", "power_factor", "peak_kw",
    "load_factor", "loss_load_k",
})  # fmt: skip
CABLE_KEYS = frozenset({"name", "ohm_per_km", "km", "current_a", "hours"})
LAMP_KEYS = frozenset({"name", "count", "watts", "hours_per_day"})
LLF_STEP = Decimal("0.001")
MAX_DIGITS_BEFORE_POINT = 15
MAX_SIGNIFICANT_DIGITS = 30


def N_(message: str) -> str:
    """Marks a message for the translators (Babel extracts N_); the edge translates it, this module stays pure."""
    return message


class Phrase(str):
    """English words with the template and figures they were made from, so the edge can say them in Chinese."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> "Phrase":
        obj = super().__new__(cls, template % params if params else template)
        obj.template, obj.params = template, params
        return obj


def say(phrase: "Phrase", gettext: Any) -> str:
    """The phrase in the reader's language: `say(err.phrase, _)` (inner phrases are translated too)."""
    params = {k: say(v, gettext) if isinstance(v, Phrase) else v for k, v in phrase.params.items()}
    return gettext(phrase.template, **params)


class TotalsError(ValueError):
    """An input the quick balance refuses: `key` as typed, `reason` in English words a clerk understands.

    `phrase` holds the same words as a template and its figures: `say(err.phrase, _)` translates them.
    """

    def __init__(self, key: str, template: str, **params: Any) -> None:
        self.key = key
        self.phrase = Phrase(template, **params)
        self.reason = str(self.phrase)
        super().__init__(f"{key}: {self.reason}")


# ---- reading the input ---------------------------------------------------------------------------------------


def _mapping(data: Any, prefix: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    """`data` as an object with only `allowed` keys; `prefix` is its path ("" at the top, "transformers[0].")."""
    if not isinstance(data, Mapping):
        raise TotalsError(prefix.rstrip(".") or "totals", N_("must be an object of named figures"))
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise TotalsError(
            f"{prefix}{unknown[0]}", N_("is not a known key; the keys are: %(keys)s"), keys=", ".join(sorted(allowed))
        )
    return data


def _decimal(raw: Any, key: str) -> Decimal:
    if isinstance(raw, bool):
        raise TotalsError(key, N_("must be a number, not true or false"))
    if isinstance(raw, float):
        raw = str(raw)  # the shortest repr, 0.1 → "0.1", not the binary 0.1000000000000000055...
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise TotalsError(key, N_("must be a number, not %(text)s"), text=repr(raw)) from None
    else:
        raise TotalsError(key, N_("must be a number"))
    if not value.is_finite():
        raise TotalsError(key, N_("must be a finite number"))
    # Bounds keep every sum and product exact in the 120-digit context of the formulas.
    if value and value.adjusted() >= MAX_DIGITS_BEFORE_POINT:
        raise TotalsError(
            key, N_("is too large (at most %(digits)s digits before the decimal point)"), digits=MAX_DIGITS_BEFORE_POINT
        )
    if len(value.as_tuple().digits) > MAX_SIGNIFICANT_DIGITS:
        raise TotalsError(key, N_("has more than %(digits)s significant digits"), digits=MAX_SIGNIFICANT_DIGITS)
    return value


class _Reader:
    """Reads the keys of one object, naming each refused key by its full path."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data, self.prefix = data, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def number(self, name: str) -> Decimal | None:
        raw = self.data.get(name)
        return None if raw is None else _decimal(raw, self.key(name))

    def at_least_zero(self, name: str) -> Decimal | None:
        value = self.number(name)
        if value is not None and value < 0:
            raise TotalsError(self.key(name), N_("must not be negative"))
        return value

    def positive(self, name: str) -> Decimal | None:
        value = self.number(name)
        if value is not None and value <= 0:
            raise TotalsError(self.key(name), N_("must be more than 0"))
        return value

    def volume(self, name: str) -> Decimal:
        value = self.at_least_zero(name)
        if value is None:
            return ZERO
        if round_to(value, VOLUME) != value:
            raise TotalsError(self.key(name), N_("must have at most 3 decimal places (volumes are to 0.001)"))
        return value

    def count(self, name: str) -> int | None:
        value = self.at_least_zero(name)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise TotalsError(self.key(name), N_("must be a whole number"))
        return int(value)

    def fraction(self, name: str, *, upper: Decimal, upper_included: bool) -> Decimal | None:
        value = self.at_least_zero(name)
        if value is not None and (value > upper or (value == upper and not upper_included)):
            template = N_("must be at most %(bound)s") if upper_included else N_("must be below %(bound)s")
            raise TotalsError(self.key(name), template, bound=upper)
        return value

    def required(self, name: str, value: Any, why: Phrase) -> Any:
        if value is None:
            raise TotalsError(self.key(name), N_("is not given; %(why)s"), why=why)
        return value

    def items(self, name: str, allowed: frozenset[str]) -> list["_Reader"]:
        raw = self.data.get(name)
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise TotalsError(self.key(name), N_("must be a list"))
        prefixes = [self.key(f"{name}[{i}].") for i in range(len(raw))]
        return [_Reader(_mapping(item, p, allowed), p) for item, p in zip(raw, prefixes, strict=True)]

    def flag(self, name: str, *, default: bool) -> bool:
        raw = self.data.get(name)
        if raw is None:
            return default
        if not isinstance(raw, bool):
            raise TotalsError(self.key(name), N_("must be true or false"))
        return raw


def _opt(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else round_to(value, step)


def _pct(fraction: Decimal | None) -> Decimal | None:
    return None if fraction is None else round_pct(as_pct(fraction))


def _warning(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


# ---- water ---------------------------------------------------------------------------------------------------

WATER_COMPONENTS = (
    "system_input", "billed_metered", "billed_unmetered", "unbilled_metered", "unbilled_unmetered",
    "billed_authorised", "unbilled_authorised", "authorised", "water_losses", "metered_authorised",
    "unauthorised", "customer_meter_error", "data_handling_errors", "estimated_read_error",
    "apparent_losses", "real_losses", "non_revenue",
)  # fmt: skip


def _water_inputs(r: _Reader) -> w.WaterInputs:
    volumes = {name: r.volume(name) for name in WATER_VOLUMES}
    raw_basis = r.data.get("meter_error_basis")
    basis = w.MeterErrorBasis.TRUE
    if raw_basis is not None:
        try:
            basis = w.MeterErrorBasis(raw_basis)
        except ValueError:
            raise TotalsError(
                "meter_error_basis",
                N_('must be "registered" (error = V × u) or "true" (error = V / (1 − u) − V)'),
            ) from None
    fraction = r.fraction("customer_meter_error_fraction", upper=Decimal(1), upper_included=False)
    return w.WaterInputs(**volumes, customer_meter_error_fraction=fraction or ZERO, meter_error_basis=basis)


def _system(r: _Reader) -> w.SystemData:
    hours = r.positive("supply_hours_per_day")
    if hours is not None and hours > 24:
        raise TotalsError("supply_hours_per_day", N_("must be at most %(bound)s"), bound=24)
    return w.SystemData(
        mains_km=r.at_least_zero("mains_km"),
        connections=r.count("connections"),
        service_km=r.at_least_zero("service_km"),
        pressure_m=r.at_least_zero("pressure_m"),
        supply_hours_per_day=hours or w.HOURS_PER_DAY,
    )


def _water_indicators(b: w.WaterBalance, days: Decimal | None, system: w.SystemData) -> dict[str, Any]:
    per_connection = None
    if days is not None and system.connections:
        per_connection = w.real_losses_per_connection_day_l(
            b.real_losses, connections=system.connections, days=days, supply_hours_per_day=system.supply_hours_per_day
        )
    ili = w.infrastructure_leakage_index(b.real_losses, days=days, system=system)
    out: dict[str, Any] = {
        "nrw_pct": _opt(w.nrw_pct(b), PERCENT),
        "apparent_pct_of_authorised": _opt(w.apparent_pct_of_authorised(b), PERCENT),
        "real_losses_per_connection_day_l": _opt(per_connection, LITRES),
        "uarl": _opt(ili.uarl, LITRES),
    }
    if ili.value is not None:
        out["ili"] = round_to(ili.value, INDEX)
    else:
        out["ili_not_valid_because"] = {"code": ili.not_valid_because.code, "message": ili.not_valid_because.message}
    return out


def _water_money(r: _Reader, b: w.WaterBalance) -> dict[str, Decimal | None]:
    cost, tariff = r.at_least_zero("variable_cost_per_unit"), r.at_least_zero("tariff_per_unit")
    values = w.value_of_water_losses(b, variable_cost_per_unit=cost, tariff_per_unit=tariff)
    real, apparent = _opt(values.real_losses, MONEY), _opt(values.apparent_losses, MONEY)
    unbilled = _opt(values.unbilled_authorised, MONEY)
    total = None if real is None or apparent is None else real + unbilled + apparent  # the rounded parts, so it adds up
    return {
        "real_losses_value": real,
        "apparent_losses_value": apparent,
        "unbilled_authorised_value": unbilled,
        "non_revenue_value": total,
    }


def _water_warnings(b: w.WaterBalance) -> list[dict[str, str]]:
    if b.water_losses < 0:
        message = (
            f"Authorised consumption ({b.authorised} m³) exceeds system_input ({b.system_input} m³): the water "
            "losses are negative; check the master meter and the readings."
        )
        return [_warning("authorised_exceeds_input", message)]
    if b.real_losses < 0:
        message = (
            f"The apparent losses ({b.apparent_losses} m³) exceed the water losses ({b.water_losses} m³): "
            "the real losses are negative; check the apparent-loss estimates."
        )
        return [_warning("real_losses_negative", message)]
    return []


def water_from_totals(data: Mapping[str, Any]) -> dict[str, Any]:
    """The IWA water balance, its indicators and the money value of the losses, from totals (m³)."""
    r = _Reader(_mapping(data, "", WATER_KEYS))
    inputs = _water_inputs(r)
    days = r.positive("days")
    system = _system(r)
    b = w.water_balance(inputs)
    out: dict[str, Any] = {"utility": "water", "days": days}
    out.update({name: round_volume(getattr(b, name)) for name in WATER_COMPONENTS})
    out["customer_meter_error_fraction"] = inputs.customer_meter_error_fraction
    out["meter_error_basis"] = b.meter_error_basis.value
    out.update(_water_indicators(b, days, system))
    out.update(_water_money(r, b))
    out["warnings"] = _water_warnings(b)
    return out


# ---- electricity ---------------------------------------------------------------------------------------------

ELECTRICITY_COMPONENTS = (
    "system_input", "billed_metered", "unbilled_metered", "public_lighting", "transformer_no_load_losses",
    "transformer_load_losses", "transformer_losses", "line_losses", "technical_losses", "non_revenue", "unexplained",
)  # fmt: skip
ONE = Decimal(1)


def _period_hours(r: _Reader, days: Decimal | None, what: Phrase) -> Decimal:
    return r.required("days", days, Phrase(N_("the number of days is needed for %(what)s"), what=what)) * 24


def _nameplate(t: _Reader) -> el.TransformerNameplate:
    need = Phrase(N_("the nameplate (rated_kva, no_load_loss_kw, copper_loss_kw) gives the transformer's losses"))
    return el.TransformerNameplate(
        rated_kva=t.required("rated_kva", t.positive("rated_kva"), need),
        no_load_loss_kw=t.required("no_load_loss_kw", t.at_least_zero("no_load_loss_kw"), need),
        copper_loss_kw=t.required("copper_loss_kw", t.at_least_zero("copper_loss_kw"), need),
    )


def _peak(t: _Reader) -> tuple[Decimal | None, Decimal | None]:
    peak, lf = t.positive("peak_kw"), t.fraction("load_factor", upper=ONE, upper_included=True)
    if (peak is None) == (lf is None):
        raise TotalsError(t.key("peak_kw"), N_("give either peak_kw or load_factor (one of the two) for the peak load"))
    if lf == 0:
        raise TotalsError(t.key("load_factor"), N_("must be more than 0"))
    return peak, lf


def _transformer(t: _Reader, hours: Decimal) -> tuple[dict[str, Any], el.TransformerLossEnergy]:
    plate = _nameplate(t)
    energy = t.required("energy_kwh", t.at_least_zero("energy_kwh"), Phrase(N_("the energy it carried gives its load")))
    pf = t.required("power_factor", t.positive("power_factor"), Phrase(N_("it turns the average kW into kVA")))
    if pf > 1:
        raise TotalsError(t.key("power_factor"), N_("must be at most %(bound)s"), bound=1)
    peak, lf = _peak(t)
    k = t.fraction("loss_load_k", upper=ONE, upper_included=True)
    k = el.DEFAULT_LLF_K if k is None else k
    average = ratio(energy, hours)
    if peak is not None and peak < average:
        reason = N_("is below the average load, %(kw)s kW (energy_kwh / hours)")
        raise TotalsError(t.key("peak_kw"), reason, kw=round_volume(average))
    load, losses = el.transformer_loss_from_energy(
        plate, energy_kwh=energy, hours=hours, power_factor=pf, peak_kw=peak, load_factor=lf, k=k
    )
    rounded = el.TransformerLossEnergy(round_volume(losses.no_load_kwh), round_volume(losses.load_kwh))
    detail = {
        "name": t.data.get("name"),
        "average_kw": round_volume(load.average_kw),
        "peak_kw": round_volume(load.peak_kw),
        "load_factor": round_to(load.load_factor, LLF_STEP),
        "loss_load_factor": round_to(el.loss_load_factor(load.load_factor, k), LLF_STEP),
        "average_load_pct": _pct(load.average_fraction),
        "peak_load_pct": _pct(load.peak_fraction),
        "no_load_losses": rounded.no_load_kwh,
        "load_losses": rounded.load_kwh,
        "losses": rounded.total_kwh,
    }
    return detail, rounded


def _transformers(r: _Reader, days: Decimal | None) -> tuple[list[dict[str, Any]], el.TransformerLossEnergy | None]:
    readers = r.items("transformers", TRANSFORMER_KEYS)
    if not readers:
        return [], None
    hours = _period_hours(r, days, Phrase(N_("the transformer losses")))
    pairs = [_transformer(t, hours) for t in readers]
    total = el.TransformerLossEnergy(
        sum((p[1].no_load_kwh for p in pairs), ZERO), sum((p[1].load_kwh for p in pairs), ZERO)
    )
    return [p[0] for p in pairs], total


def _cable(c: _Reader, r: _Reader, days: Decimal | None) -> Decimal:
    need = Phrase(N_("ohm_per_km, km and current_a give the cable's loss 3·I²·R"))
    ohm = c.required("ohm_per_km", c.at_least_zero("ohm_per_km"), need)
    km = c.required("km", c.at_least_zero("km"), need)
    current = c.required("current_a", c.at_least_zero("current_a"), need)
    hours = c.positive("hours") or _period_hours(
        r, days, Phrase(N_("%(key)s (default: days × 24)"), key=f"{c.prefix}hours")
    )
    return round_volume(el.cable_loss_energy_kwh(current, el.phase_resistance(ohm, km), hours))


def _line_losses(r: _Reader, days: Decimal | None, system_input: Decimal) -> tuple[Decimal, str | None]:
    rate = r.fraction("line_loss_rate", upper=ONE, upper_included=False)
    cables = r.items("cables", CABLE_KEYS)
    if rate is not None and cables:
        raise TotalsError("cables", N_("give either line_loss_rate or cables, not both"))
    if rate is not None:
        return round_volume(el.line_losses_from_rate(system_input, rate)), "rate"
    if cables:
        return sum((_cable(c, r, days) for c in cables), ZERO), "cables"
    return ZERO, None


def _lamps(r: _Reader, days: Decimal | None) -> Decimal:
    need = Phrase(N_("count, watts and hours_per_day give the lamps' energy"))
    total = ZERO
    for lamp in r.items("lamps", LAMP_KEYS):
        count = lamp.required("count", lamp.count("count"), need)
        watts = lamp.required("watts", lamp.at_least_zero("watts"), need)
        hours = lamp.fraction("hours_per_day", upper=Decimal(24), upper_included=True)
        hours = lamp.required("hours_per_day", hours, need)
        days_given = r.required("days", days, Phrase(N_("the number of days is needed for the lamps' energy")))
        total += round_volume(el.lamp_energy_kwh(count=count, watts=watts, hours_per_day=hours, days=days_given))
    return total


def _public_lighting(r: _Reader, days: Decimal | None) -> tuple[Decimal, bool]:
    """Metered public lighting, or lamps × watts × hours (estimated)."""
    if r.data.get("lamps") is not None:
        if r.data.get("public_lighting") is not None:
            raise TotalsError("lamps", N_("give either public_lighting (metered kWh) or lamps, not both"))
        return _lamps(r, days), True
    return r.volume("public_lighting"), False


def _electricity_indicators(r: _Reader, b: el.ElectricityBalance) -> dict[str, Decimal | None]:
    eff = money.efficiencies(
        system_input=b.system_input,
        billed=b.billed_metered,
        billed_amount=r.at_least_zero("billed_amount"),
        collected_amount=r.at_least_zero("collected_amount"),
    )
    return {
        "billing_efficiency_pct": _pct(eff.billing_efficiency),
        "collection_efficiency_pct": _pct(eff.collection_efficiency),
        "atc_loss_pct": _pct(eff.atc_loss),
    }


def _electricity_money(r: _Reader, b: el.ElectricityBalance) -> dict[str, Decimal | None]:
    cost, tariff = r.at_least_zero("variable_cost_per_unit"), r.at_least_zero("tariff_per_unit")

    def value(kwh: Decimal, price: Decimal | None) -> Decimal | None:
        return None if price is None else round_money(money.value_at(kwh, price))

    out = {
        "unbilled_metered_value": value(b.unbilled_metered, cost),
        "public_lighting_value": value(b.public_lighting, cost),
        "technical_losses_value": value(b.technical_losses, cost),
        "unexplained_value": value(b.unexplained, tariff),
    }
    parts = list(out.values())
    out["non_revenue_value"] = None if None in parts else sum(parts, ZERO)
    return out


def electricity_from_totals(data: Mapping[str, Any]) -> dict[str, Any]:
    """The electricity balance (kWh), BE / CE / AT&C and the money value of the losses, from totals."""
    r = _Reader(_mapping(data, "", ELECTRICITY_KEYS))
    days = r.positive("days")
    system_input, billed, unbilled = r.volume("input"), r.volume("billed"), r.volume("unbilled_metered")
    lighting, lighting_estimated = _public_lighting(r, days)
    details, transformer_losses = _transformers(r, days)
    line, line_method = _line_losses(r, days, system_input)
    b = el.electricity_balance(
        system_input=system_input,
        billed_metered=billed,
        unbilled_metered=unbilled,
        public_lighting=lighting,
        transformer_losses=transformer_losses,
        transformer_losses_in_balance=r.flag("utility_meters_high_voltage", default=True),
        line_losses=line,
    )
    out: dict[str, Any] = {"utility": "electricity", "days": days}
    out.update({name: round_volume(getattr(b, name)) for name in ELECTRICITY_COMPONENTS})
    out["public_lighting_estimated"] = lighting_estimated
    out["transformer_losses_in_balance"] = b.transformer_losses_in_balance
    out["transformers"] = details
    out["line_losses_method"] = line_method
    out.update(_electricity_indicators(r, b))
    out.update(_electricity_money(r, b))
    out["warnings"] = _electricity_warnings(b)
    return out


def _electricity_warnings(b: el.ElectricityBalance) -> list[dict[str, str]]:
    if b.unexplained >= 0:
        return []
    explained = b.system_input - b.unexplained
    message = (
        f"The billed use, public lighting and losses ({explained} kWh) exceed the input ({b.system_input} kWh): "
        "check the meters and the loss estimates."
    )
    return [_warning("unexplained_negative", message)]
