"""Input that once answered 500 (issue 7, item 11): every one a refusal naming the field, on both databases."""

import io
import logging
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from meters.models import Reading, Seal
from tests.factories import add_reading, make_building, make_compound, make_meter, make_unmetered

DAY = timedelta(days=1)


@pytest.fixture
def site(session, frozen_now):
    c = make_compound(session, name="Refusal compound")
    b = make_building(session, compound=c)
    m = make_meter(session, compound=c, building=b, serial="W-001")
    add_reading(session, compound=c, meter=m, value="100", at=frozen_now - 30 * DAY)
    return c, b, m


def _readings(session, m) -> list[int]:
    q = sa.select(Reading.value_milli).where(Reading.meter_id == m.id).order_by(Reading.read_at)
    return list(session.scalars(q))


# The import: times outside the calendar a timezone can reach


@pytest.mark.parametrize("at", ["0001-01-01 00:00", "9999-12-31T23:59:59-10:00", "1969-12-31 23:00", "0001-01-01"])
def test_an_import_row_at_the_ends_of_the_calendar_is_refused_naming_read_at(client, session, site, at):
    c, _, m = site
    data = f"meter_serial,read_at,value\nW-001,{at},110\n".encode()
    r = client.post(f"/api/compounds/{c.id}/readings/import", files={"file": ("r.csv", data, "text/csv")})
    assert r.status_code == 422, r.text
    [row] = r.json()["rows"]
    assert (row["row"], row["field"], row["code"]) == (2, "read_at", "read_at_out_of_range")
    assert "1970" in row["message"] and "2199" in row["message"]
    assert _readings(session, m) == [100_000]


def test_an_excel_serial_date_far_outside_the_calendar_is_refused(client, session, site):
    c, _, m = site
    wb = Workbook()
    wb.active.append(["meter_serial", "read_at", "value"])
    wb.active.append(["W-001", 2958465.99, 110])  # 9999-12-31 23:45 as an Excel number
    wb.active.append(["W-001", 1, 111])  # 1900-01-01
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(f"/api/compounds/{c.id}/readings/import", files={"file": ("r.xlsx", buf.getvalue())})
    assert r.status_code == 422, r.text
    assert [(i["row"], i["code"]) for i in r.json()["rows"]] == [
        (2, "read_at_out_of_range"),
        (3, "read_at_out_of_range"),
    ]


# Malformed workbooks


def _workbook() -> bytes:
    wb = Workbook()
    wb.active.append(["meter_serial", "read_at", "value"])
    wb.active.append(["W-001", "2026-10-31 08:00", "110"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The workbook with some of its parts replaced (None: left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = replace.get(info.filename, src.read(info.filename))
            if body is not None:
                dst.writestr(info.filename, body)
    return out.getvalue()


def _part(name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(_workbook())) as z:
        return z.read(name)


SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i + 1} "{("&lol" + (str(i) if i else "") + ";") * 10}">'.encode() for i in range(9))
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
)
NO_SHEETS = (
    b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets/></workbook>'
)
MALFORMED = {
    "truncated sheet": lambda: _rewrite(_workbook(), {SHEET: _part(SHEET)[: len(_part(SHEET)) // 2]}),
    "sheet missing": lambda: _rewrite(_workbook(), {SHEET: None}),
    "bad workbook.xml": lambda: _rewrite(_workbook(), {"xl/workbook.xml": b"<workbook><sheets><sheet"}),
    "workbook.xml missing": lambda: _rewrite(_workbook(), {"xl/workbook.xml": None}),
    "bad styles.xml": lambda: _rewrite(_workbook(), {"xl/styles.xml": b"<styleSheet><numFmts count="}),
    "bad [Content_Types].xml": lambda: _rewrite(_workbook(), {"[Content_Types].xml": b"<Types><Override"}),
    "no [Content_Types].xml": lambda: _rewrite(_workbook(), {"[Content_Types].xml": None}),
    "no sheet at all": lambda: _rewrite(_workbook(), {"xl/workbook.xml": NO_SHEETS}),
    "billion laughs": lambda: _rewrite(_workbook(), {SHEET: LAUGHS}),
    "external entity (XXE)": lambda: _rewrite(_workbook(), {SHEET: XXE}),
    "a zip of something else": lambda: _rewrite(_workbook(), {n: None for n in ("xl/workbook.xml", SHEET)}),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_workbook_is_refused_as_a_file_problem(client, session, site, kind):
    c, _, m = site
    r = client.post(f"/api/compounds/{c.id}/readings/import", files={"file": ("r.xlsx", MALFORMED[kind]())})
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["error"], body["field"]) == ("ImportFileError", "file")
    assert "Excel" in body["detail"] and "root:" not in body["detail"]  # /etc/passwd never shows
    assert _readings(session, m) == [100_000]


@pytest.mark.parametrize("kind", ["truncated sheet", "billion laughs", "no sheet at all"])
def test_the_import_page_shows_a_malformed_workbooks_problem(client, session, site, kind):
    c, _, m = site
    r = client.post(f"/c/{c.id}/import", files={"file": ("round.xlsx", MALFORMED[kind]())})
    assert r.status_code == 422, r.text
    assert "round.xlsx" in r.text and "Excel" in r.text
    assert _readings(session, m) == [100_000]


# The round sheet


@pytest.mark.parametrize("at", ["0001-01-01T00:00", "1969-12-31T23:00", "9999-12-31T23:59", "2200-01-01T00:00"])
def test_a_round_sheet_time_outside_the_years_is_refused(client, session, site, at):
    c, b, m = site
    r = client.post(f"/c/{c.id}/rounds/building/{b.id}", data={"read_at": at, f"value_{m.id}": "110"})
    assert r.status_code == 422, r.text
    assert "The year must be between 1970 and 2199." in r.text
    assert _readings(session, m) == [100_000]


# The unmetered-use estimate


@pytest.mark.parametrize(
    ("start", "end"), [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-01"), ("2026-01-01", "2200-01-01")]
)
def test_an_estimate_over_dates_outside_the_years_is_refused(client, session, site, start, end):
    c, _, _ = site
    use = make_unmetered(session, compound=c, rule="fixed", category="other", utility="water", fixed_per_month="10")
    r = client.get(f"/api/compounds/{c.id}/unmetered/{use.id}/estimate", params={"start": start, "end": end})
    assert r.status_code == 422, r.text
    assert r.json()["field"] in ("start", "end") and "1970" in r.text


# The meter page's forms: the API's limits, on SQLite as on PostgreSQL

LONG = "x" * 5000


def _seal(session, c, m) -> Seal:
    from meters.register import seals

    return seals.add_seal(
        session,
        compound=c,
        meter=m,
        number="S-7",
        sealed_date=m.installed_date or __import__("datetime").date(2026, 1, 5),
        sealed_by="Wang",
    )


@pytest.mark.parametrize(
    ("data", "field", "limit"),
    [
        ({"number": LONG, "sealed_date": "2026-10-30", "sealed_by": "Wang"}, "number", 64),
        ({"number": "S-1", "sealed_date": "2026-10-30", "sealed_by": LONG}, "sealed_by", 100),
        ({"number": "S-1", "sealed_date": "0001-01-01", "sealed_by": "Wang"}, "sealed_date", None),
    ],
)
def test_the_seal_form_applies_the_apis_limits(client, session, site, data, field, limit):
    c, _, m = site
    r = client.post(f"/c/{c.id}/meters/{m.id}/seals", data=data)
    assert r.status_code == 422, r.text
    assert (f"at most {limit} characters" if limit else "The year must be between 1970 and 2199.") in r.text
    assert session.scalars(sa.select(Seal).where(Seal.meter_id == m.id)).all() == []


@pytest.mark.parametrize(
    ("data", "limit"),
    [
        ({"broken_date": "2026-10-31", "broken_by": LONG, "note": "wire cut"}, 100),
        ({"broken_date": "2026-10-31", "broken_by": "Zhao", "note": LONG}, 500),
        ({"broken_date": "0001-01-01", "broken_by": "Zhao", "note": ""}, None),
    ],
)
def test_the_break_form_applies_the_apis_limits(client, session, site, data, limit):
    c, _, m = site
    seal = _seal(session, c, m)
    r = client.post(f"/c/{c.id}/meters/{m.id}/seals/{seal.id}/break", data=data)
    assert r.status_code == 422, r.text
    assert (f"at most {limit} characters" if limit else "The year must be between 1970 and 2199.") in r.text
    session.refresh(seal)
    assert seal.broken_date is None


@pytest.mark.parametrize(("name", "limit"), [("new_serial", 64), ("read_by", 100), ("note", 500)])
def test_the_replacement_form_applies_the_apis_limits(client, session, site, name, limit):
    c, _, m = site
    data = {"final_value": "165", "new_serial": "W-002", "new_value": "0", "at": "2026-11-01T10:00"}
    r = client.post(f"/c/{c.id}/meters/{m.id}/replace", data={**data, name: LONG})
    assert r.status_code == 422, r.text
    assert f"at most {limit} characters" in r.text
    assert _readings(session, m) == [100_000]


def test_the_round_sheets_reader_name_is_limited_as_in_the_api(client, session, site, frozen_now):
    c, b, m = site
    r = client.post(
        f"/c/{c.id}/rounds/building/{b.id}",
        data={"read_at": "2026-11-01T08:00", "read_by": LONG, f"value_{m.id}": "110"},
    )
    assert r.status_code == 422, r.text
    assert "at most 100 characters" in r.text
    assert _readings(session, m) == [100_000]


# A 500 that still happens: the headers and the log


def test_an_unexpected_error_answers_500_with_the_security_headers_and_logs_the_traceback(app, anon, caplog):
    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("the real cause")

    with caplog.at_level(logging.ERROR):
        r = anon.get("/boom-for-test")
    assert r.status_code == 500 and r.json()["error"] == "InternalError"
    for header in ("content-security-policy", "x-content-type-options", "x-frame-options", "cache-control"):
        assert header in r.headers, header
    assert r.headers["cache-control"] == "no-store"
    [record] = [rec for rec in caplog.records if "unhandled error" in rec.getMessage()]
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "the real cause" in caplog.text and "NoneType: None" not in caplog.text
