"""Tables of findings, work orders and meter accuracy tests, and each compound's thresholds for raising findings.

Volumes are integer thousandths (m³ or kWh) per average month (365.25 / 12 days), money integer fen per month.
A finding raised by the system is keyed by (kind, subject, period): raising a period again updates the open
findings it finds again and never adds a second one.
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


def _ref(*, index: bool = True) -> object:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True, index=index))


def _text(length: int, default: str = "") -> object:
    return Field(default=default, sa_column=sa.Column(sa.String(length), nullable=False))


def _fraction(default: str, *, digits: int = 8, places: int = 6) -> object:
    return Field(default=Decimal(default), sa_column=sa.Column(sa.Numeric(digits, places), nullable=False))


class FindingKind(StrEnum):
    zone_loss_high = "zone_loss_high"
    zone_loss_rising = "zone_loss_rising"
    night_flow_leak = "night_flow_leak"
    utility_disagrees = "utility_disagrees"
    stopped_meter = "stopped_meter"
    broken_seal = "broken_seal"
    check_exceeded = "check_exceeded"
    unmetered_over = "unmetered_over"
    other = "other"  # raised by hand


class FindingStatus(StrEnum):
    open = "open"
    dismissed = "dismissed"
    resolved = "resolved"  # its work order is done


class Finding(SQLModel, table=True):
    """Something the balance (or a person) found that loses water, power or money, with its worth per month."""

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "kind", "subject", "period_label"),
        same_compound_fk("meter_id", "meter"),
        same_compound_fk("zone_id", "zone"),
        same_compound_fk("building_id", "building"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    kind: FindingKind = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    utility: str = _text(16)
    # What it is about ("meter:12", "seal:5", "test:3"; "hand:<token>" for one raised by hand): with the kind and
    # the period, the key that keeps a re-raised period from adding it twice.
    subject: str = _text(64)
    period_label: str = _text(40)
    period_start_date: date | None = None
    period_end_date: date | None = None  # the day after the last
    meter_id: int | None = _ref()
    zone_id: int | None = _ref(index=False)
    building_id: int | None = _ref(index=False)
    # What it rests on: the figures, as JSON, worded in the reader's language by the kind's message.
    basis: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    note: str = _text(1000)
    volume_milli_per_month: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    value_fen_per_month: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    cost_per_unit: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(14, 6)))
    # The worth rests on an estimate (a share, a night-day factor, a meter's past use, a cost from other months).
    estimated: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    status: FindingStatus = Field(default=FindingStatus.open, sa_column=sa.Column(sa.String(16), nullable=False))
    raised_by: str = _text(100, "system")
    dismissed_reason: str = _text(500)
    dismissed_by: str = _text(100)
    dismissed_at: datetime | None = at_field(nullable=True)
    created_at: datetime | None = created_at_field()


class OrderKind(StrEnum):
    repair_leak = "repair_leak"
    test_meter = "test_meter"
    replace_meter = "replace_meter"
    seal_meter = "seal_meter"
    install_check_meter = "install_check_meter"
    remove_unmetered_wiring = "remove_unmetered_wiring"
    other = "other"


class OrderStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class WorkOrder(SQLModel, table=True):
    """A job for maintenance, from a finding or on its own; done, it is an event on the loss charts."""

    __tablename__ = "work_order"
    __table_args__ = scoped(
        same_compound_fk("finding_id", "finding"),
        same_compound_fk("meter_id", "meter"),
        same_compound_fk("zone_id", "zone"),
        same_compound_fk("building_id", "building"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    finding_id: int | None = _ref()
    kind: OrderKind = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    title: str = _text(200)
    utility: str = _text(16)
    zone_id: int | None = _ref(index=False)
    building_id: int | None = _ref(index=False)
    meter_id: int | None = _ref()
    # A user name (maintenance sees the orders given to them on their phone).
    assignee: str = _text(100)
    due_date: date | None = None
    status: OrderStatus = Field(default=OrderStatus.open, sa_column=sa.Column(sa.String(16), nullable=False))
    notes: str = _text(2000)
    done_note: str = _text(2000)  # what was done
    done_date: date | None = None
    created_by: str = _text(100)
    created_at: datetime | None = created_at_field()
    started_at: datetime | None = at_field(nullable=True)
    closed_at: datetime | None = at_field(nullable=True)
    # The verified saving, worked out after each period once the order is done (reports/findings/savings.py):
    # the windows, the method and the figures as JSON; the saving per month in thousandths and fen, to add up.
    saving: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    saving_milli_per_month: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    saving_fen_per_month: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))


class MeterTest(SQLModel, table=True):
    """A meter accuracy test: the measured error of one meter (negative: it registers less than flows)."""

    __tablename__ = "meter_test"
    __table_args__ = scoped(same_compound_fk("meter_id", "meter"), same_compound_fk("work_order_id", "work_order"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    meter_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    work_order_id: int | None = _ref(index=False)
    test_date: date
    # (registered − true) / true, in percent, e.g. -3.500.
    error_pct: Decimal = Field(sa_column=sa.Column(sa.Numeric(7, 3), nullable=False))
    tested_by: str = _text(100)
    note: str = _text(500)
    created_at: datetime | None = created_at_field()


class FindingSettings(SQLModel, table=True):
    """One compound's thresholds for raising findings; the defaults hold until someone saves."""

    __tablename__ = "finding_settings"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    # A check or master meter whose loss is above this share of its input.
    zone_loss_high_fraction: Decimal = _fraction("0.10")
    # ... or whose loss rate rose this much (percentage points as a fraction) above its last three months.
    zone_loss_rising_fraction: Decimal = _fraction("0.05")
    # Nothing smaller than this per month is raised (m³ of water, kWh of power).
    min_water_per_month: Decimal = _fraction("5", digits=12, places=3)
    min_power_per_month: Decimal = _fraction("200", digits=12, places=3)
    # A night-flow test whose daily leakage is above this (m³ a day).
    night_leak_per_day: Decimal = _fraction("1", digits=10, places=3)
    # A billing meter whose use fell below this share of its average over the history days before, its account
    # occupied.
    stopped_fraction: Decimal = _fraction("0.10")
    stopped_history_days: int = Field(default=90, sa_column=sa.Column(sa.Integer, nullable=False))
    # Children above their check meter by more than this share of its input.
    check_excess_fraction: Decimal = _fraction("0.02")
    # Of a meter with a broken seal, the share of its use taken to be at risk (an estimate).
    seal_risk_fraction: Decimal = _fraction("0.10")
    # A verified saving needs at least this many whole months of readings after the work was done.
    saving_min_months: int = Field(default=2, sa_column=sa.Column(sa.Integer, nullable=False))
