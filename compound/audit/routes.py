"""The audit trail: a filtered list (JSON and page) and a CSV export. Read-only by design."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from compound.audit import labels, service
from compound.audit.schemas import AuditQuery, AuditRead
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.export import csv_chunks
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render

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
    # The page shows "计量表" or "meter" for what is stored as meter: the filter takes any of them.
    asked = query.model_dump() | {
        "object_type": labels.object_type_named(query.object_type),
        "action": labels.action_named(query.action),
    }
    return service.AuditFilter(compound_ids=principal.compound_ids, everything=principal.unrestricted, **asked)


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
    zones = service.timezones(session, compound_ids={e.compound_id for e in entries})
    default = clock.zone(audit_filter.timezone)

    def local(entry: AuditRead) -> str:
        """When, in the time of the entry's compound (entries of no compound: the compounds' usual zone)."""
        return entry.at.astimezone(zones.get(entry.compound_id, default)).strftime("%Y-%m-%d %H:%M:%S")

    return render(
        request,
        "audit/list.html",
        {
            "entries": entries,
            "f": audit_filter,
            "offset": offset,
            "query": request.url.query,
            "local": local,
            "action_label": labels.action_label,
            "object_label": labels.object_label,
            "field_label": labels.field_label,
            "value_text": labels.value_text,
            "typed": {"object_type": request.query_params.get("object_type", "")},
        },
    )


@router.get("/audit.csv", include_in_schema=False, dependencies=[Require(Perm.audit_view)])
def audit_csv(session: SessionDep, audit_filter: FilterDep) -> StreamingResponse:
    rows = (
        [
            e.id,
            e.at.isoformat(),
            e.compound_id,
            e.username,
            e.ip,
            e.action,
            e.object_type,
            e.object_id,
            e.summary,
            e.before,
            e.after,
        ]
        for e in service.iter_entries(session, filter=audit_filter)
    )
    return StreamingResponse(
        csv_chunks(CSV_COLUMNS, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
