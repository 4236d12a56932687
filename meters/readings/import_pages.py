"""The readings import page: upload a .csv or .xlsx file and see, row by row, what was saved and what was not.

The result is the answer to the upload itself (not a redirect): the report of refused rows is too long for a
flash message; sending the same file twice saves nothing twice (its rows are "saved before"). The page carries
the report as CSV and Excel downloads.
"""

import base64
import re
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _
from compound.kit.settings import get_settings
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import render
from compound.register.deps import CompoundDep
from compound.register.models import Compound
from meters.quantity import fmt
from meters.readings import import_format, import_report, importer
from meters.readings.import_api import XLSX
from meters.readings.validation import show_time

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
READ = [Require(Perm.readings_write)]
# A file of 100,000 bad rows would make a page no browser wants: list the first ones, count the rest.
MAX_LISTED = 1000


def _page(
    request: Request,
    compound: Compound,
    *,
    report: importer.ImportReport | None = None,
    error: AppError | None = None,
    filename: str = "",
    partial: bool = False,
    status_code: int = 200,
) -> Response:
    saved = report.saved_rows() if report else []
    tz = clock.tz_of(compound)
    context = {
        "compound": compound,
        "report": report,
        "issues": report.issues[:MAX_LISTED] if report else [],
        "saved_rows": saved[:MAX_LISTED],
        "saved_more": max(len(saved) - MAX_LISTED, 0),
        "downloads": _downloads(report, filename) if report else None,
        "problem": import_report.problem,
        "show_time": lambda at: show_time(at, tz),
        "fmt": fmt,
        "error": error,
        "filename": filename,
        "partial": partial,
    }
    return render(request, "meters/import.html", context, status_code=status_code)


def _downloads(report: importer.ImportReport, filename: str) -> dict[str, str] | None:
    """The report as CSV and Excel files carried by the page itself (data: links, no JavaScript): the answer to
    an upload is not kept anywhere to be fetched again. None for a report too long to carry."""
    if len(report.issues) + report.saved + len(report.already_saved) > import_report.DOWNLOAD_MAX_ROWS:
        return None
    stem = re.sub(r"[^\w.-]+", "_", filename.rsplit(".", 1)[0], flags=re.ASCII).strip("._")[:40]
    return {
        "name": f"import-report-{stem}" if stem else "import-report",
        "csv": "data:text/csv;charset=utf-8;base64," + base64.b64encode(import_report.as_csv(report)).decode(),
        "xlsx": f"data:{XLSX};base64," + base64.b64encode(import_report.as_xlsx(report)).decode(),
    }


def _run(session: Session, compound: Compound, upload: UploadFile | None, partial: bool) -> importer.ImportReport:
    """The import's report; raises ImportRefused (nothing saved) or an AppError naming the file's problem."""
    if upload is None or not upload.filename:  # a form sent with no file chosen has an empty file part
        raise import_format.ImportFileError(_("Choose a .csv or .xlsx file to import."), field="file")
    data = upload.file.read(get_settings().max_upload_bytes + 1)
    return importer.import_file(session, compound=compound, data=data, filename=upload.filename, partial=partial)


@router.get("/c/{compound_id}/import", name="readings_import", dependencies=READ)
def import_page(request: Request, compound: CompoundDep) -> Response:
    return _page(request, compound)


@router.post("/c/{compound_id}/import", dependencies=READ)
def import_upload(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    file: Annotated[UploadFile | None, File()] = None,
    partial: Annotated[str, Form()] = "",
) -> Response:
    keep_valid = bool(partial)
    filename = (file.filename or "") if file else ""
    try:
        report = _run(session, compound, file, keep_valid)
    except importer.ImportRefused as exc:  # its status rolls the request back: nothing of the file is kept
        return _page(
            request, compound, report=exc.report, filename=filename, partial=keep_valid, status_code=exc.status_code
        )
    except AppError as exc:
        return _page(request, compound, error=exc, filename=filename, partial=keep_valid, status_code=exc.status_code)
    return _page(request, compound, report=report, filename=filename, partial=keep_valid)
