"""Bounded request parameters: an id or an offset past what the databases hold is a 422, never a 500."""

from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from compound.kit.i18n import gettext as _

MAX_ID = 2**62  # inside BIGINT and SQLite's INTEGER
MAX_OFFSET = 2**31

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]  # /…/{meter_id}
RefId = Annotated[int | None, Query(ge=1, le=MAX_ID)]  # ?building_id=… (a filter)
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]  # a body field naming a row
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

# Dates people mean: far enough either side that converting between timezones never leaves the calendar.
YEARS = range(1970, 2200)


def in_years(value: date | datetime | None) -> date | datetime | None:
    if value is not None and value.year not in YEARS:
        raise ValueError(_("The year must be between %(first)s and %(last)s.", first=YEARS.start, last=YEARS.stop - 1))
    return value


PlausibleDate = Annotated[date, AfterValidator(in_years)]
