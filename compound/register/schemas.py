"""API input and output of the register: compounds, zones, buildings and accounts.

XCreate carries what a new row needs, XUpdate the same fields all optional (only those sent are changed),
XRead what the API returns. Unknown fields are refused, so a misspelt field is a 422, not silently ignored.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from compound.kit.i18n import gettext as _
from compound.kit.params import PlausibleDate, RowId
from compound.register.models import AccountKind, Payer, ZoneKind


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("Unknown timezone %(name)s: use a name such as Asia/Shanghai.", name=name)) from None
    return name


# A mainland mobile (11 digits from 13–19, +86 allowed); a landline with its area code (0 and 2–3 digits, then
# 7–8 digits not beginning 0 or 1), maybe with an extension; or a line inside the compound (内线 6011).
_MOBILE = re.compile(r"(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}")
_LANDLINE = re.compile(
    r"(?:\(0\d{2,3}\)|0\d{2,3})[ -]?[2-9]\d{2,3}[ -]?\d{4}(?:[ -]?(?:转|分机|ext\.?|x|#) ?\d{1,6}|-\d{1,6})?",
    re.IGNORECASE,
)
_INTERNAL = re.compile(r"(?:内线|分机|ext\.?) ?\d{3,6}", re.IGNORECASE)


def check_phone(text: str) -> str:
    """A phone number as people write them in China, or a ValueError saying which forms are accepted."""
    if text and not any(p.fullmatch(text) for p in (_MOBILE, _LANDLINE, _INTERNAL)):
        raise ValueError(
            _(
                "“%(text)s” is not a phone number: give a mobile number (11 digits beginning 13 to 19), a landline "
                "with its area code (010-62345678, an extension after 转 or -), or an internal line (内线 6011).",
                text=text[:40],
            )
        )
    return text


Name = Annotated[str, Field(min_length=1, max_length=100)]
LongName = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$")]
Timezone = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]
SpikeFactor = Annotated[Decimal, Field(gt=1, max_digits=6, decimal_places=2)]
Short = Annotated[str, Field(max_length=32)]
Phone = Annotated[str, Field(max_length=32), AfterValidator(check_phone)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Compounds


class CompoundCreate(Input):
    code: Code
    name: LongName
    timezone: Timezone = "Asia/Shanghai"
    spike_factor: SpikeFactor = Decimal("3")


class CompoundRead(Output):
    id: int
    code: str
    name: str
    timezone: str
    spike_factor: Decimal
    is_demo: bool


# Zones


class ZoneCreate(Input):
    name: Name
    kind: ZoneKind


class ZoneUpdate(Input):
    name: Name | None = None
    kind: ZoneKind | None = None


class ZoneRead(Output):
    id: int
    compound_id: int
    name: str
    kind: ZoneKind


# Buildings


class BuildingCreate(Input):
    name: Name
    zone_id: RowId


class BuildingUpdate(Input):
    name: Name | None = None
    zone_id: RowId | None = None


class BuildingRead(Output):
    id: int
    compound_id: int
    zone_id: int
    name: str


# Accounts


class AccountCreate(Input):
    code: Code
    kind: AccountKind
    name: LongName = Field(description="Office unit: the department's name. Household: the head of household.")
    building_id: RowId | None = None
    flat: Short | None = None
    phone: Phone | None = None
    payer: Payer = Field(Payer.self, description="Office units only: self, or the finance bureau on its behalf.")
    move_in_date: PlausibleDate | None = None
    move_out_date: PlausibleDate | None = None


class AccountUpdate(Input):
    code: Code | None = None
    kind: AccountKind | None = None
    name: LongName | None = None
    building_id: RowId | None = None
    flat: Short | None = None
    phone: Phone | None = None
    payer: Payer | None = None
    move_in_date: PlausibleDate | None = None
    move_out_date: PlausibleDate | None = None


class AccountRead(Output):
    id: int
    compound_id: int
    code: str
    kind: AccountKind
    name: str
    building_id: int | None
    flat: str | None
    phone: str | None
    payer: Payer
    move_in_date: date | None
    move_out_date: date | None
