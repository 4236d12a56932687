"""How much of an import file is read at most (issue 7, item 5): rows, unzipped size, file size.

A 536 KB workbook of a million rows once kept a worker for 68 s at 1.7 GB before its 422. Now the sheet's
rows are counted in the XML stream before any is parsed, the zip's declared sizes are checked before
anything is unzipped, and a file is never read past the configured row count.
"""

import io
import struct
import time
import tracemalloc
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook

from meters.readings.import_format import ImportFileError, Limits, read_table
from meters.readings.importer import import_file
from tests.factories import add_reading, make_compound, make_meter

SHEET = "xl/worksheets/sheet1.xml"
NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _with_sheet(write_sheet, *, header: bool = True) -> bytes:
    """A real workbook whose first sheet's XML is written by write_sheet(file)."""
    wb = Workbook()
    wb.active.append(["meter_serial", "read_at", "value"])
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == SHEET:
                with dst.open(SHEET, "w") as f:
                    write_sheet(f)
            else:
                dst.writestr(info, src.read(info.filename))
    return out.getvalue()


HEAD = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>meter_serial</t></is></c><c r="B1" t="inlineStr"><is><t>read_at'
    b'</t></is></c><c r="C1" t="inlineStr"><is><t>value</t></is></c></row>'
)


def _million_rows(f) -> None:
    f.write(NS + b"<sheetData>" + HEAD)
    row = b"<row><c><v>1</v></c><c><v>2</v></c></row>"  # 41 bytes: 41 MB unzipped, under its limit
    block = row * 10_000
    for _ in range(100):
        f.write(block)
    f.write(b"</sheetData></worksheet>")


@pytest.fixture(scope="module")
def million() -> bytes:
    return _with_sheet(_million_rows)


@pytest.fixture
def site(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, serial="W-001")
    add_reading(session, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
    return c


def test_a_small_workbook_of_a_million_rows_is_refused_quickly_in_bounded_memory(session, site, million):
    assert len(million) < 1_000_000  # under 1 MB on the wire, as in the report
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ImportFileError) as e:
            import_file(session, compound=site, filename="huge.xlsx", data=million)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert e.value.status_code == 422 and e.value.field == "file"
    assert e.value.message == "The file has more than 200,000 rows: split it into smaller files."
    # Generous bounds (a shared 2-core machine, tracemalloc's own cost): it was 68 s and 1.7 GB.
    assert elapsed < 15, elapsed
    assert peak < 150 * 2**20, peak


def test_the_row_limit_is_the_configured_one_and_a_file_at_it_is_read(session, site):
    def rows(n):
        def write(f):
            f.write(NS + b"<sheetData>" + HEAD)
            for i in range(n):
                f.write(b'<row><c t="inlineStr"><is><t>W-%d</t></is></c><c><v>46000</v></c><c><v>1</v></c></row>' % i)
            f.write(b"</sheetData></worksheet>")

        return _with_sheet(write)

    limits = Limits(file_bytes=2**20, rows=50, unzipped_bytes=2**20)
    assert len(read_table(rows(50), "r.xlsx", limits=limits)) == 50
    with pytest.raises(ImportFileError, match="more than 50 rows"):
        read_table(rows(51), "r.xlsx", limits=limits)


def test_rows_a_sheet_leaves_out_count_too(session, site):
    """<row r="1000000"> alone: openpyxl fills in the 999,998 rows before it; they count, and stop it."""

    def write(f):
        f.write(NS + b"<sheetData>" + HEAD + b'<row r="1000000"><c r="A1000000"><v>1</v></c></row></sheetData>')
        f.write(b"</worksheet>")

    started = time.monotonic()
    with pytest.raises(ImportFileError, match="more than 200,000 rows"):
        read_table(_with_sheet(write), "gap.xlsx")
    assert time.monotonic() - started < 10


def test_a_cell_far_to_the_right_does_not_widen_every_row(session, site):
    def write(f):
        f.write(b'<?xml version="1.0"?>' + NS + b'<dimension ref="A1:XFD100000"/><sheetData>' + HEAD)
        for i in range(2, 2002):
            f.write(
                b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>W-001</t></is></c><c r="B%d"><v>46000</v></c>'
                b'<c r="C%d"><v>1</v></c><c r="XFD%d"><v>9</v></c></row>' % (i, i, i, i, i)
            )
        f.write(b"</sheetData></worksheet>")

    started = time.monotonic()
    rows = read_table(_with_sheet(write), "wide.xlsx")
    assert len(rows) == 2000 and rows[0][1] == "W-001"
    assert time.monotonic() - started < 5


def test_a_workbook_declaring_more_than_the_unzipped_limit_is_refused_before_unzipping(session, site):
    def bomb(f):
        f.write(NS + b"<sheetData>" + HEAD + b'<row><c t="inlineStr"><is><t>')
        zeros = b"0" * 2**20
        for _ in range(80):  # 80 MB of one cell, a few hundred KB zipped
            f.write(zeros)
        f.write(b"</t></is></c></row></sheetData></worksheet>")

    data = _with_sheet(bomb)
    assert len(data) < 1_000_000
    started = time.monotonic()
    with pytest.raises(ImportFileError) as e:
        import_file(session, compound=site, filename="bomb.xlsx", data=data)
    assert time.monotonic() - started < 1
    assert e.value.message == "The workbook holds more than 64 MB once unzipped: split it, or import it as .csv."


def test_a_workbook_that_lies_about_its_size_is_refused_when_the_lie_shows(session, site):
    """Declared small, really 60 MB: zipfile stops at the declared size and the CRC check fails."""

    def big(f):
        f.write(NS + b"<sheetData>" + HEAD + b'<row><c t="inlineStr"><is><t>')
        for _ in range(60):
            f.write(b"0" * 2**20)
        f.write(b"</t></is></c></row></sheetData></worksheet>")

    data = bytearray(_with_sheet(big))
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # central directory, local header
        at = 0
        while (at := data.find(signature, at)) != -1:
            name_len = struct.unpack_from("<H", data, at + (28 if signature == b"PK\x01\x02" else 26))[0]
            start = at + (46 if signature == b"PK\x01\x02" else 30)
            if data[start : start + name_len] == SHEET.encode():
                struct.pack_into("<I", data, at + offset, 1000)
            at += 4
    with pytest.raises(ImportFileError) as e:
        import_file(session, compound=site, filename="liar.xlsx", data=bytes(data))
    assert "Excel" in e.value.message


def test_a_csv_past_the_row_limit_is_refused(session, site):
    limits = Limits(file_bytes=2**20, rows=100, unzipped_bytes=2**20)
    data = b"meter_serial,read_at,value\n" + b"W-001,2026-10-31,1\n" * 101
    with pytest.raises(ImportFileError, match="more than 100 rows"):
        read_table(data, "r.csv", limits=limits)
    assert len(read_table(data[: -len(b"W-001,2026-10-31,1\n")], "r.csv", limits=limits)) == 100


def test_a_file_past_the_upload_limit_is_refused_naming_the_size(session, site):
    limits = Limits(file_bytes=1000, rows=100, unzipped_bytes=2**20)
    with pytest.raises(ImportFileError, match="larger than 1000 B"):
        read_table(b"meter_serial,read_at,value\n" + b"x" * 1000, "r.csv", limits=limits)


def test_the_limits_come_from_the_settings(monkeypatch):
    from compound.kit.settings import get_settings

    monkeypatch.setenv("COMPOUND_IMPORT_MAX_ROWS", "7")
    monkeypatch.setenv("COMPOUND_IMPORT_MAX_UNZIPPED_BYTES", "12345")
    monkeypatch.setenv("COMPOUND_MAX_UPLOAD_BYTES", "999")
    get_settings.cache_clear()
    try:
        assert Limits.configured() == Limits(file_bytes=999, rows=7, unzipped_bytes=12345)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_shared_string_table_far_larger_than_the_rows_need_is_refused_before_it_is_parsed(session, site):
    limits = Limits(file_bytes=2**20, rows=10, unzipped_bytes=2**24)
    wb = Workbook()
    wb.active.append(["meter_serial", "read_at", "value"])
    buf = io.BytesIO()
    wb.save(buf)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * 10_100
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            dst.writestr(info.filename, body)
        dst.writestr("xl/sharedStrings.xml", strings + b"</sst>")
    with pytest.raises(ImportFileError, match="more than 10 rows"):
        read_table(out.getvalue(), "strings.xlsx", limits=limits)
