"""Meter-tree tables: meters, transformers, unmetered uses, seals and readings.

Quantities are exact integers: a dial value is stored in thousandths (value_milli), and a
consumption in thousandths of a unit after the multiplier (consumption_milli).
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


class Utility(StrEnum):
    water = "water"
    electricity = "electricity"


class MeterRole(StrEnum):
    utility = "utility"  # the utility company bills the compound on it
    check = "check"  # a zone or building sub-total
    billing = "billing"  # an account's own meter


class MeterStatus(StrEnum):
    active = "active"
    removed = "removed"


class ReadingSource(StrEnum):
    manual = "manual"
    import_ = "import"
    estimated = "estimated"


class ReadingKind(StrEnum):
    regular = "regular"
    initial = "initial"  # the first reading of a newly installed meter
    final = "final"  # the last reading of a meter taken out


class UnmeteredCategory(StrEnum):
    landscaping = "landscaping"
    public_toilet = "public_toilet"
    courtyard_lamps = "courtyard_lamps"
    street_lights = "street_lights"
    office_use = "office_use"
    other = "other"


class EstimateRule(StrEnum):
    fixed = "fixed"  # a fixed quantity per month
    lamps = "lamps"  # lamps × watts × hours a day × days
    area = "area"  # area × litres per m² per day × days


def _fk_id(*, nullable: bool = True, index: bool = True) -> object:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=nullable, index=index))


class Transformer(SQLModel, table=True):
    """A distribution transformer, with the nameplate figures its losses are estimated from."""

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "name"),
        # Meters point at transformers and transformers at meters: create this one after both tables.
        sa.ForeignKeyConstraint(["compound_id", "parent_meter_id"], ["meter.compound_id", "meter.id"], use_alter=True),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    rated_kva: Decimal = Field(sa_column=sa.Column(sa.Numeric(10, 2), nullable=False))
    no_load_loss_w: Decimal = Field(sa_column=sa.Column(sa.Numeric(10, 2), nullable=False))
    copper_loss_w: Decimal = Field(sa_column=sa.Column(sa.Numeric(10, 2), nullable=False))
    # The utility meter that feeds it (its high-voltage side).
    parent_meter_id: int | None = _fk_id()


class Meter(SQLModel, table=True):
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "serial"),
        same_compound_fk("account_id", "account"),
        same_compound_fk("parent_id", "meter"),
        same_compound_fk("transformer_id", "transformer"),
        same_compound_fk("building_id", "building"),
        same_compound_fk("zone_id", "zone"),
        same_compound_fk("replaces_id", "meter"),
        sa.CheckConstraint("multiplier >= 1", name="multiplier_positive"),
        sa.CheckConstraint("dials BETWEEN 1 AND 12", name="dials_range"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    utility: Utility = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    serial: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    location: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    role: MeterRole = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    account_id: int | None = _fk_id()
    # Its place in the tree: under another meter, or on a transformer's low-voltage side.
    parent_id: int | None = _fk_id()
    transformer_id: int | None = _fk_id()
    building_id: int | None = _fk_id()
    zone_id: int | None = _fk_id()
    # Current-transformer ratio: 40 for a 200/5 CT. Consumption = dial difference × multiplier.
    multiplier: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    # Integer digits on the register: the reading rolls over at 10**dials.
    dials: int = Field(default=6, sa_column=sa.Column(sa.Integer, nullable=False))
    walk_order: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    installed_date: date | None = None
    removed_date: date | None = None
    status: MeterStatus = Field(default=MeterStatus.active, sa_column=sa.Column(sa.String(16), nullable=False))
    # The meter this one replaced: consumption is continuous along the chain.
    replaces_id: int | None = _fk_id()
    # Utility meters only: metered on the high-voltage side, so transformer losses fall inside the gap.
    hv_side: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))


class UnmeteredUse(SQLModel, table=True):
    """Use nobody meters (lawns, toilets, lamps): a tree node with an estimation rule, always an estimate."""

    __tablename__ = "unmetered_use"

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "name"),
        same_compound_fk("parent_meter_id", "meter"),
        same_compound_fk("zone_id", "zone"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    utility: Utility = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    category: UnmeteredCategory = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    parent_meter_id: int | None = _fk_id()
    zone_id: int | None = _fk_id()
    rule: EstimateRule = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    fixed_per_month: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(14, 3)))
    lamp_count: int | None = None
    lamp_watts: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(10, 2)))
    hours_per_day: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(5, 2)))
    area_m2: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(12, 2)))
    litres_per_m2_day: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(8, 3)))
    active_from_date: date | None = None
    active_to_date: date | None = None


class Seal(SQLModel, table=True):
    __table_args__ = scoped(same_compound_fk("meter_id", "meter"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    meter_id: int = _fk_id(nullable=False)
    number: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    sealed_date: date
    sealed_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    broken_date: date | None = None
    broken_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    broken_note: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))


class Reading(SQLModel, table=True):
    __table_args__ = scoped(
        same_compound_fk("meter_id", "meter"),
        same_compound_fk("superseded_by_id", "reading"),
        same_compound_fk("corrects_id", "reading"),
        sa.Index("ix_reading_meter_read_at", "meter_id", "read_at"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    meter_id: int = _fk_id(nullable=False, index=False)
    read_at: datetime = at_field()
    value_milli: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    # Use since the previous counted reading of this meter, × multiplier; None on a meter's first reading.
    consumption_milli: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    # Seconds since that previous reading: average daily use = Σ consumption / Σ period, in plain SQL.
    period_seconds: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    rollover: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    source: ReadingSource = Field(default=ReadingSource.manual, sa_column=sa.Column(sa.String(16), nullable=False))
    kind: ReadingKind = Field(default=ReadingKind.regular, sa_column=sa.Column(sa.String(16), nullable=False))
    read_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    # Warnings the reader confirmed when saving it (e.g. "spike"), comma-separated codes.
    confirmed: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    # An estimated reading is superseded by the real reading that came after it, and a wrong reading by its
    # correction; either then counts for nothing but stays, so history is never rewritten.
    # Neither is looked up by, and readings are never deleted: no index to keep up on every insert.
    superseded_by_id: int | None = _fk_id(index=False)
    # The wrong reading this one corrects.
    corrects_id: int | None = _fk_id(index=False)
    created_at: datetime | None = created_at_field()


# Register rules the database holds on both engines (expression indexes; each keeps compound_id, Citus' rule).
# Serials are one whatever their case: W-1-1-101 and w-1-1-101 are the same meter.
sa.Index(
    "uq_meter_compound_id_serial_lower",
    Meter.__table__.c.compound_id,
    sa.func.lower(Meter.__table__.c.serial),
    unique=True,
)
# A seal number is intact on one meter at a time; a broken seal's number may come back on another.
_intact = Seal.__table__.c.broken_date.is_(None)
sa.Index(
    "uq_seal_compound_id_number_intact",
    Seal.__table__.c.compound_id,
    sa.func.lower(Seal.__table__.c.number),
    unique=True,
    sqlite_where=_intact,
    postgresql_where=_intact,
)
