"""JSON API of readings: enter one, page through a meter's history, estimate a missed one, list the missed."""

from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query, status

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.params import YEARS, IdPath, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep
from meters.deps import MeterDep
from meters.models import Utility
from meters.readings import corrections
from meters.readings import service as readings
from meters.readings.schemas import (
    CorrectionCreate,
    EstimateCreate,
    MissedMeterRead,
    MissedReadings,
    ProblemsBody,
    ReadingCreate,
    ReadingPage,
    ReadingRead,
)

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["readings"], route_class=UnitOfWorkRoute)

MAX_PAGE = 500
PROBLEMS = {
    422: {"model": ProblemsBody, "description": "Refused: every problem, each with its code and field"},
    409: {"model": ProblemsBody, "description": "Needs confirming: send again with these codes in `confirm`"},
}


@router.post(
    "/meters/{meter_id}/readings",
    dependencies=[Require(Perm.readings_write)],
    response_model=ReadingRead,
    status_code=status.HTTP_201_CREATED,
    responses=PROBLEMS,
)
def create_reading(session: SessionDep, compound: CompoundDep, meter: MeterDep, body: ReadingCreate) -> ReadingRead:
    """Enter a reading. It is checked for plausibility; a spike is saved only once confirmed."""
    now = clock.now()
    reading = readings.record_reading(
        session,
        compound=compound,
        meter=meter,
        value=body.value,
        read_at=body.read_at or now,
        read_by=body.read_by,
        note=body.note,
        rollover=body.rollover,
        confirm=body.confirm,
        now=now,
    )
    return ReadingRead.of(reading, clock.tz_of(compound))


@router.post(
    "/meters/{meter_id}/readings/{reading_id}/correction",
    dependencies=[Require(Perm.readings_write)],
    response_model=ReadingRead,
    status_code=status.HTTP_201_CREATED,
    responses=PROBLEMS,
)
def correct_reading(
    session: SessionDep,
    compound: CompoundDep,
    meter: MeterDep,
    reading_id: IdPath,
    body: CorrectionCreate,
) -> ReadingRead:
    """Correct the meter's latest reading: a new reading replaces it and points at it; the wrong one is kept."""
    fixed = corrections.correct_reading(
        session,
        compound=compound,
        meter=meter,
        reading_id=reading_id,
        value=body.value,
        read_at=body.read_at,
        note=body.note,
        read_by=body.read_by,
        rollover=body.rollover,
        confirm=body.confirm,
        now=clock.now(),
    )
    return ReadingRead.of(fixed, clock.tz_of(compound))


@router.get("/meters/{meter_id}/readings", dependencies=[Require(Perm.register_view)], response_model=ReadingPage)
def list_readings(
    session: SessionDep,
    compound: CompoundDep,
    meter: MeterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> ReadingPage:
    """The meter's readings, newest first; estimates and superseded estimates are flagged."""
    rows, total = readings.list_readings(
        session, compound_id=compound.id, meter_id=meter.id, limit=limit, offset=offset
    )
    tz = clock.tz_of(compound)
    return ReadingPage(items=[ReadingRead.of(r, tz) for r in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/meters/{meter_id}/estimate",
    dependencies=[Require(Perm.readings_write)],
    response_model=ReadingRead,
    status_code=status.HTTP_201_CREATED,
    responses={422: PROBLEMS[422]},
)
def create_estimate(
    session: SessionDep, compound: CompoundDep, meter: MeterDep, body: EstimateCreate | None = None
) -> ReadingRead:
    """Estimate a missed reading from the meter's average daily use; the next real reading supersedes it."""
    now = clock.now()
    body = body or EstimateCreate()
    reading = readings.estimate_reading(
        session, compound=compound, meter=meter, at=body.at or now, now=now, read_by=body.read_by
    )
    return ReadingRead.of(reading, clock.tz_of(compound))


@router.get("/missed-readings", dependencies=[Require(Perm.register_view)], response_model=MissedReadings)
def missed_readings(
    session: SessionDep,
    compound: CompoundDep,
    since: Annotated[
        date | None,
        Query(ge=date(YEARS.start, 1, 1), lt=date(YEARS.stop, 1, 1), description="Default: this month's first"),
    ] = None,
    utility: Utility | None = None,
    building_id: RefId = None,
) -> MissedReadings:
    """Active meters with no real reading since the start of `since` (compound time): what is left to read."""
    tz = clock.tz_of(compound)
    since = since or clock.now().astimezone(tz).date().replace(day=1)
    rows = readings.missed_meters(
        session,
        compound_id=compound.id,
        since=datetime.combine(since, time(), tz),
        utility=utility,
        building_id=building_id,
    )
    return MissedReadings(since_date=since, meters=[MissedMeterRead.of(r, tz) for r in rows])
