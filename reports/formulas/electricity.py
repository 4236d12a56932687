"""Transformer and cable losses, and the electricity balance (loss-methods.md, section 3).

Transformer loss at load fraction x of rating: P0 + x²·Pk (P0 no-load/iron loss, constant while energised; Pk
full-load copper loss), in kW. Over H hours with only the period's energy known: P0·H + Pk·x_peak²·LLF·H, with
the loss load factor LLF = k·LF + (1 − k)·LF² (k = 0.3) and LF = average load / peak load; with hourly data,
Σ (P0 + Pk·x_h²) over the hours. The load fraction comes from energy: kWh / hours = average kW; / power factor
= kVA; / rated kVA = fraction; the peak from a given peak kW or from a load factor.

Cable (three-phase) loss: 3·I²·R, R the resistance of one phase (Ω/km × km). Line losses may instead be a
configurable rate of the input.

The balance: input = billed + unbilled metered + public lighting + transformer losses (only when the utility
meters on the high-voltage side, so the losses are inside the compound's gap) + line losses + unexplained.
Estimated losses are rounded once to 0.001 kWh; the unexplained rest is exact, so the parts sum to the input.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from reports.formulas.numbers import EXACT, RATIO, VOLUME, ZERO, exact, product, ratio, round_to

DEFAULT_LLF_K = Decimal("0.3")
NAYY_4X150_OHM_PER_KM = Decimal("0.208")
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class TransformerNameplate:
    """Rating and losses, in kVA and kW (the register keeps watts: divide by 1000)."""

    rated_kva: Decimal
    no_load_loss_kw: Decimal  # P0
    copper_loss_kw: Decimal  # Pk, at full load


@exact
def transformer_loss_kw(nameplate: TransformerNameplate, load_fraction: Decimal) -> Decimal:
    """P0 + x²·Pk at load fraction x of the rating."""
    return nameplate.no_load_loss_kw + load_fraction * load_fraction * nameplate.copper_loss_kw


@exact
def transformer_efficiency(nameplate: TransformerNameplate, load_fraction: Decimal, power_factor: Decimal) -> Decimal:
    """Output / (output + losses), output = kVA × x × pf (a fraction, not a percentage)."""
    output = nameplate.rated_kva * load_fraction * power_factor
    return ratio(output, output + transformer_loss_kw(nameplate, load_fraction))


@exact
def loss_load_factor(load_factor: Decimal, k: Decimal = DEFAULT_LLF_K) -> Decimal:
    """LLF = k·LF + (1 − k)·LF², the mean of (load/peak)² estimated from the load factor."""
    if not 0 <= load_factor <= 1 or not 0 <= k <= 1:
        raise ValueError("the load factor and k must each be between 0 and 1")
    return k * load_factor + (1 - k) * load_factor * load_factor


@dataclass(frozen=True)
class TransformerLossEnergy:
    """kWh lost over a period: the no-load (iron) part and the load (copper) part."""

    no_load_kwh: Decimal
    load_kwh: Decimal

    @property
    def total_kwh(self) -> Decimal:
        with localcontext(EXACT):
            return self.no_load_kwh + self.load_kwh


@exact
def transformer_loss_energy(
    nameplate: TransformerNameplate,
    *,
    hours: Decimal,
    peak_fraction: Decimal,
    load_factor: Decimal,
    k: Decimal = DEFAULT_LLF_K,
) -> TransformerLossEnergy:
    """P0·H + Pk·x_peak²·LLF·H: the loss load factor method, where only the period's energy is known."""
    llf = loss_load_factor(load_factor, k)
    load = product(nameplate.copper_loss_kw, peak_fraction, peak_fraction, llf, hours)
    return TransformerLossEnergy(no_load_kwh=nameplate.no_load_loss_kw * hours, load_kwh=load)


@exact
def transformer_loss_energy_hourly(
    nameplate: TransformerNameplate, load_fractions: Sequence[Decimal]
) -> TransformerLossEnergy:
    """Σ (P0 + Pk·x_h²) over hourly load fractions: interval data used directly."""
    load = sum((product(nameplate.copper_loss_kw, x, x) for x in load_fractions), ZERO)
    return TransformerLossEnergy(no_load_kwh=nameplate.no_load_loss_kw * len(load_fractions), load_kwh=load)


def load_fraction(kw: Decimal, *, power_factor: Decimal, rated_kva: Decimal) -> Decimal:
    """kW → kVA by the power factor → fraction of the rating."""
    if not 0 < power_factor <= 1 or rated_kva <= 0:
        raise ValueError("the power factor must be in (0, 1] and the rating positive")
    return ratio(kw, product(power_factor, rated_kva))


def hourly_load_fractions(
    kwh_per_hour: Sequence[Decimal], *, power_factor: Decimal, rated_kva: Decimal
) -> list[Decimal]:
    """Each hour's kWh is its average kW; as fractions of the rating."""
    return [load_fraction(kwh, power_factor=power_factor, rated_kva=rated_kva) for kwh in kwh_per_hour]


@dataclass(frozen=True)
class PeriodLoad:
    """A transformer's load over a period, found from the energy it carried."""

    average_kw: Decimal
    peak_kw: Decimal
    load_factor: Decimal  # average / peak
    average_fraction: Decimal
    peak_fraction: Decimal


def period_load(
    energy_kwh: Decimal,
    *,
    hours: Decimal,
    rated_kva: Decimal,
    power_factor: Decimal,
    peak_kw: Decimal | None = None,
    load_factor: Decimal | None = None,
) -> PeriodLoad:
    """Average load from the energy; the peak from `peak_kw` or from `load_factor` (give exactly one)."""
    if (peak_kw is None) == (load_factor is None):
        raise ValueError("give either the peak kW or the load factor, not both and not neither")
    if hours <= 0 or energy_kwh < 0:
        raise ValueError("the hours must be positive and the energy not negative")
    average = ratio(energy_kwh, hours)
    if peak_kw is not None:
        if peak_kw < average or peak_kw <= 0:
            raise ValueError(f"the peak {peak_kw} kW is below the average load {round_to(average, VOLUME)} kW")
        load_factor = ratio(average, peak_kw)
    else:
        if not 0 < load_factor <= 1:
            raise ValueError("the load factor must be above 0 and at most 1")
        peak_kw = ratio(average, load_factor)
    fraction = load_fraction(average, power_factor=power_factor, rated_kva=rated_kva)
    peak_fraction = load_fraction(peak_kw, power_factor=power_factor, rated_kva=rated_kva)
    return PeriodLoad(average, peak_kw, load_factor, fraction, peak_fraction)


def transformer_loss_from_energy(
    nameplate: TransformerNameplate,
    *,
    energy_kwh: Decimal,
    hours: Decimal,
    power_factor: Decimal,
    peak_kw: Decimal | None = None,
    load_factor: Decimal | None = None,
    k: Decimal = DEFAULT_LLF_K,
) -> tuple[PeriodLoad, TransformerLossEnergy]:
    """The load found from the period's energy, and the losses by the loss load factor method."""
    load = period_load(
        energy_kwh,
        hours=hours,
        rated_kva=nameplate.rated_kva,
        power_factor=power_factor,
        peak_kw=peak_kw,
        load_factor=load_factor,
    )
    losses = transformer_loss_energy(
        nameplate, hours=hours, peak_fraction=load.peak_fraction, load_factor=load.load_factor, k=k
    )
    return load, losses


@exact
def phase_resistance(ohm_per_km: Decimal, km: Decimal) -> Decimal:
    """Resistance of one phase conductor, Ω."""
    return ohm_per_km * km


@exact
def cable_loss_kw(current_a: Decimal, resistance_ohm: Decimal) -> Decimal:
    """3·I²·R, in kW, for a three-phase cable carrying `current_a` in each phase."""
    return 3 * current_a * current_a * resistance_ohm / 1000


@exact
def cable_loss_energy_kwh(current_a: Decimal, resistance_ohm: Decimal, hours: Decimal) -> Decimal:
    """3·I²·R·H / 1000, with I the RMS current over the hours."""
    return cable_loss_kw(current_a, resistance_ohm) * hours


def line_current_a(kw: Decimal, *, voltage_v: Decimal, power_factor: Decimal) -> Decimal:
    """Three-phase line current: I = P / (√3 · U · cos φ)."""
    return ratio(kw * 1000, product(Decimal(3).sqrt(context=RATIO), voltage_v, power_factor))


@exact
def line_losses_from_rate(input_kwh: Decimal, rate: Decimal) -> Decimal:
    """Line losses as a configured fraction of the input."""
    if not 0 <= rate < 1:
        raise ValueError("the line-loss rate must be at least 0 and below 1")
    return input_kwh * rate


@exact
def lamp_energy_kwh(*, count: int, watts: Decimal, hours_per_day: Decimal, days: Decimal) -> Decimal:
    """Public lighting without a meter: lamps × watts × hours."""
    return count * watts * hours_per_day * days / 1000


@dataclass(frozen=True)
class ElectricityBalance:
    """The period's kWh; billed + unbilled + lighting + losses in the gap + unexplained == system_input."""

    system_input: Decimal
    billed_metered: Decimal
    unbilled_metered: Decimal
    public_lighting: Decimal
    transformer_no_load_losses: Decimal
    transformer_load_losses: Decimal
    transformer_losses: Decimal
    transformer_losses_in_balance: bool  # False: the utility meters on the low-voltage side
    line_losses: Decimal
    technical_losses: Decimal  # the transformer losses in the balance, plus the line losses
    non_revenue: Decimal  # system input − billed
    unexplained: Decimal  # unmetered rooms, theft, meter error: the rest


@exact
def electricity_balance(
    *,
    system_input: Decimal,
    billed_metered: Decimal,
    unbilled_metered: Decimal = ZERO,
    public_lighting: Decimal = ZERO,
    transformer_losses: TransformerLossEnergy | None = None,
    transformer_losses_in_balance: bool = True,
    line_losses: Decimal = ZERO,
    quantum: Decimal = VOLUME,
) -> ElectricityBalance:
    """Input split into its uses and losses; estimates rounded once to `quantum`, the unexplained rest exact."""
    losses = transformer_losses or TransformerLossEnergy(ZERO, ZERO)
    no_load, load = round_to(losses.no_load_kwh, quantum), round_to(losses.load_kwh, quantum)
    line = round_to(line_losses, quantum)
    lighting = round_to(public_lighting, quantum)
    in_gap = no_load + load if transformer_losses_in_balance else ZERO
    technical = in_gap + line
    return ElectricityBalance(
        system_input=system_input,
        billed_metered=billed_metered,
        unbilled_metered=unbilled_metered,
        public_lighting=lighting,
        transformer_no_load_losses=no_load,
        transformer_load_losses=load,
        transformer_losses=no_load + load,
        transformer_losses_in_balance=transformer_losses_in_balance,
        line_losses=line,
        technical_losses=technical,
        non_revenue=system_input - billed_metered,
        unexplained=system_input - billed_metered - unbilled_metered - lighting - technical,
    )
