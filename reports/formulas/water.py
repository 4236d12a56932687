"""The IWA / AWWA M36 water balance and its indicators (loss-methods.md, section 1).

Authorised consumption = billed metered + billed unmetered + unbilled metered + unbilled unmetered;
water losses = SIV − authorised; apparent losses = unauthorised + customer meter under-registration +
data-handling errors + estimated-read error; real losses (CARL) = water losses − apparent losses;
NRW = SIV − billed authorised = unbilled authorised + water losses.

Customer meter under-registration applies to V, the **metered authorised volume** (billed metered + unbilled
metered): every volume a customer meter registered. Two conventions exist (`MeterErrorBasis`): "registered",
u a fraction of the registered volume, error = V×u (older tools); "true", u a fraction of the true volume,
error = V/(1−u) − V (the later standard, AWWA M36 4th ed. and the AWWA Free Water Audit Software 5; the
default). It is the one quotient in the balance, rounded once to 0.001 m³; every other figure is an exact sum,
so the components add up exactly to the system input.

Money (IWA / AWWA convention): real losses at the variable production or purchase cost per unit (the water was
bought and lost), apparent losses at the customer tariff (the water was used but not billed), unbilled
authorised consumption at the variable cost.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from reports.formulas.numbers import HUNDRED, INDEX, RATIO, VOLUME, ZERO, Reason, exact, ratio, round_to

ILI_MIN_CONNECTIONS = 3000
ILI_MIN_CONNECTIONS_PER_KM = 20
HOURS_PER_DAY = Decimal(24)


class MeterErrorBasis(StrEnum):
    REGISTERED = "registered"  # error = V × u
    TRUE = "true"  # error = V / (1 − u) − V


@exact
def customer_meter_error(
    metered_volume: Decimal, fraction: Decimal, basis: MeterErrorBasis, *, quantum: Decimal = VOLUME
) -> Decimal:
    """Volume the customer meters failed to register, for under-registration `fraction` (0 ≤ u < 1)."""
    if not ZERO <= fraction < 1:
        raise ValueError(f"the under-registration fraction must be at least 0 and below 1, not {fraction}")
    if basis is MeterErrorBasis.REGISTERED:
        return round_to(metered_volume * fraction, quantum)
    # V/(1−u) − V = V·u/(1−u): one division, so one rounding.
    return round_to(ratio(metered_volume * fraction, 1 - fraction), quantum)


@dataclass(frozen=True)
class WaterInputs:
    """The totals of one period (m³). Everything but the system input defaults to 0."""

    system_input: Decimal
    billed_metered: Decimal = ZERO
    billed_unmetered: Decimal = ZERO
    unbilled_metered: Decimal = ZERO
    unbilled_unmetered: Decimal = ZERO
    unauthorised: Decimal = ZERO
    customer_meter_error_fraction: Decimal = ZERO
    meter_error_basis: MeterErrorBasis = MeterErrorBasis.TRUE
    data_handling_errors: Decimal = ZERO
    estimated_read_error: Decimal = ZERO


@dataclass(frozen=True)
class WaterBalance:
    """Every component of the IWA table (m³). authorised + apparent_losses + real_losses == system_input."""

    system_input: Decimal
    billed_metered: Decimal
    billed_unmetered: Decimal
    unbilled_metered: Decimal
    unbilled_unmetered: Decimal
    billed_authorised: Decimal
    unbilled_authorised: Decimal
    authorised: Decimal
    water_losses: Decimal
    metered_authorised: Decimal  # V, the volume the meter-error fraction applies to
    meter_error_basis: MeterErrorBasis
    unauthorised: Decimal
    customer_meter_error: Decimal
    data_handling_errors: Decimal
    estimated_read_error: Decimal
    apparent_losses: Decimal
    real_losses: Decimal
    non_revenue: Decimal


@exact
def water_balance(inputs: WaterInputs, *, quantum: Decimal = VOLUME) -> WaterBalance:
    """The IWA balance of one period; real losses are the remainder, so they may be negative on bad data."""
    i = inputs
    billed = i.billed_metered + i.billed_unmetered
    unbilled = i.unbilled_metered + i.unbilled_unmetered
    authorised = billed + unbilled
    metered = i.billed_metered + i.unbilled_metered
    meter_error = customer_meter_error(metered, i.customer_meter_error_fraction, i.meter_error_basis, quantum=quantum)
    apparent = i.unauthorised + meter_error + i.data_handling_errors + i.estimated_read_error
    water_losses = i.system_input - authorised
    return WaterBalance(
        system_input=i.system_input,
        billed_metered=i.billed_metered,
        billed_unmetered=i.billed_unmetered,
        unbilled_metered=i.unbilled_metered,
        unbilled_unmetered=i.unbilled_unmetered,
        billed_authorised=billed,
        unbilled_authorised=unbilled,
        authorised=authorised,
        water_losses=water_losses,
        metered_authorised=metered,
        meter_error_basis=i.meter_error_basis,
        unauthorised=i.unauthorised,
        customer_meter_error=meter_error,
        data_handling_errors=i.data_handling_errors,
        estimated_read_error=i.estimated_read_error,
        apparent_losses=apparent,
        real_losses=water_losses - apparent,
        non_revenue=i.system_input - billed,
    )


def nrw_pct(balance: WaterBalance) -> Decimal | None:
    """Non-revenue water as % of system input; None when there was no input."""
    if balance.system_input == 0:
        return None
    return ratio(balance.non_revenue * HUNDRED, balance.system_input)


def apparent_pct_of_authorised(balance: WaterBalance) -> Decimal | None:
    """Apparent losses as % of authorised consumption; None when nothing was authorised."""
    if balance.authorised == 0:
        return None
    return ratio(balance.apparent_losses * HUNDRED, balance.authorised)


@exact
def real_losses_per_connection_day_l(
    real_losses: Decimal, *, connections: int, days: Decimal, supply_hours_per_day: Decimal = HOURS_PER_DAY
) -> Decimal:
    """CARL / Nc × 1000 / days × 24 / T: litres per connection per day when the system is pressurised."""
    if connections <= 0 or days <= 0 or not 0 < supply_hours_per_day <= HOURS_PER_DAY:
        raise ValueError("connections, days and supply hours per day (at most 24) must be positive")
    return ratio(real_losses * 1000 * HOURS_PER_DAY, connections * days * supply_hours_per_day)


@dataclass(frozen=True)
class UarlCoefficients:
    """UARL allowances per unit of pressure: per km of mains, per connection, per km of private pipe, per day."""

    mains: Decimal
    connection: Decimal
    private_pipe: Decimal


# Litres/day per metre of pressure (IWA); gallons/day per psi, per mile (Water Loss Control, Table 7.2).
METRIC = UarlCoefficients(mains=Decimal(18), connection=Decimal("0.8"), private_pipe=Decimal(25))
US_CUSTOMARY = UarlCoefficients(mains=Decimal("5.4"), connection=Decimal("0.15"), private_pipe=Decimal("7.5"))


@exact
def uarl(
    *,
    mains_km: Decimal,
    connections: int,
    private_pipe_km: Decimal,
    pressure: Decimal,
    coefficients: UarlCoefficients = METRIC,
) -> Decimal:
    """Unavoidable annual real losses per day, (18·Lm + 0.8·Nc + 25·Lp)·P litres/day for a system pressurised 24 h.

    Lp is the total length of private pipe from the property boundary to the meters; with `US_CUSTOMARY` the
    lengths are miles, the pressure psi and the result gallons/day.
    """
    c = coefficients
    return (c.mains * mains_km + c.connection * connections + c.private_pipe * private_pipe_km) * pressure


@dataclass(frozen=True)
class SystemData:
    """The network figures the ILI needs; None means "not given"."""

    mains_km: Decimal | None = None
    connections: int | None = None
    service_km: Decimal | None = None  # private pipe, property boundary to meter, total
    pressure_m: Decimal | None = None
    supply_hours_per_day: Decimal = HOURS_PER_DAY


@dataclass(frozen=True)
class Ili:
    """The ILI where it is valid, else the reason it is not shown; the UARL whenever it can be computed."""

    value: Decimal | None
    uarl: Decimal | None  # litres/day
    not_valid_because: Reason | None


def _not_given(key: str) -> Reason:
    return Reason("not_given", f"ILI is not shown: {key} is not given.")


def _too_small(system: SystemData) -> Reason | None:
    """The reference's validity limits, checked first: a compound fails them whatever else is missing."""
    nc, km = system.connections, system.mains_km
    if nc is None:
        return _not_given("connections")
    if nc < ILI_MIN_CONNECTIONS:
        return Reason(
            "too_few_connections",
            f"ILI is not shown: connections is {nc:,}, below the {ILI_MIN_CONNECTIONS:,} from which the ILI is valid.",
        )
    if km is None or km == 0:
        return _not_given("mains_km")
    density = ratio(Decimal(nc), km)
    if density < ILI_MIN_CONNECTIONS_PER_KM:
        # Cut, not rounded: 19.9999 per km must not read "20.00 … below the 20 per km".
        shown = density.quantize(INDEX, rounding=ROUND_DOWN, context=RATIO)
        return Reason(
            "too_few_connections_per_km",
            f"ILI is not shown: {nc:,} connections on {km} km of mains (mains_km) is {shown} "
            f"connections per km, below the {ILI_MIN_CONNECTIONS_PER_KM} per km from which the ILI is valid.",
        )
    return None


def _system_uarl(system: SystemData) -> Decimal | None:
    if None in (system.mains_km, system.connections, system.service_km, system.pressure_m):
        return None
    return uarl(
        mains_km=system.mains_km,
        connections=system.connections,
        private_pipe_km=system.service_km,
        pressure=system.pressure_m,
    )


def _why_not(
    real_losses: Decimal, days: Decimal | None, system: SystemData, value_uarl: Decimal | None
) -> Reason | None:
    reason = _too_small(system)
    if reason is not None:
        return reason
    for key, value in (("service_km", system.service_km), ("pressure_m", system.pressure_m), ("days", days)):
        if value is None:
            return _not_given(key)
    if real_losses < 0:
        return Reason(
            "real_losses_negative",
            "ILI is not shown: real_losses is negative (the apparent losses exceed the water losses).",
        )
    if value_uarl == 0:
        return Reason("uarl_zero", "ILI is not shown: pressure_m is 0, so the UARL is 0.")
    return None


@exact
def infrastructure_leakage_index(real_losses: Decimal, *, days: Decimal | None, system: SystemData) -> Ili:
    """ILI = CARL / UARL, both per day when pressurised; shown only from 3,000 connections and 20 per km of mains.

    CARL per pressurised day = real losses × 1000 / days × 24 / T (litres), as in the per-connection indicator;
    this is the IWA's pro-rating of the UARL by T/24 for intermittent supply.
    """
    if days is not None and days <= 0:
        raise ValueError("the number of days must be positive")
    value_uarl = _system_uarl(system)
    reason = _why_not(real_losses, days, system, value_uarl)
    if reason is not None:
        return Ili(value=None, uarl=value_uarl, not_valid_because=reason)
    carl_litres_per_day = real_losses * 1000 * HOURS_PER_DAY
    value = ratio(carl_litres_per_day, days * system.supply_hours_per_day * value_uarl)
    return Ili(value=value, uarl=value_uarl, not_valid_because=None)


@dataclass(frozen=True)
class WaterLossValues:
    """Money (yuan, exact: round at the end); None where the unit cost was not given."""

    real_losses: Decimal | None  # at the variable production/purchase cost
    apparent_losses: Decimal | None  # at the customer tariff
    unbilled_authorised: Decimal | None  # at the variable cost
    non_revenue: Decimal | None  # the three together, when both costs are given


@exact
def value_of_water_losses(
    balance: WaterBalance, *, variable_cost_per_unit: Decimal | None, tariff_per_unit: Decimal | None
) -> WaterLossValues:
    """The IWA valuation: real losses and unbilled use at the variable cost, apparent losses at the tariff."""
    cost, tariff = variable_cost_per_unit, tariff_per_unit
    real = None if cost is None else balance.real_losses * cost
    unbilled = None if cost is None else balance.unbilled_authorised * cost
    apparent = None if tariff is None else balance.apparent_losses * tariff
    total = None if real is None or apparent is None else real + unbilled + apparent
    return WaterLossValues(real_losses=real, apparent_losses=apparent, unbilled_authorised=unbilled, non_revenue=total)
