"""Register tables. Every row but the compound itself carries compound_id, the shard key."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import (
    REFERENCE,
    SCOPED_MAPPER,
    compound_field,
    created_at_field,
    id_field,
    placement,
    same_compound_fk,
    scoped,
    scoped_id_field,
)


class ZoneKind(StrEnum):
    office = "office"
    conference = "conference"
    living = "living"
    public = "public"


class AccountKind(StrEnum):
    office = "office"  # an office unit (a department)
    household = "household"
    payer = "payer"  # pays for others and consumes nothing: the finance bureau's earmarked funds (billing)


class Payer(StrEnum):
    self = "self"
    finance_bureau = "finance_bureau"  # the finance bureau pays on the unit's behalf (earmarked funds)


class Compound(SQLModel, table=True):
    __table_args__ = (placement(REFERENCE),)  # every compound table's foreign keys point at it
    id: int | None = id_field()
    code: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    timezone: str = Field(default="Asia/Shanghai", sa_column=sa.Column(sa.String(64), nullable=False))
    spike_factor: Decimal = Field(default=Decimal("3"), sa_column=sa.Column(sa.Numeric(6, 2), nullable=False))
    is_demo: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: datetime | None = created_at_field()


class Zone(SQLModel, table=True):
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "name"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    kind: ZoneKind = Field(sa_column=sa.Column(sa.String(16), nullable=False))


class Building(SQLModel, table=True):
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "name"), same_compound_fk("zone_id", "zone"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    zone_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))


class Account(SQLModel, table=True):
    """Who is billed: an office unit or a household."""

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "code"),
        same_compound_fk("building_id", "building"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    code: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    kind: AccountKind = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    # Office: the department's name. Household: the head of household.
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    building_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, index=True))
    flat: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    phone: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    payer: Payer = Field(default=Payer.self, sa_column=sa.Column(sa.String(16), nullable=False))
    move_in_date: date | None = None
    move_out_date: date | None = None
