"""CSV and Excel exports that are safe to open in a spreadsheet. Every export goes through here.

A spreadsheet runs a cell that begins with =, +, -, @ (or a tab or carriage return before one) as a
formula: a user name, a serial or a file name typed as `=HYPERLINK("http://…")` would become a live link
in the reader's Excel. Such text is written with a leading apostrophe, which spreadsheets read as "this
is text". Numbers are written as numbers (a negative number is no formula).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel opens UTF-8 (the Chinese) as UTF-8

Row = Sequence[Any]


def neutral(value: Any) -> Any:
    """The value as it should reach a spreadsheet: text that starts like a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cells(row: Row) -> list[Any]:
    return ["" if v is None else neutral(v) for v in row]


def csv_chunks(header: Row, rows: Iterable[Row]) -> Iterator[str]:
    """The CSV text piece by piece (a streamed download): the BOM and header first, then one piece per row."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(_cells(header))
    yield BOM + buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(_cells(row))
        yield buf.getvalue()


def csv_text(header: Row, rows: Iterable[Row]) -> str:
    return "".join(csv_chunks(header, rows))


def write_csv(path: Path, header: Row, rows: Iterable[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        f.writelines(csv_chunks(header, rows))


def xlsx_bytes(header: Row, rows: Iterable[Row], *, sheet: str = "export") -> bytes:
    """A workbook of one sheet; text cells are stored as text (never formulas), neutralised like the CSV's."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for row in chain([header], rows):
        cells = []
        for value in _cells(row):
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
