"""Reading a small confirmation table the payroll office sends back: a .csv (UTF-8 or GB18030) or an .xlsx."""

import csv
import io
import zipfile
from typing import Any

from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _

MAX_BYTES = 10 * 2**20


def read_rows(data: bytes, filename: str) -> list[list[Any]]:
    """Every row of the file's first sheet, header included, as lists of cell values (text trimmed)."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is larger than %(mb)s MB.", mb=MAX_BYTES // 2**20), field="file")
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return _xlsx(data)
    if filename.lower().endswith((".csv", ".txt")):
        return _csv(data)
    raise InvalidInput(_("“%(name)s” is neither a .csv nor an .xlsx file.", name=filename), field="file")


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(_("The file is not UTF-8 or GB18030 text."), field="file")
    try:
        return [[_clean(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as e:
        raise InvalidInput(_("The CSV file cannot be read: %(reason)s.", reason=str(e)), field="file") from None


def _xlsx(data: bytes) -> list[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [[_clean(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as e:
        raise InvalidInput(
            _("The file cannot be read as an Excel workbook (%(reason)s).", reason=str(e)), field="file"
        ) from None
