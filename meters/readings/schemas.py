"""API input and output of readings: entry, history, estimates and the meters a round has still to read.

Values and consumptions travel as decimal strings ("1234.500"), never floats. A value may be sent as a
JSON number too, but a string keeps every decimal exactly as it was typed.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from compound.kit.params import in_years
from meters.models import Reading, ReadingKind, ReadingSource, Utility
from meters.quantity import to_decimal
from meters.readings.validation import CONFIRMABLE, Code


def _confirmable(codes: list[str]) -> list[str]:
    for code in codes:
        if code not in Code.__members__:
            raise ValueError(f"unknown code {code!r}")
        if code not in CONFIRMABLE:
            raise ValueError(
                f"{code!r} cannot be confirmed (only {', '.join(sorted(CONFIRMABLE))}); "
                "a lower reading is saved with rollover=true or as a meter replacement"
            )
    return codes


def _dial_text(v: object) -> object:
    """A JSON number becomes its text, so the service checks one kind of input; true/false is no value."""
    if isinstance(v, bool):
        raise ValueError('must be a number or a string such as "1234.5", not true or false')
    if isinstance(v, int | Decimal):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # the shortest text that is this float: what the sender wrote
    return v


DialValue = Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_dial_text)]
At = Annotated[datetime | None, AfterValidator(in_years)]
Note = Annotated[str, Field(max_length=500)]
Who = Annotated[str, Field(max_length=100)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadingCreate(Input):
    # Checked by the service, so "abc" gets the same coded answer (not_a_number) as on a round sheet.
    value: DialValue = Field(default=None, description='The dial value, e.g. "01234.5"')
    read_at: At = Field(
        default=None, description="ISO date-time; without an offset it is the compound's local time; omitted, it is now"
    )
    note: Note = ""
    read_by: Who = ""
    rollover: bool = Field(default=False, description="The dials went past zero since the last reading")
    confirm: Annotated[list[str], AfterValidator(_confirmable)] = Field(
        default_factory=list, description='Warning codes the reader confirms, e.g. ["spike"]'
    )


class CorrectionCreate(Input):
    value: DialValue = Field(default=None, description="The right dial value")
    read_at: At = Field(default=None, description="The right reading time; omitted, that of the wrong reading")
    note: Note = Field(default="", description="Why it is corrected")
    read_by: Who = ""
    rollover: bool = False
    confirm: Annotated[list[str], AfterValidator(_confirmable)] = Field(default_factory=list)


class EstimateCreate(Input):
    at: At = Field(default=None, description="When the missed reading should have been taken; omitted, now")
    read_by: Who = ""


class ProblemRead(BaseModel):
    code: Code
    field: str
    refused: bool
    message: str


class ProblemsBody(BaseModel):
    """The body of a refused (422) or unconfirmed (409) reading."""

    error: str
    detail: str
    field: str | None = None
    problems: list[ProblemRead]


class ReadingRead(BaseModel):
    id: int
    meter_id: int
    read_at: datetime
    value: str
    consumption: str | None
    period_seconds: int | None
    rollover: bool
    source: ReadingSource
    kind: ReadingKind
    estimated: bool
    superseded: bool
    superseded_by_id: int | None
    corrects_id: int | None = None
    read_by: str
    note: str
    confirmed: list[str]

    @classmethod
    def of(cls, r: Reading, tz: ZoneInfo) -> "ReadingRead":
        """Times in the compound's own timezone, with their offset."""
        return cls(
            id=r.id,
            meter_id=r.meter_id,
            read_at=r.read_at.astimezone(tz),
            value=str(to_decimal(r.value_milli)),
            consumption=None if r.consumption_milli is None else str(to_decimal(r.consumption_milli)),
            period_seconds=r.period_seconds,
            rollover=r.rollover,
            source=r.source,
            kind=r.kind,
            estimated=r.source == ReadingSource.estimated,
            superseded=r.superseded_by_id is not None,
            superseded_by_id=r.superseded_by_id,
            corrects_id=r.corrects_id,
            read_by=r.read_by,
            note=r.note,
            confirmed=[c for c in r.confirmed.split(",") if c],
        )


class ReadingPage(BaseModel):
    items: list[ReadingRead]
    total: int
    limit: int
    offset: int


class MissedMeterRead(BaseModel):
    meter_id: int
    serial: str
    utility: Utility
    location: str
    building_id: int | None
    zone_id: int | None
    walk_order: int
    last_value: str | None
    last_read_at: datetime | None

    @classmethod
    def of(cls, row: object, tz: ZoneInfo) -> "MissedMeterRead":
        last_at = row.last_read_at  # type: ignore[attr-defined]
        return cls(
            meter_id=row.id,
            serial=row.serial,
            utility=row.utility,
            location=row.location,  # type: ignore[attr-defined]
            building_id=row.building_id,
            zone_id=row.zone_id,
            walk_order=row.walk_order,  # type: ignore[attr-defined]
            last_value=None if row.last_value is None else str(to_decimal(row.last_value)),  # type: ignore[attr-defined]
            last_read_at=None if last_at is None else last_at.astimezone(tz),
        )


class MissedReadings(BaseModel):
    since_date: date
    meters: list[MissedMeterRead]
