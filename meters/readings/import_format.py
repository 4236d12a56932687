"""Reading a readings file: a .csv (UTF-8 or GB18030) or the first sheet of an .xlsx, its header by name or
alias (English or Chinese), its rows as the file holds them, its times; and the template to fill in.
Checking and saving the rows is meters/importer.py's.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from compound.kit.errors import InvalidInput
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

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
MAX_FILE_BYTES = 50 * 1024 * 1024
BATCH = 10_000  # rows per INSERT batch and per progress step

Progress = Callable[[str, int, int], None]  # (stage: "read" | "check" | "save", done, total)


class ImportFileError(InvalidInput):
    """422: the file cannot be read as a readings table (type, encoding, a missing column)."""


# A data row as the file holds it: (row number, meter_serial, read_at, value, note).
RawRow = tuple[int, object, object, object, object]


# --- reading the file ------------------------------------------------------------------------------------


def read_table(data: bytes, filename: str, *, progress: Progress | None = None) -> list[RawRow]:
    """The data rows of a .csv or .xlsx readings file, by its header; raises ImportFileError naming the problem."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // 2**20), field="file")
    kind = _file_kind(data, filename)
    rows = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    total = data.count(b"\n") if kind == "csv" else 0
    return _table(rows, total, progress)


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


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    import openpyxl  # only files need it, not every command

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        raise ImportFileError(
            _("The file cannot be read as an Excel workbook (%(reason)s).", reason=str(e)), field="file"
        ) from None
    try:
        epoch = wb.epoch
        for values in wb.worksheets[0].iter_rows(values_only=True):
            yield tuple(_cell(v, epoch) for v in values)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        raise ImportFileError(
            _("The file cannot be read as an Excel workbook (%(reason)s).", reason=str(e)), field="file"
        ) from None
    finally:
        wb.close()


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


def _table(rows: Iterator[Any], total: int, progress: Progress | None) -> list[RawRow]:
    header = next(rows, None)
    if header is None:
        raise ImportFileError(_("The file is empty."), field="file")
    cols = _header_map(header)
    i_serial, i_at, i_value, i_note = cols["meter_serial"], cols["read_at"], cols["value"], cols.get("note")
    width = max(cols.values()) + 1
    out: list[RawRow] = []
    for n, r in enumerate(rows, start=2):
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


def parse_read_at(raw: object, tz: tzinfo) -> datetime | None:
    """An ISO date or date-time, an Excel date or serial number → aware UTC; None when it is none of these."""
    if isinstance(raw, _Number):
        from openpyxl.utils.datetime import from_excel

        try:
            raw = from_excel(float(raw), raw.epoch)
        except (ValueError, OverflowError, TypeError):
            return None
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = datetime.fromisoformat(text)
        except ValueError:
            try:  # 2026/11/01 08:30, as Excel shows dates in China
                raw = datetime.fromisoformat(text.replace("/", "-"))
            except ValueError:
                return None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        raw = datetime.combine(raw, time())
    if not isinstance(raw, datetime):
        return None
    return (raw if raw.tzinfo else raw.replace(tzinfo=tz)).astimezone(UTC)


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
