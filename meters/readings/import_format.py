"""Reading a readings file: a .csv (UTF-8 or GB18030) or the first sheet of an .xlsx, its header by name or
alias (English or Chinese), its rows as the file holds them, its times; and the template to fill in.
Checking and saving the rows is meters/importer.py's.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import IO, Any

from compound.kit.body_limit import size
from compound.kit.errors import InvalidInput
from compound.kit.forms import read_datetime
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.params import YEARS
from compound.kit.settings import get_settings

COLUMNS = ("meter_serial", "read_at", "value", "note")
REQUIRED = ("meter_serial", "read_at", "value")
# Header names a clerk may use for each column (compared in lower case, spaces as underscores).
ALIASES = {
    "meter_serial": "meter_serial",
    "serial": "meter_serial",
    "表号": "meter_serial",
    "表编号": "meter_serial",
    "read_at": "read_at",
    "抄表时间": "read_at",
    "抄表日期": "read_at",
    "value": "value",
    "reading": "value",
    "读数": "value",
    "表读数": "value",
    "note": "note",
    "备注": "note",
}
CHINESE = {"meter_serial": "表号", "read_at": "抄表时间", "value": "读数", "note": "备注"}
BATCH = 10_000  # rows per INSERT batch and per progress step

Progress = Callable[[str, int, int], None]  # (stage: "read" | "check" | "save", done, total)


class ImportFileError(InvalidInput):
    """422: the file cannot be read as a readings table (type, encoding, a missing column)."""


# A data row as the file holds it: (row number, meter_serial, read_at, value, note).
RawRow = tuple[int, object, object, object, object]


# --- reading the file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much of a file is read at most (COMPOUND_MAX_UPLOAD_BYTES, COMPOUND_IMPORT_MAX_ROWS,
    COMPOUND_IMPORT_MAX_UNZIPPED_BYTES): a 536 KB workbook of a million rows once held a worker for 68 s."""

    file_bytes: int
    rows: int
    unzipped_bytes: int

    @classmethod
    def configured(cls) -> "Limits":
        s = get_settings()
        return cls(s.max_upload_bytes, s.import_max_rows, s.import_max_unzipped_bytes)


def read_table(
    data: bytes, filename: str, *, progress: Progress | None = None, limits: Limits | None = None
) -> list[RawRow]:
    """The data rows of a .csv or .xlsx readings file, by its header; raises ImportFileError naming the problem."""
    limits = limits or Limits.configured()
    if len(data) > limits.file_bytes:
        raise ImportFileError(_("The file is larger than %(size)s.", size=size(limits.file_bytes)), field="file")
    kind = _file_kind(data, filename)
    rows = _xlsx_rows(data, limits) if kind == "xlsx" else _csv_rows(data)
    total = data.count(b"\n") if kind == "csv" else 0
    return _table(rows, total, progress, limits.rows)


def _file_kind(data: bytes, filename: str) -> str:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")) or (not name.endswith((".csv", ".txt")) and data[:4] == b"PK\x03\x04"):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if name.endswith(".xls"):
        raise ImportFileError(_("Old .xls workbooks cannot be read: save the file as .xlsx or .csv."), field="file")
    raise ImportFileError(_("“%(name)s” is neither a .csv nor an .xlsx file.", name=filename), field="file")


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # what Excel writes on a Chinese Windows
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not UTF-8 or GB18030 text."), field="file") from None
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as e:
        raise ImportFileError(_("The CSV file cannot be read: %(reason)s.", reason=str(e)), field="file") from None


def _not_a_workbook(reason: object) -> ImportFileError:
    return ImportFileError(
        _("The file cannot be read as an Excel workbook (%(reason)s).", reason=str(reason)[:200]), field="file"
    )


# The columns of the header row that are read: a cell far to the right must not make rows 16,384 wide.
MAX_COLUMNS = 64
# A row's start tag in sheet XML, with or without a namespace prefix (<row r="2">, <x:row>); a shared string's.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
# Shared strings a readings workbook may hold per row: its four columns, and the other sheets' text besides.
STRINGS_PER_ROW, OTHER_STRINGS = 4, 10_000


def _unzipped_size(archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse a workbook whose parts declare more than the limit unzipped. zipfile never hands out more than
    a part declares (past it, the CRC check fails), so the declared sizes bound what the parser reads."""
    if sum(info.file_size for info in archive.infolist()) > limit:
        raise ImportFileError(
            _("The workbook holds more than %(size)s once unzipped: split it, or import it as .csv.", size=size(limit)),
            field="file",
        )


def _more_than(part: IO[bytes], tag: re.Pattern[bytes], limit: int) -> bool:
    """Whether the XML holds more than `limit` of these tags: counted in the unzipped stream, before any parsing
    (a sheet of a million rows is refused in half a second, not after a minute of XML parsing)."""
    seen, tail = 0, b""
    with part:
        while chunk := part.read(1 << 20):
            block = tail + chunk
            seen += len(tag.findall(block))
            tail = block[-32:]
            seen -= len(tag.findall(tail))  # a tag cut at the end is counted with the next block
            if seen > limit:
                return True
    return False


def _too_many_rows(limit: int) -> ImportFileError:
    shown = f"{limit:,}"
    return ImportFileError(
        _("The file has more than %(max)s rows: split it into smaller files.", max=shown), field="file"
    )


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[tuple[Any, ...]]:
    """The first sheet's rows, streamed once the sizes are known to be bounded.

    openpyxl reads the workbook's parts (content types, shared strings, workbook, styles) and parses the rows;
    not its read-only worksheet, which parses a whole sheet that has no <dimension> just to size it (that was
    the 68 s), and every other sheet of the workbook too.
    """
    from openpyxl.reader.excel import ExcelReader  # only files need it, not every command
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.xml.constants import SHARED_STRINGS

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _unzipped_size(archive, limits.unzipped_bytes)
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except ImportFileError:
        raise
    except Exception as e:  # whatever a malformed workbook makes zipfile or openpyxl raise is the file's problem
        raise _not_a_workbook(e) from None
    try:
        try:
            reader.read_manifest()
            strings = reader.package.find(SHARED_STRINGS)
            if strings is not None and _more_than(
                reader.archive.open(strings.PartName[1:]),
                _STRING_TAG,
                STRINGS_PER_ROW * (limits.rows + 1) + OTHER_STRINGS,
            ):
                raise _too_many_rows(limits.rows)
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            path = _first_sheet(reader)
            if path is None:
                raise ImportFileError(_("The Excel workbook has no sheet."), field="file")
            if _more_than(reader.archive.open(path), _ROW_TAG, limits.rows + 1):  # and the header
                raise _too_many_rows(limits.rows)
            wb = reader.wb
            with reader.archive.open(path) as src:
                parser = WorkSheetParser(
                    src,
                    reader.shared_strings,
                    data_only=True,
                    epoch=wb.epoch,
                    date_formats=wb._date_formats,
                    timedelta_formats=wb._timedelta_formats,
                )
                yield from _sheet_rows(parser.parse(), limits.rows + 1, wb.epoch)
        except ImportFileError:
            raise
        except Exception as e:  # a sheet malformed halfway (truncated XML, a bad cell) is the file's problem too
            raise _not_a_workbook(e) from None
    finally:
        reader.archive.close()


def _first_sheet(reader: Any) -> str | None:
    """The archive path of the workbook's first worksheet (not a chart sheet); None when it has none."""
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return str(rel.target)
    return None


def _sheet_rows(parsed: Iterator[tuple[int, list[dict]]], last: int, epoch: datetime) -> Iterator[tuple[Any, ...]]:
    """Cell values by row, row 1 first: rows the sheet leaves out come as blank ones (so row numbers stay the
    sheet's), and every row after the header is as wide as the columns the header names, however far right a
    cell of it lies."""
    width = MAX_COLUMNS
    expected = 1
    for idx, cells in parsed:
        if idx > last:
            raise _too_many_rows(last - 1)
        if idx < expected:
            continue  # rows out of order: openpyxl keeps the first
        while expected < idx:
            yield ()
            expected += 1
        expected = idx + 1
        values = [None] * width
        for c in cells:
            if (col := c["column"]) <= width:
                values[col - 1] = c["value"]
        if idx == 1:
            width = max(_header_map(values).values(), default=0) + 1
        yield tuple(_cell(v, epoch) for v in values) if any(values) else ()


def _cell(v: Any, epoch: datetime) -> Any:
    """Excel cells as the CSV reader would give them, but real dates stay datetimes."""
    if v is None or isinstance(v, str | datetime | date | time):
        return v
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    return str(v) if not isinstance(v, int | float) or isinstance(v, bool) else _Number(v, epoch)


class _Number(str):
    """A numeric Excel cell: its text for the value column, still a serial date for read_at."""

    epoch: datetime

    def __new__(cls, v: int | float, epoch: datetime) -> "_Number":
        s = super().__new__(cls, str(v))
        s.epoch = epoch
        return s


def _header_map(header: Iterable[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = ALIASES.get(str(name or "").strip().lstrip("\ufeff").lower().replace(" ", "_"))
        if key and key not in found:
            found[key] = i
    for col in REQUIRED:
        if col not in found:
            raise ImportFileError(
                _(
                    "The first row must name the columns: column “%(col)s” (or “%(zh)s”) is missing.",
                    col=col,
                    zh=CHINESE[col],
                ),
                field=col,
            )
    return found


def _table(rows: Iterator[Any], total: int, progress: Progress | None, max_rows: int) -> list[RawRow]:
    header = next(rows, None)
    if header is None:
        raise ImportFileError(_("The file is empty."), field="file")
    cols = _header_map(header)
    i_serial, i_at, i_value, i_note = cols["meter_serial"], cols["read_at"], cols["value"], cols.get("note")
    width = max(cols.values()) + 1
    last = max_rows + 1  # the header is row 1
    out: list[RawRow] = []
    for n, r in enumerate(rows, start=2):
        if n > last:  # blank rows count: they cost reading as much as the others
            rows.close()  # type: ignore[attr-defined]
            raise _too_many_rows(max_rows)
        if len(r) < width:
            r = list(r) + [None] * (width - len(r))
        if not any(r):
            continue  # blank lines between blocks are common in hand-made sheets
        out.append((n, r[i_serial], r[i_at], r[i_value], r[i_note] if i_note is not None else None))
        if progress and n % BATCH == 0:
            progress("read", n, max(total, n))
    if progress:
        progress("read", len(out), len(out))
    return out


# --- reading times ---------------------------------------------------------------------------------------


def _as_datetime(raw: object) -> datetime | None:
    """What a read_at cell says, naive or with its offset, in any year; None when it is no date or time."""
    if isinstance(raw, _Number):
        from openpyxl.utils.datetime import from_excel

        try:
            raw = from_excel(float(raw), raw.epoch)
        except (ValueError, OverflowError, TypeError):
            return None
    if isinstance(raw, str):
        raw = read_datetime(raw)  # ISO, and the dates a Chinese Excel writes (2026/12/1 9:00, 2026年12月1日)
    if isinstance(raw, date) and not isinstance(raw, datetime):
        raw = datetime.combine(raw, time())
    return raw if isinstance(raw, datetime) else None


def parse_read_at(raw: object, tz: tzinfo) -> datetime | None:
    """A date or date-time (as read_datetime reads it), an Excel date or serial number → aware UTC; None when it
    is none of these or its year is outside the years people mean (read_at_out_of_range says which)."""
    at = _as_datetime(raw)
    if at is None or at.year not in YEARS:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=tz)).astimezone(UTC)


def read_at_out_of_range(raw: object) -> bool:
    """A date or time, but in a year outside 1970–2199 (0001-01-01, 9999-12-31T23:59-10:00: no timezone can
    convert them, and nobody read a meter then)."""
    at = _as_datetime(raw)
    return at is not None and at.year not in YEARS


# --- the template ----------------------------------------------------------------------------------------

HELP = (
    ("meter_serial", N_("The meter's serial, as in the register.")),
    ("read_at", N_("When it was read: 2026-11-01 or 2026-11-01 08:30 (the compound's local time), or an Excel date.")),
    ("value", N_("The dial reading, up to three decimal places, without the multiplier.")),
    ("note", N_("Optional, up to 500 characters.")),
)


def template_csv() -> bytes:
    """The header row, with a byte-order mark so Excel opens it as UTF-8."""
    return ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    """A workbook with the header row and a second sheet that explains each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "readings"
    ws.append(list(COLUMNS))
    for cell, width in zip(ws[1], (18, 20, 14, 40), strict=True):
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width
    for row in range(2, 1002):
        ws.cell(row=row, column=2).number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("help")
    help_ws.append([_("Column"), _("Also accepted"), _("What to write")])
    for col, text in HELP:
        help_ws.append([col, CHINESE[col], _(text)])
    help_ws.column_dimensions["C"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
