"""Tables of the volume balance: the utility's bills, night-flow tests, and each compound's balance settings.

Quantities are exact integers in thousandths of a unit (`*_milli`, m³ or kWh after any multiplier), money in
integer fen. Rates and fractions are `Numeric` read into `Decimal`; on SQLite a NUMERIC column is stored as a
REAL, so no SQL arithmetic is ever done on them — they are read and used in Python.
"""

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import (
    SCOPED_MAPPER,
    at_field,
    compound_field,
    created_at_field,
    same_compound_fk,
    scoped,
    scoped_id_field,
)


def _ref(*, nullable: bool = False, index: bool = True) -> object:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=nullable, index=index))


def _fraction(default: str, *, digits: int = 8, places: int = 6) -> object:
    return Field(default=Decimal(default), sa_column=sa.Column(sa.Numeric(digits, places), nullable=False))


class UnbilledPurpose(StrEnum):
    own_use = "own_use"  # the centre's own use (the boiler house): authorised, metered, never billed
    public_lighting = "public_lighting"  # a meter that measures public lighting (electricity)


class UnbilledAccount(SQLModel, table=True):
    """An account whose metered use is authorised but not billed: IWA's "unbilled metered" consumption.

    Until bills exist this is how the balance tells the centre's own use from billed use; a billing meter
    with no account at all also counts as unbilled metered.
    """

    __tablename__ = "unbilled_account"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "account_id"),
        same_compound_fk("account_id", "account"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    account_id: int = _ref(index=False)
    purpose: UnbilledPurpose = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))


class BalanceSettings(SQLModel, table=True):
    """One compound's figures for the balance; the defaults hold until someone changes them."""

    __tablename__ = "balance_settings"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    # Water apparent losses. Customer meter under-registration u of the metered authorised volume.
    meter_error_fraction: Decimal = _fraction("0.02")
    meter_error_basis: str = Field(default="true", sa_column=sa.Column(sa.String(16), nullable=False))
    # Systematic data-handling error, a fraction of the billed metered volume (AWWA's default 0.25%).
    data_handling_fraction: Decimal = _fraction("0.0025")
    # Unauthorised use, a fraction of the system input (AWWA's default 0.25%).
    unauthorised_fraction: Decimal = _fraction("0.0025")
    # How far off a bill on an estimated reading may be: a fraction of the use resting on estimates.
    estimated_read_error_fraction: Decimal = _fraction("0.10")
    # The utility's quantity against the compound's own reading of the same meter.
    utility_tolerance_fraction: Decimal = _fraction("0.02")
    # Electricity: line losses as a rate of the input, unless loss cables are registered.
    line_loss_rate: Decimal = _fraction("0.02")
    power_factor: Decimal = _fraction("0.90", digits=4, places=3)
    load_factor: Decimal = _fraction("0.50", digits=4, places=3)
    loss_load_k: Decimal = _fraction("0.30", digits=4, places=3)
    # Water network figures for the UARL (None: not given; connections None: the water billing meters).
    mains_km: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(10, 3)))
    connections: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    service_km: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(10, 3)))
    pressure_m: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(8, 2)))
    supply_hours_per_day: Decimal = _fraction("24", digits=4, places=2)
    # Night-flow tests: the quiet window, legitimate night use, the night-day factor.
    night_start: time = Field(default=time(2, 0), sa_column=sa.Column(sa.Time, nullable=False))
    night_end: time = Field(default=time(4, 0), sa_column=sa.Column(sa.Time, nullable=False))
    night_people: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    night_active_fraction: Decimal = _fraction("0.06")
    litres_per_person_hour: Decimal = _fraction("10", digits=8, places=3)
    small_users: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    litres_per_small_user_hour: Decimal = _fraction("50", digits=8, places=3)
    exceptional_litres_per_hour: Decimal = _fraction("0", digits=10, places=3)
    # Used when no pressure profile is given (hours per day; the reference: not 24, often 10 to 60).
    night_day_hours: Decimal = _fraction("20", digits=5, places=2)
    # 24 hourly pressures (m), comma-separated, and FAVAD's N1: the night-day factor from the profile.
    pressure_profile: str | None = Field(default=None, sa_column=sa.Column(sa.String(400)))
    favad_n1: Decimal = _fraction("1.1", digits=4, places=2)


class LossCable(SQLModel, table=True):
    """A cable whose loss is 3·I²·R, carrying what one meter measures (when given, instead of the line-loss rate)."""

    __tablename__ = "loss_cable"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "name"),
        same_compound_fk("meter_id", "meter"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    meter_id: int = _ref()
    ohm_per_km: Decimal = Field(sa_column=sa.Column(sa.Numeric(10, 4), nullable=False))
    km: Decimal = Field(sa_column=sa.Column(sa.Numeric(10, 3), nullable=False))
    voltage_v: Decimal = Field(default=Decimal(400), sa_column=sa.Column(sa.Numeric(8, 1), nullable=False))


class UtilityBill(SQLModel, table=True):
    """What the utility charged on one of its meters for one billing period, as printed."""

    __tablename__ = "utility_bill"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "meter_id", "period_start_date"),
        same_compound_fk("meter_id", "meter"),
        sa.CheckConstraint("period_end_date >= period_start_date", name="period_order"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    meter_id: int = _ref(index=False)
    # Both days included, as the bill prints them.
    period_start_date: date
    period_end_date: date
    quantity_milli: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    amount_fen: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    bill_number: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    issued_date: date | None = None
    note: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    created_at: datetime | None = created_at_field()


class UtilityBillLine(SQLModel, table=True):
    """One printed component of a utility bill (energy charge, water resource fee, sewage charge, VAT, ...)."""

    __tablename__ = "utility_bill_line"
    __table_args__ = scoped(same_compound_fk("bill_id", "utility_bill", ondelete="CASCADE"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    bill_id: int = _ref()
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    label: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    quantity_milli: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    unit_price: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(14, 6)))
    amount_fen: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class NightFlowTest(SQLModel, table=True):
    """Readings of a master or zone meter taken in the quiet hours of one night, to see the leakage."""

    __tablename__ = "night_flow_test"
    __table_args__ = scoped(same_compound_fk("meter_id", "meter"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    meter_id: int = _ref()
    # The local date of the first reading (the night's morning).
    test_date: date
    read_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    created_at: datetime | None = created_at_field()


class NightFlowReading(SQLModel, table=True):
    """One register value of a night-flow test: kept apart from the meter's round readings."""

    __tablename__ = "night_flow_reading"
    __table_args__ = scoped(same_compound_fk("test_id", "night_flow_test", ondelete="CASCADE"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    test_id: int = _ref()
    read_at: datetime = at_field()
    # The dials as read, in thousandths (the multiplier is applied when the flow is worked out).
    value_milli: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
