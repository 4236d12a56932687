"""The job runs for administrators: a page and its JSON. Read-only; jobs run in `compound scheduler`."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.jobs import registry, service
from compound.jobs.labels import outcome_label, trigger_label
from compound.jobs.models import Outcome
from compound.kit.pagination import Limit, Page
from compound.kit.params import Offset
from compound.kit.settings import get_settings
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render

router = APIRouter(tags=["jobs"], route_class=UnitOfWorkRoute)
PAGE = 50


class JobRunRead(BaseModel):
    id: int
    job: str
    compound_id: int | None
    compound_code: str | None
    as_of: date
    trigger: str
    outcome: Outcome
    started_at: datetime
    ended_at: datetime | None
    counts: dict[str, Any]
    error: str | None


def _filter(
    principal: PrincipalDep,
    job: Annotated[str | None, Query(max_length=80)] = None,
    outcome: Outcome | None = None,
) -> service.RunFilter:
    return service.RunFilter(
        compound_ids=principal.compound_ids, everything=principal.unrestricted, job=job or None, outcome=outcome
    )


FilterDep = Annotated[service.RunFilter, Depends(_filter)]


@router.get("/api/job-runs", response_model=Page[JobRunRead], dependencies=[Require(Perm.jobs_view)])
def list_job_runs(session: SessionDep, run_filter: FilterDep, limit: Limit = 100, offset: Offset = 0) -> Page:
    runs, total = service.list_runs(session, filter=run_filter, limit=limit, offset=offset)
    items = [JobRunRead.model_validate(r, from_attributes=True) for r in runs]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/jobs", include_in_schema=False, dependencies=[Require(Perm.jobs_view)])
def jobs_page(request: Request, session: SessionDep, run_filter: FilterDep, offset: Offset = 0) -> Response:
    runs, total = service.list_runs(session, filter=run_filter, limit=PAGE, offset=offset)
    last = service.last_runs(session, filter=service.RunFilter(run_filter.compound_ids, run_filter.everything))
    return render(
        request,
        "jobs/runs.html",
        {
            "jobs": registry.all_jobs(),
            "last": last,
            "runs": runs,
            "total": total,
            "offset": offset,
            "page": PAGE,
            "f": run_filter,
            "outcomes": list(Outcome),
            "default_at": get_settings().scheduler_daily_at,
            "outcome_label": outcome_label,
            "trigger_label": trigger_label,
        },
    )
