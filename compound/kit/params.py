"""Bounded request parameters: an id or an offset past what the databases hold is a 422, never a 500."""

from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

MAX_ID = 2**62  # inside BIGINT and SQLite's INTEGER
MAX_OFFSET = 2**31

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

# Dates people mean: far enough either side that converting between timezones never leaves the calendar.
YEARS = range(1970, 2200)


def in_years(value: date | datetime | None) -> date | datetime | None:
    if value is not None and value.year not in YEARS:
        raise ValueError(f"the year must be between {YEARS.start} and {YEARS.stop - 1}")
    return value


PlausibleDate = Annotated[date, AfterValidator(in_years)]
PlausibleDateTime = Annotated[datetime, AfterValidator(in_years)]
