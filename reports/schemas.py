"""API input and output of reports: the utility's bills, night-flow tests, balance settings.

Quantities are decimals with at most three places (m³, kWh); money in yuan with at most two (stored as fen).
"""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, WithJsonSchema, field_validator

from compound.kit.i18n import gettext as _
from compound.kit.params import PlausibleDate, RowId, in_years
from compound.register.schemas import Input, Output

Quantity = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]
Yuan = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Price = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=6)]
Fraction = Annotated[Decimal, Field(ge=0, lt=1, max_digits=8, decimal_places=6)]
Share = Annotated[Decimal, Field(gt=0, le=1, max_digits=4, decimal_places=3)]
Label = Annotated[str, Field(min_length=1, max_length=100)]
Note = Annotated[str, Field(max_length=500)]
Person = Annotated[str, Field(max_length=100)]
ReadingValue = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]


def _clock_time(value: object) -> time:
    """ "02:00" (or a time) → 02:00, minutes only: a night window is read off a watch."""
    if isinstance(value, time):
        parsed = value
    elif isinstance(value, str) and len(value.strip()) in (4, 5) and ":" in value:
        try:
            parsed = time.fromisoformat(value.strip().zfill(5))
        except ValueError:
            raise ValueError(_("“%(text)s” is not a time (HH:MM).", text=value)) from None
    else:
        raise ValueError(_("“%(text)s” is not a time (HH:MM).", text=str(value)))
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


Clock = Annotated[
    time, BeforeValidator(_clock_time), WithJsonSchema({"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$"})
]


# The utility's bills


class BillLineIn(Input):
    label: Label
    quantity: Quantity | None = None
    unit_price: Price | None = None
    amount: Yuan


class UtilityBillCreate(Input):
    meter_id: RowId
    period_start_date: PlausibleDate
    period_end_date: PlausibleDate
    quantity: Quantity
    amount: Yuan
    bill_number: Annotated[str, Field(max_length=64)] = ""
    issued_date: PlausibleDate | None = None
    note: Note = ""
    lines: list[BillLineIn] = Field(default_factory=list, max_length=50)


class BillLineRead(Output):
    label: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal


class UtilityBillRead(Output):
    id: int
    meter_id: int
    serial: str
    period_start_date: date
    period_end_date: date
    quantity: Decimal
    amount: Decimal
    bill_number: str
    issued_date: date | None
    note: str
    lines: list[BillLineRead]
    own_quantity: Decimal | None = Field(
        None, description="The compound's own reading of the meter over the bill's days."
    )
    difference: Decimal | None = Field(None, description="The utility's quantity minus the compound's own.")
    difference_pct: Decimal | None = None
    beyond_tolerance: bool = False


# Night-flow tests


class NightReadingIn(Input):
    read_at: AwareDatetime | datetime = Field(description="A time without offset is the compound's local time.")
    value: ReadingValue

    @field_validator("read_at")
    @classmethod
    def _years(cls, value: datetime) -> datetime:
        return in_years(value)  # type: ignore[return-value]


class NightFlowCreate(Input):
    meter_id: RowId
    readings: list[NightReadingIn] = Field(min_length=2, max_length=50)
    read_by: Person = ""
    note: Note = ""


class NightFlowRead(Output):
    id: int
    meter_id: int
    serial: str
    test_date: date
    read_by: str
    note: str
    readings: list[tuple[datetime, Decimal]]
    minimum_night_flow_m3_per_hour: Decimal | None
    legitimate_night_use_m3_per_hour: Decimal | None
    net_night_flow_m3_per_hour: Decimal | None
    night_day_factor_hours: Decimal | None
    night_day_factor_from: str | None
    daily_leakage_m3: Decimal | None
    month_real_losses_per_day_m3: Decimal | None
    problem: str | None = None


# Balance settings


class BalanceSettingsUpdate(Input):
    meter_error_fraction: Fraction | None = None
    meter_error_basis: Literal["registered", "true"] | None = None
    data_handling_fraction: Fraction | None = None
    unauthorised_fraction: Fraction | None = None
    estimated_read_error_fraction: Fraction | None = None
    utility_tolerance_fraction: Fraction | None = None
    line_loss_rate: Fraction | None = None
    power_factor: Share | None = None
    load_factor: Share | None = None
    loss_load_k: Annotated[Decimal, Field(ge=0, le=1, max_digits=4, decimal_places=3)] | None = None
    mains_km: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=3)] | None = None
    connections: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    service_km: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=3)] | None = None
    pressure_m: Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=2)] | None = None
    supply_hours_per_day: Annotated[Decimal, Field(gt=0, le=24, max_digits=4, decimal_places=2)] | None = None
    night_start: Clock | None = None
    night_end: Clock | None = None
    night_people: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    night_active_fraction: Annotated[Decimal, Field(ge=0, le=1, max_digits=8, decimal_places=6)] | None = None
    litres_per_person_hour: Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=3)] | None = None
    small_users: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    litres_per_small_user_hour: Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=3)] | None = None
    exceptional_litres_per_hour: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=3)] | None = None
    night_day_hours: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)] | None = None
    pressure_profile: Annotated[str, Field(max_length=400)] | None = None
    favad_n1: Annotated[Decimal, Field(gt=0, le=5, max_digits=4, decimal_places=2)] | None = None


class BalanceSettingsRead(Output):
    @field_validator("night_start", "night_end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return value.strftime("%H:%M") if isinstance(value, time) else value

    meter_error_fraction: Decimal
    meter_error_basis: str
    data_handling_fraction: Decimal
    unauthorised_fraction: Decimal
    estimated_read_error_fraction: Decimal
    utility_tolerance_fraction: Decimal
    line_loss_rate: Decimal
    power_factor: Decimal
    load_factor: Decimal
    loss_load_k: Decimal
    mains_km: Decimal | None
    connections: int | None
    service_km: Decimal | None
    pressure_m: Decimal | None
    supply_hours_per_day: Decimal
    night_start: str = Field(description="HH:MM, the compound's local time")
    night_end: str = Field(description="HH:MM")
    night_people: int
    night_active_fraction: Decimal
    litres_per_person_hour: Decimal
    small_users: int
    litres_per_small_user_hour: Decimal
    exceptional_litres_per_hour: Decimal
    night_day_hours: Decimal
    pressure_profile: str | None
    favad_n1: Decimal


# Loss cables (3·I²·R instead of the line-loss rate)


class LossCableCreate(Input):
    name: Label
    meter_id: RowId = Field(description="The electricity meter whose energy the cable carries.")
    ohm_per_km: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=4)]
    km: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]
    voltage_v: Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=1)] = Decimal(400)


class LossCableRead(Output):
    id: int
    name: str
    meter_id: int
    ohm_per_km: Decimal
    km: Decimal
    voltage_v: Decimal
