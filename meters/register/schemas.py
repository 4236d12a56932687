"""API input and output of the meter register: meters, transformers, unmetered uses, seals, replacement, tree.

Rules that need the database (a parent of the same utility, no cycles, role rules, the fields an estimation
rule needs) live in meters/placement.py and meters/unmetered_uses.py, so a PATCH is checked on the meter as
it will be.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, computed_field

from compound.kit.params import PlausibleDate, RowId, in_years
from compound.register.schemas import Input, Output
from meters.models import EstimateRule, MeterRole, MeterStatus, UnmeteredCategory, Utility

Serial = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Multiplier = Annotated[int, Field(ge=1, le=1_000_000, description="Current-transformer ratio: 40 for 200/5.")]
Dials = Annotated[int, Field(ge=1, le=12, description="Integer digits on the register; rolls over at 10**dials.")]
WalkOrder = Annotated[int, Field(ge=0, le=1_000_000)]
Location = Annotated[str, Field(max_length=200)]
Person = Annotated[str, Field(max_length=100)]
Note = Annotated[str, Field(max_length=500)]
Watts = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
ReadingValue = Annotated[Decimal, Field(max_digits=18, decimal_places=3, description="The dials, as read.")]


# Meters


class MeterCreate(Input):
    utility: Utility
    serial: Serial
    role: MeterRole
    location: Location = ""
    account_id: RowId | None = Field(None, description="Billing meters only, and required for them.")
    parent_id: RowId | None = Field(None, description="The meter upstream (same utility); none for a utility meter.")
    transformer_id: RowId | None = Field(
        None, description="Electricity: the transformer whose low-voltage side feeds it (instead of a parent meter)."
    )
    building_id: RowId | None = None
    zone_id: RowId | None = Field(None, description="Defaults to the building's zone.")
    multiplier: Multiplier = 1
    dials: Dials = 6
    walk_order: WalkOrder = 0
    installed_date: PlausibleDate | None = None
    hv_side: bool = Field(False, description="Utility meters only: metered on the transformers' high-voltage side.")


class MeterUpdate(Input):
    serial: Serial | None = None
    role: MeterRole | None = None
    location: Location | None = None
    account_id: RowId | None = None
    parent_id: RowId | None = None
    transformer_id: RowId | None = None
    building_id: RowId | None = None
    zone_id: RowId | None = None
    multiplier: Multiplier | None = None
    dials: Dials | None = None
    walk_order: WalkOrder | None = None
    installed_date: PlausibleDate | None = None
    hv_side: bool | None = None
    status: MeterStatus | None = Field(
        None, description="Take a meter out of service without a successor (use the replacement endpoint to swap it)."
    )
    removed_date: PlausibleDate | None = None
    confirm_multiplier_change: bool = Field(
        False,
        description="Required to change the multiplier of a meter that has readings: the new one changes what "
        "its history means (the change is written to the audit trail).",
    )


class MeterRead(Output):
    id: int
    compound_id: int
    utility: Utility
    serial: str
    location: str
    role: MeterRole
    account_id: int | None
    parent_id: int | None
    transformer_id: int | None
    building_id: int | None
    zone_id: int | None
    multiplier: int
    dials: int
    walk_order: int
    installed_date: date | None
    removed_date: date | None
    status: MeterStatus
    replaces_id: int | None
    hv_side: bool


# Replacement


class ReplacementCreate(Input):
    final_value: ReadingValue = Field(description="The old meter's last reading.")
    new_serial: Serial
    new_value: ReadingValue = Field(description="The new meter's first reading.")
    at: Annotated[AwareDatetime, AfterValidator(in_years)] = Field(
        description="When the meters were swapped (with a timezone offset)."
    )
    read_by: Person = ""
    new_multiplier: Multiplier | None = Field(None, description="Defaults to the old meter's.")
    new_dials: Dials | None = Field(None, description="Defaults to the old meter's.")
    note: Note = ""
    confirm: list[Literal["spike"]] = Field(
        default_factory=list, description="Warnings on the final reading confirmed as right."
    )
    rollover: bool = Field(False, description="The old meter's dials went past zero before the final reading.")


class ReplacementRead(BaseModel):
    old_meter: MeterRead
    new_meter: MeterRead


# Transformers


class TransformerCreate(Input):
    name: Name
    rated_kva: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    no_load_loss_w: Watts
    copper_loss_w: Watts = Field(description="Full-load copper (load) loss, W.")
    parent_meter_id: RowId = Field(description="The electricity utility meter that feeds it.")


class TransformerUpdate(Input):
    name: Name | None = None
    rated_kva: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    no_load_loss_w: Watts | None = None
    copper_loss_w: Watts | None = None
    parent_meter_id: RowId | None = None


class TransformerRead(Output):
    id: int
    compound_id: int
    name: str
    rated_kva: Decimal
    no_load_loss_w: Decimal
    copper_loss_w: Decimal
    parent_meter_id: int | None


# Unmetered uses


class UnmeteredFields(Input):
    """The figures of the estimation rules: each rule needs its own, the others are cleared."""

    fixed_per_month: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=3, description="fixed: m³ or kWh per calendar month."
    )
    lamp_count: int | None = Field(None, ge=1, le=100_000, description="lamps: how many lamps.")
    lamp_watts: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2, description="lamps: W each.")
    hours_per_day: Decimal | None = Field(
        None, gt=0, le=24, max_digits=5, decimal_places=2, description="lamps: hours lit a day."
    )
    area_m2: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2, description="area: m².")
    litres_per_m2_day: Decimal | None = Field(
        None, gt=0, max_digits=8, decimal_places=3, description="area: litres per m² a day."
    )
    active_from_date: PlausibleDate | None = Field(None, description="First day it is in use (none: always).")
    active_to_date: PlausibleDate | None = Field(None, description="Last day it is in use, inclusive (none: still).")


class UnmeteredCreate(UnmeteredFields):
    utility: Utility
    name: Name
    category: UnmeteredCategory
    rule: EstimateRule
    parent_meter_id: RowId | None = Field(None, description="The meter whose use includes it (same utility).")
    zone_id: RowId | None = None


class UnmeteredUpdate(UnmeteredFields):
    name: Name | None = None
    category: UnmeteredCategory | None = None
    rule: EstimateRule | None = None
    parent_meter_id: RowId | None = None
    zone_id: RowId | None = None


class UnmeteredRead(Output):
    id: int
    compound_id: int
    utility: Utility
    name: str
    category: UnmeteredCategory
    rule: EstimateRule
    parent_meter_id: int | None
    zone_id: int | None
    fixed_per_month: Decimal | None
    lamp_count: int | None
    lamp_watts: Decimal | None
    hours_per_day: Decimal | None
    area_m2: Decimal | None
    litres_per_m2_day: Decimal | None
    active_from_date: date | None
    active_to_date: date | None
    estimated: Literal[True] = True


class EstimateRead(BaseModel):
    unmetered_id: int
    start: date
    end: date = Field(description="Exclusive.")
    quantity: Decimal
    unit: str
    estimated: Literal[True] = True


# Seals


class SealCreate(Input):
    number: Annotated[str, Field(min_length=1, max_length=64)]
    sealed_date: PlausibleDate
    sealed_by: Annotated[str, Field(min_length=1, max_length=100)]


class SealBreak(Input):
    broken_date: PlausibleDate
    broken_by: Annotated[str, Field(min_length=1, max_length=100)]
    note: Note = ""


class SealRead(Output):
    id: int
    compound_id: int
    meter_id: int
    number: str
    sealed_date: date
    sealed_by: str
    broken_date: date | None
    broken_by: str | None
    broken_note: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def intact(self) -> bool:
        return self.broken_date is None


# The tree


class TreeNode(BaseModel):
    kind: Literal["meter", "transformer", "unmetered"]
    id: int
    label: str = Field(description="A meter's serial, a transformer's or an unmetered use's name.")
    serial: str | None = None
    name: str | None = None
    role: MeterRole | None = None
    estimated: bool = False
    status: MeterStatus | None = None
    location: str | None = None
    account_id: int | None = None
    multiplier: int | None = None
    rated_kva: Decimal | None = None
    category: UnmeteredCategory | None = None
    rule: EstimateRule | None = None
    children: list[TreeNode] = Field(default_factory=list)
