"""API: import readings from an uploaded .csv or .xlsx file; download the template."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit.settings import get_settings
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep
from meters.readings import import_format, importer

router = APIRouter(
    prefix="/api/compounds/{compound_id}/readings", tags=["readings import"], route_class=UnitOfWorkRoute
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportRowRead(BaseModel):
    row: int  # as in the file: the header is row 1
    serial: str
    code: str
    field: str
    message: str
    needs_confirmation: bool


class SavedRowRead(BaseModel):
    row: int
    serial: str
    read_at: str  # the compound's local time, as in the file
    value: str
    already_saved: bool = Field(description="Identical to a reading saved before (the file imported already).")


class ImportReportRead(BaseModel):
    mode: Literal["all_or_nothing", "partial"]
    total: int
    saved: int
    already_saved: int = Field(description="Rows identical to a stored reading: neither saved again nor refused.")
    refused: int
    summary: str
    rows: list[ImportRowRead] = Field(description="The rows not saved, and why.")
    saved_rows: list[SavedRowRead] = Field(description="The rows saved, and those saved before.")


class ImportRefusedRead(ImportReportRead):
    error: str
    detail: str


@router.post(
    "/import",
    status_code=201,
    response_model=ImportReportRead,
    dependencies=[Require(Perm.readings_write)],
    responses={422: {"model": ImportRefusedRead, "description": "Nothing saved; the report says why."}},
)
def import_readings(
    compound: CompoundDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A .csv or .xlsx file: meter_serial, read_at, value, note.")],
    partial: Annotated[bool, Form(description="Save the valid rows even when others are refused.")] = False,
) -> dict[str, object]:
    """Check every row as single entry would; save all of them, or with partial=true the valid ones.

    A row that needs confirmation (a spike) is never saved from a file: it is reported.
    """
    data = file.file.read(get_settings().max_upload_bytes + 1)
    report = importer.import_file(session, compound=compound, data=data, filename=file.filename or "", partial=partial)
    return report.to_dict()


@router.get(
    "/template.csv",
    response_class=Response,
    dependencies=[Require(Perm.register_view)],
    responses={200: {"content": {"text/csv": {}}, "description": "The header row."}},
)
def template_csv(compound: CompoundDep) -> Response:
    """An empty import file (CSV)."""
    return Response(
        import_format.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="readings-template.csv"'},
    )


@router.get(
    "/template.xlsx",
    response_class=Response,
    dependencies=[Require(Perm.register_view)],
    responses={200: {"content": {XLSX: {}}, "description": "The header row and a help sheet."}},
)
def template_xlsx(compound: CompoundDep) -> Response:
    """An empty import workbook (Excel), with a sheet that explains the columns."""
    return Response(
        import_format.template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="readings-template.xlsx"'},
    )
