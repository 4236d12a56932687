"""API input and output of findings, work orders, meter accuracy tests and the finding thresholds.

Volumes are decimals with three places per average month (m³ or kWh), money yuan with two, as strings on output.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from compound.kit.params import PlausibleDate, RowId
from compound.register.schemas import Input, Output
from reports.findings.models import FindingKind, OrderKind

UtilityName = Literal["water", "electricity"]
Volume = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]
Fraction = Annotated[Decimal, Field(ge=0, lt=1, max_digits=8, decimal_places=6)]
ErrorPct = Annotated[Decimal, Field(gt=-50, lt=50, max_digits=7, decimal_places=3)]
Person = Annotated[str, Field(max_length=100)]
LongNote = Annotated[str, Field(max_length=2000)]


class FindingCreate(Input):
    """A finding raised by hand: what it is, where, what it rests on, and its worth if known."""

    kind: FindingKind = FindingKind.other
    utility: UtilityName = "water"
    meter_id: RowId | None = None
    zone_id: RowId | None = None
    building_id: RowId | None = None
    note: Annotated[str, Field(min_length=1, max_length=1000)]
    volume_per_month: Volume | None = None


class FindingDismiss(Input):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class FindingRead(Output):
    id: int
    kind: str
    kind_label: str
    utility: str
    period: str
    since: str
    status: str
    meter_id: int | None
    zone_id: int | None
    building_id: int | None
    basis: str
    volume_per_month: str | None
    value_per_month: str | None
    cost_per_unit: str | None
    estimated: bool
    raised_by: str
    dismissed_reason: str


class OrderCreate(Input):
    kind: OrderKind
    finding_id: RowId | None = None
    title: Annotated[str, Field(max_length=200)] = ""
    utility: Literal["water", "electricity", ""] = ""
    zone_id: RowId | None = None
    building_id: RowId | None = None
    meter_id: RowId | None = None
    assignee: Person = ""
    due_date: PlausibleDate | None = None
    notes: LongNote = ""


class OrderUpdate(Input):
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    assignee: Person | None = None
    due_date: PlausibleDate | None = None
    notes: LongNote | None = None


class OrderMove(Input):
    """A move of the order's status; done says what was done (and a meter test's measured error, if any)."""

    status: Literal["in_progress", "done", "cancelled"]
    done_note: LongNote = ""
    done_date: PlausibleDate | None = None
    error_pct: ErrorPct | None = None


class OrderRead(Output):
    id: int
    kind: str
    kind_label: str
    title: str
    status: str
    finding_id: int | None
    utility: str
    zone_id: int | None
    building_id: int | None
    meter_id: int | None
    assignee: str
    due_date: date | None
    notes: str
    done_note: str
    done_date: date | None
    saving: dict | None


class MeterTestCreate(Input):
    meter_id: RowId
    test_date: PlausibleDate | None = None
    error_pct: ErrorPct
    tested_by: Person = ""
    note: Annotated[str, Field(max_length=500)] = ""


class MeterTestRead(Output):
    id: int
    meter_id: int
    work_order_id: int | None
    test_date: date
    error_pct: Decimal
    tested_by: str
    note: str


class FindingSettingsUpdate(Input):
    zone_loss_high_fraction: Fraction | None = None
    zone_loss_rising_fraction: Fraction | None = None
    min_water_per_month: Volume | None = None
    min_power_per_month: Volume | None = None
    night_leak_per_day: Volume | None = None
    stopped_fraction: Fraction | None = None
    stopped_history_days: Annotated[int, Field(ge=28, le=730)] | None = None
    check_excess_fraction: Fraction | None = None
    seal_risk_fraction: Fraction | None = None
    saving_min_months: Annotated[int, Field(ge=1, le=12)] | None = None


class FindingSettingsRead(Output):
    zone_loss_high_fraction: Decimal
    zone_loss_rising_fraction: Decimal
    min_water_per_month: Decimal
    min_power_per_month: Decimal
    night_leak_per_day: Decimal
    stopped_fraction: Decimal
    stopped_history_days: int
    check_excess_fraction: Decimal
    seal_risk_fraction: Decimal
    saving_min_months: int
