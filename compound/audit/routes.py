"""The audit trail: a filtered list (JSON and page) and a CSV export. Read-only by design."""

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from compound.audit import service
from compound.audit.schemas import AuditQuery, AuditRead
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm, allowed
from compound.db import UnitOfWorkRoute
from compound.deps import SessionDep
from compound.web import render

router = APIRouter(tags=["audit"], route_class=UnitOfWorkRoute)
CSV_COLUMNS = [
    "id",
    "at",
    "compound_id",
    "username",
    "ip",
    "action",
    "object_type",
    "object_id",
    "summary",
    "before",
    "after",
]


def _filter(principal: PrincipalDep, query: Annotated[AuditQuery, Depends()]) -> service.AuditFilter:
    return service.AuditFilter(
        compound_ids=principal.compound_ids,
        include_installation=allowed(principal.role, Perm.users_manage),
        **query.model_dump(),
    )


FilterDep = Annotated[service.AuditFilter, Depends(_filter)]


@router.get("/api/audit", response_model=list[AuditRead], dependencies=[Require(Perm.audit_view)])
def list_audit(
    session: SessionDep,
    audit_filter: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[AuditRead]:
    entries = service.list_entries(session, filter=audit_filter, limit=limit, offset=offset)
    return [AuditRead.model_validate(e) for e in entries]


@router.get("/audit", include_in_schema=False, dependencies=[Require(Perm.audit_view)])
def audit_page(
    request: Request, session: SessionDep, audit_filter: FilterDep, offset: Annotated[int, Query(ge=0, le=10**9)] = 0
) -> Response:
    entries = [
        AuditRead.model_validate(e)
        for e in service.list_entries(session, filter=audit_filter, limit=100, offset=offset)
    ]
    return render(
        request,
        "audit/list.html",
        {"entries": entries, "f": audit_filter, "offset": offset, "query": request.url.query},
    )


@router.get("/audit.csv", include_in_schema=False, dependencies=[Require(Perm.audit_view)])
def audit_csv(session: SessionDep, audit_filter: FilterDep) -> StreamingResponse:
    def rows() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")  # so Excel opens the Chinese text as UTF-8
        writer.writerow(CSV_COLUMNS)
        for e in service.iter_entries(session, filter=audit_filter):
            writer.writerow(
                [
                    e.id,
                    e.at.isoformat(),
                    e.compound_id or "",
                    e.username,
                    e.ip,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.summary,
                    e.before or "",
                    e.after or "",
                ]
            )
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        yield buf.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
