"""CSV and Excel exports never hand a spreadsheet a formula to run (issue 7, item 3)."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from compound.kit.export import csv_text, neutral, xlsx_bytes

ATTACKS = ['=HYPERLINK("http://evil.example/","Click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


@pytest.mark.parametrize("cell", ATTACKS)
def test_text_that_starts_like_a_formula_is_written_as_text(cell):
    assert neutral(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["W-1-1-101", "李师傅", "", "a=b", " =x", "1.5"])
def test_other_text_is_left_alone(cell):
    assert neutral(cell) == cell


def test_numbers_are_numbers_even_below_zero():
    # A number is no formula: -5 stays -5 (only text is neutralised).
    assert [neutral(v) for v in (-5, Decimal("-1.25"), 0, None)] == [-5, Decimal("-1.25"), 0, None]


def test_csv_cells_are_neutralised_and_read_back_as_written():
    text = csv_text(["serial", "note"], [[cell, cell] for cell in ATTACKS])
    assert text.startswith("\ufeff")  # Excel then reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["serial", "note"]
    assert [r[0] for r in rows[1:]] == ["'" + c for c in ATTACKS]


def test_xlsx_cells_are_text_never_formulas():
    wb = load_workbook(io.BytesIO(xlsx_bytes(["serial"], [[c] for c in ATTACKS] + [[-5]])))
    cells = [row[0] for row in wb.active.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells[:-1])
    # (The workbook's XML turns the carriage return into a newline; it stays text behind the apostrophe.)
    assert [c.value for c in cells[:-1]] == ["'" + c.replace("\r", "\n") for c in ATTACKS]
    assert cells[-1].value == -5 and cells[-1].data_type == "n"
