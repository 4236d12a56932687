"""Billing tables: customer classes, tariffs (effective-dated versions and their components), billing periods,
bills with their lines, exceptions of a draft run, and adjustments (credit and debit notes).

Quantities are Numeric(14, 3) (m³ or kWh after the multiplier), money Numeric(14, 2) in yuan, prices
Numeric(12, 4) yuan per unit. The bill run computes in integer thousandths and fen inside SQL and writes the
Numeric columns from them, so nothing rests on a float on either database (SQLite keeps NUMERIC as REAL: read
those columns into Decimal, never add them up in SQLite's SQL).
"""

from datetime import date, datetime
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

QUANTITY = sa.Numeric(14, 3)
MONEY = sa.Numeric(14, 2)
PRICE = sa.Numeric(12, 4)


def _ref(*, nullable: bool = False, index: bool = True) -> object:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=nullable, index=index))


def _str(size: int, *, nullable: bool = False, default: str | None = None) -> object:
    return Field(default=default, sa_column=sa.Column(sa.String(size), nullable=nullable))


class BlockBasis(StrEnum):
    month = "month"  # thresholds count the period's own use
    tariff_year = "tariff_year"  # thresholds count the use since the tariff year's start


class PeriodStatus(StrEnum):
    open = "open"
    closed = "closed"


class BillStatus(StrEnum):
    draft = "draft"
    issued = "issued"


class LineKind(StrEnum):
    usage = "usage"  # the meter's readings and quantity (no money: the blocks below price it)
    block = "block"  # one component's quantity inside one block × its price
    fixed = "fixed"  # a fixed monthly charge (meter rent)
    minimum = "minimum"  # the shortfall below the tariff's minimum monthly quantity
    share = "share"  # the account's share of a zone's or building's common use (公摊)
    correction = "correction"  # an estimate billed earlier, corrected by the real reading that superseded it


class CommonSharePolicy(StrEnum):
    none = "none"
    consumption = "consumption"
    area = "area"  # by floor area (not kept in the register yet: falls back to equal)
    equal = "equal"


class CustomerClass(SQLModel, table=True):
    """A class of customer a tariff is for (household, office, ...): data of the compound, not code."""

    __tablename__ = "customer_class"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "code"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    code: str = _str(32)
    name: str = _str(100)


class BillingSettings(SQLModel, table=True):
    """A compound's billing choices: who the finance bureau is as a payer, the cut-off, the common-area policy."""

    __tablename__ = "billing_settings"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id"),
        same_compound_fk("finance_bureau_account_id", "account"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    # The payer account (AccountKind.payer) that bills of offices paid by the finance bureau go to.
    finance_bureau_account_id: int | None = _ref(nullable=True, index=False)
    # Day of the month whose end is the cut-off of readings; None: the last day of the month.
    cutoff_day: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    common_share_policy: CommonSharePolicy = Field(
        default=CommonSharePolicy.none, sa_column=sa.Column(sa.String(16), nullable=False)
    )
    # Days after issue a bill is due.
    due_days: int = Field(default=30, sa_column=sa.Column(sa.Integer, nullable=False))


class BillingAccount(SQLModel, table=True):
    """An account's billing facts: its customer class, and whether its use is the leading bodies' official use."""

    __tablename__ = "billing_account"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "account_id"),
        same_compound_fk("account_id", "account"),
        same_compound_fk("class_id", "customer_class"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    account_id: int = _ref(index=False)
    class_id: int = _ref()
    # The four leading bodies' offices, the auditorium and meeting rooms (see billing/setup.py for the default).
    official_use: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    # Not billed at all: the logistics centre's own use (its boiler and pump house).
    exempt: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))


class HouseholdSize(SQLModel, table=True):
    """Persons in a household from a date on (until the next row): household-size rules of tiered tariffs."""

    __tablename__ = "household_size"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "account_id", "from_date"),
        same_compound_fk("account_id", "account"),
        sa.CheckConstraint("persons >= 1", name="persons_positive"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    account_id: int = _ref(index=False)
    persons: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    from_date: date


class Tariff(SQLModel, table=True):
    """One version of a tariff: a compound's price for one utility and class, from valid_from until the next."""

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "utility", "class_id", "valid_from"),
        same_compound_fk("class_id", "customer_class"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    utility: str = _str(16)
    class_id: int = _ref()
    valid_from: date
    name: str = _str(200)
    block_basis: BlockBasis = Field(default=BlockBasis.month, sa_column=sa.Column(sa.String(16), nullable=False))
    # The tariff year starts on this month and day (1 January unless the notice says otherwise).
    year_start_month: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    year_start_day: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    # Bill at least this much per month (the shortfall is priced at the first block).
    minimum_quantity: Decimal | None = Field(default=None, sa_column=sa.Column(QUANTITY))
    # Household-size rule: every threshold grows by threshold_step_per_person for each person above base_persons.
    base_persons: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    threshold_step_per_person: Decimal | None = Field(default=None, sa_column=sa.Column(QUANTITY))
    source: str = _str(500, default="")
    created_at: datetime | None = created_at_field()


class TariffComponent(SQLModel, table=True):
    """A priced part of a tariff (水费, 水资源费, 污水处理费): its own bill lines, priced in blocks."""

    __tablename__ = "tariff_component"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "tariff_id", "code"),
        same_compound_fk("tariff_id", "tariff", ondelete="CASCADE"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    tariff_id: int = _ref()
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    code: str = _str(32)
    name: str = _str(100)


class TariffBlock(SQLModel, table=True):
    """One block (阶梯) of a component: the price per unit above the previous block's threshold up to up_to."""

    __tablename__ = "tariff_block"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "component_id", "number"),
        same_compound_fk("component_id", "tariff_component", ondelete="CASCADE"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    component_id: int = _ref()
    number: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))  # 1, 2, 3 ...
    # Threshold per basis (month or tariff year), before any household-size addition; None: no ceiling.
    up_to: Decimal | None = Field(default=None, sa_column=sa.Column(QUANTITY))
    price: Decimal = Field(sa_column=sa.Column(PRICE, nullable=False))


class TariffCharge(SQLModel, table=True):
    """A fixed monthly charge of a tariff (meter rent), scaled by days on a short or long period."""

    __tablename__ = "tariff_charge"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "tariff_id", "code"),
        same_compound_fk("tariff_id", "tariff", ondelete="CASCADE"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    tariff_id: int = _ref()
    code: str = _str(32)
    name: str = _str(100)
    amount: Decimal = Field(sa_column=sa.Column(MONEY, nullable=False))


class BillingPeriod(SQLModel, table=True):
    __tablename__ = "billing_period"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "month"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    month: date  # the first day of the month
    status: PeriodStatus = Field(default=PeriodStatus.open, sa_column=sa.Column(sa.String(16), nullable=False))
    # Readings up to the end of this day of the month count; None: the last day of the month.
    cutoff_day: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    # When the draft last ran and the bills were issued.
    run_at: datetime | None = at_field(nullable=True)
    issued_at: datetime | None = at_field(nullable=True)
    closed_at: datetime | None = at_field(nullable=True)
    created_at: datetime | None = created_at_field()


class Bill(SQLModel, table=True):
    """One account's bill for one utility and period. The unique key is "never billed twice"."""

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "period_id", "account_id", "utility"),
        same_compound_fk("period_id", "billing_period"),
        same_compound_fk("account_id", "account"),
        same_compound_fk("payer_id", "account"),
        same_compound_fk("class_id", "customer_class"),
        sa.Index("ix_bill_compound_id_payer_id", "compound_id", "payer_id"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    period_id: int = _ref(index=False)
    account_id: int = _ref()  # the consumer
    payer_id: int = _ref(index=False)  # who pays: the account itself, or the finance bureau's payer account
    utility: str = _str(16)
    status: BillStatus = Field(default=BillStatus.draft, sa_column=sa.Column(sa.String(16), nullable=False))
    class_id: int | None = _ref(nullable=True, index=False)
    quantity: Decimal = Field(default=Decimal(0), sa_column=sa.Column(QUANTITY, nullable=False))
    amount: Decimal = Field(default=Decimal(0), sa_column=sa.Column(MONEY, nullable=False))
    official_use: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    # The days the bill covers (from the last billed reading to the reading at the cut-off).
    from_at: datetime | None = at_field(nullable=True)
    to_at: datetime | None = at_field(nullable=True)
    issued_at: datetime | None = at_field(nullable=True)
    due_on: date | None = None
    created_at: datetime | None = created_at_field()


class BillLine(SQLModel, table=True):
    __tablename__ = "bill_line"
    __table_args__ = scoped(
        same_compound_fk("bill_id", "bill"),
        same_compound_fk("meter_id", "meter"),
        same_compound_fk("tariff_id", "tariff"),
        same_compound_fk("previous_reading_id", "reading"),
        same_compound_fk("current_reading_id", "reading"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    bill_id: int = _ref()
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    kind: LineKind = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    component: str | None = _str(32, nullable=True)  # the component's or charge's code
    label: str = _str(200, default="")  # its name as the tariff prints it, or what the line says
    block: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    meter_id: int | None = _ref(nullable=True, index=False)
    previous_reading_id: int | None = _ref(nullable=True, index=False)
    current_reading_id: int | None = _ref(nullable=True, index=False)
    previous_value: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(18, 3)))
    current_value: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(18, 3)))
    previous_estimated: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    current_estimated: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    multiplier: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    quantity: Decimal | None = Field(default=None, sa_column=sa.Column(QUANTITY))
    price: Decimal | None = Field(default=None, sa_column=sa.Column(PRICE))
    amount: Decimal = Field(default=Decimal(0), sa_column=sa.Column(MONEY, nullable=False))
    tariff_id: int | None = _ref(nullable=True, index=False)
    # Days of the period this line's tariff version covers (a price change inside the period splits it).
    days: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))


class BillException(SQLModel, table=True):
    """Something a clerk should look at before issuing a draft: remade on every run of the draft."""

    __tablename__ = "bill_exception"
    __table_args__ = scoped(
        same_compound_fk("period_id", "billing_period"),
        same_compound_fk("account_id", "account"),
        same_compound_fk("meter_id", "meter"),
        sa.Index("ix_bill_exception_period", "compound_id", "period_id"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    period_id: int = _ref(index=False)
    account_id: int | None = _ref(nullable=True, index=False)
    meter_id: int | None = _ref(nullable=True, index=False)
    utility: str | None = _str(16, nullable=True)
    # no_reading, estimated, spike, replaced, moved, household_size, tariff_change, no_tariff
    code: str = _str(32)
    detail: str = _str(500, default="")


class BillAdjustment(SQLModel, table=True):
    """A credit (−) or debit (+) note in an open period, correcting an issued bill that itself never changes."""

    __tablename__ = "bill_adjustment"
    __table_args__ = scoped(
        same_compound_fk("bill_id", "bill"),
        same_compound_fk("payer_id", "account"),
        same_compound_fk("period_id", "billing_period"),
        sa.Index("ix_bill_adjustment_compound_id_payer_id", "compound_id", "payer_id"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    bill_id: int = _ref()
    payer_id: int = _ref(index=False)
    period_id: int = _ref(index=False)
    amount: Decimal = Field(sa_column=sa.Column(MONEY, nullable=False))
    reason: str = _str(500)
    created_at: datetime | None = created_at_field()
    created_by: str = _str(100, default="")
