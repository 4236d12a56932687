"""Import rules a clerk meets (issue 7, item 18): the dates a Chinese Excel writes, rerunning an import, a row
repeating the file's own, and the report — through the service, the API and the page (the CLI's in
test_import_cli.py)."""

import base64
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from meters.models import Meter, Reading, ReadingSource
from meters.readings.importer import ImportRefused, import_file
from tests.factories import add_reading, make_compound, make_meter

HEADER = "meter_serial,read_at,value,note\n"


def _csv(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode()


@pytest.fixture
def site(session, frozen_now):
    """W-001 and W-002, each read on 2026-10-02 (30 days before the tests' now) at 100."""
    c = make_compound(session)
    meters = [make_meter(session, compound=c, serial=s) for s in ("W-001", "W-002")]
    for m in meters:
        add_reading(session, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
    return c


def _imported(session, c) -> list[tuple[str, datetime, int]]:
    from meters.models import Meter

    q = (
        sa.select(Meter.serial, Reading.read_at, Reading.value_milli)
        .join(Meter, Meter.id == Reading.meter_id)
        .where(Reading.compound_id == c.id, Reading.source == ReadingSource.import_.value)
        .order_by(Meter.serial, Reading.read_at)
    )
    return [tuple(r) for r in session.execute(q)]


# The dates a zh-CN Excel writes into a CSV (Asia/Shanghai, UTC+8)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026/10/31", datetime(2026, 10, 30, 16, 0, tzinfo=UTC)),
        ("2026/10/31 9:00", datetime(2026, 10, 31, 1, 0, tzinfo=UTC)),
        ("2026/10/01 9:00", datetime(2026, 10, 1, 1, 0, tzinfo=UTC) + timedelta(days=2)),
        ("2026-10-3 9:05", datetime(2026, 10, 3, 1, 5, tzinfo=UTC)),
        ("2026年10月31日", datetime(2026, 10, 30, 16, 0, tzinfo=UTC)),
        ("2026年10月31日 9时05分", datetime(2026, 10, 31, 1, 5, tzinfo=UTC)),
        ("２０２６/10/31 ９：３０", datetime(2026, 10, 31, 1, 30, tzinfo=UTC)),
        ("2026/10/31 9:00:30", datetime(2026, 10, 31, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_the_dates_a_chinese_excel_writes_are_read_in_the_compounds_time(session, site, text, utc):
    if text.startswith("2026/10/01"):  # before the last reading: the same form, two days later
        text, utc = "2026/10/03 9:00", datetime(2026, 10, 3, 1, 0, tzinfo=UTC)
    report = import_file(session, compound=site, filename="zh.csv", data=_csv(f"W-001,{text},110,"))
    assert report.saved == 1 and report.issues == []
    assert _imported(session, site) == [("W-001", utc, 110_000)]


def test_a_whole_file_saved_from_a_chinese_excel_imports(client, session, site):
    data = ("表号,抄表时间,读数,备注\r\nW-001,2026/10/31 9:00,110,\r\nW-002,2026年10月31日,120,一楼\r\n").encode(
        "gb18030"
    )
    r = client.post(f"/api/compounds/{site.id}/readings/import", files={"file": ("抄表.csv", data, "text/csv")})
    assert r.status_code == 201, r.text
    assert (r.json()["saved"], r.json()["rows"]) == (2, [])


@pytest.mark.parametrize("text", ["2026/13/1", "2026/2/30", "31/10/2026", "2026年10月", "2026/10/31 25:00"])
def test_what_is_no_date_stays_refused_as_bad_read_at(session, site, text):
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=site, filename="r.csv", data=_csv(f"W-001,{text},110,"))
    [issue] = e.value.report.issues
    assert (issue.code, issue.field) == ("bad_read_at", "read_at") and "2026/11/1 8:30" in issue.message


# Running an import again


def test_rerunning_a_partial_import_calls_the_saved_rows_saved_before_not_duplicates(client, session, site):
    url = f"/api/compounds/{site.id}/readings/import"
    data = _csv("W-001,2026-10-20 08:00,105,", "W-001,2026-10-31 08:00,110,", "W-002,2026-10-31 08:00,90,")
    first = client.post(url, data={"partial": "true"}, files={"file": ("r.csv", data)})
    assert first.status_code == 201 and first.json()["saved"] == 2
    # The clerk fixes row 4 and imports the whole file again, in the default all-or-nothing mode.
    fixed = data.replace(b"90,", b"190,")
    again = client.post(url, files={"file": ("r.csv", fixed)})
    assert again.status_code == 201, again.text
    body = again.json()
    assert (body["saved"], body["already_saved"], body["refused"], body["rows"]) == (1, 2, 0, [])
    assert body["summary"] == "Mode all-or-nothing: 1 of 3 rows saved, 2 were saved before, 0 not saved."
    assert [(s["row"], s["serial"], s["already_saved"]) for s in body["saved_rows"]] == [
        (2, "W-001", True),
        (3, "W-001", True),
        (4, "W-002", False),
    ]
    assert [v for _, _, v in _imported(session, site)] == [105_000, 110_000, 190_000]  # nothing twice


def test_a_file_imported_twice_saves_nothing_twice_and_refuses_nothing(session, site):
    data = _csv("W-001,2026-10-31 08:00,110,", "W-002,2026/10/31 8:00,120.50,")
    import_file(session, compound=site, filename="r.csv", data=data)
    report = import_file(session, compound=site, filename="r.csv", data=data)
    assert (report.saved, len(report.already_saved), report.issues) == (0, 2, [])
    assert "all 2 rows were saved before" in report.summary()
    assert len(_imported(session, site)) == 2


def test_a_row_at_a_stored_time_with_another_value_is_still_refused(session, site, frozen_now):
    import_file(session, compound=site, filename="r.csv", data=_csv("W-001,2026-10-31 08:00,110,"))
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=site, filename="r.csv", data=_csv("W-001,2026-10-31 08:00,111,"))
    [issue] = e.value.report.issues
    assert issue.code == "duplicate" and "110" in issue.message
    with pytest.raises(ImportRefused) as e:  # an older reading of the meter, not the one stored at that time
        import_file(session, compound=site, filename="r.csv", data=_csv("W-001,2026-10-20 08:00,105,"))
    assert [i.code for i in e.value.report.issues] == ["before_last"]


def test_a_corrected_reading_is_not_saved_before(session, site, frozen_now):
    """A reading a clerk corrected since no longer counts: the file's wrong value is refused, not 'saved before'."""
    from meters.readings.corrections import correct_reading

    import_file(session, compound=site, filename="r.csv", data=_csv("W-001,2026-10-31 08:00,110,"))
    wrong = session.scalars(sa.select(Reading).where(Reading.source == ReadingSource.import_.value)).one()
    meter = session.get(Meter, wrong.meter_id)
    correct_reading(session, compound=site, meter=meter, reading_id=wrong.id, value="111")
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=site, filename="r.csv", data=_csv("W-001,2026-10-31 08:00,110,"))
    assert [i.code for i in e.value.report.issues] == ["duplicate"]


# A row repeating the file's own


def test_in_all_or_nothing_a_repeated_row_names_the_row_it_repeats(client, site):
    data = _csv("W-001,2026-10-31 08:00,110,", "W-002,2026-10-31 08:00,90,", "W-001,2026-10-31 08:00,110,")
    r = client.post(f"/api/compounds/{site.id}/readings/import", files={"file": ("r.csv", data)})
    assert r.status_code == 422
    rows = {row["row"]: row for row in r.json()["rows"]}
    assert rows[4]["code"] == "duplicate_in_file"
    assert rows[4]["message"] == "Repeats row 2 of this file, which already gives this meter 110 at 2026-10-31 08:00."
    assert "Already entered" not in r.text  # nothing was saved: no reading is "already" anywhere


# The page's report


def _data_link(html: str, ext: str) -> bytes:
    href = re.search(rf'href="data:[^;]+(?:;charset=utf-8)?;base64,([^"]+)" download="([^"]+\.{ext})"', html)
    assert href, f"no .{ext} download"
    return base64.b64decode(href.group(1))


def test_the_chinese_page_shows_problems_in_chinese_lists_the_rows_saved_and_offers_the_report(client, session, site):
    data = _csv(
        "W-001,2026/10/31 9:00,110,",
        "W-002,2026-10-31,90,",
        '"=HYPERLINK(""http://evil.example/"",""x"")",2026-10-31,1,',
    )
    r = client.post(
        f"/c/{site.id}/import",
        data={"partial": "1"},
        files={"file": ("抄表 10月.csv", data, "text/csv")},
        headers={"Accept-Language": "zh-CN"},
    )
    assert r.status_code == 200, r.text
    page = r.text
    assert "低于上次读数" in page and "本大院没有此表号" in page  # the problems, in words
    assert "lower_than_previous" not in re.sub(r'data-code="[a-z_]+"', "", page)  # no raw code shown
    saved = re.findall(r'<tr class="saved" data-row="(\d+)">', page)
    assert saved == ["2"] and "已保存的行" in page and "此前已保存" not in page
    rows = list(csv.reader(io.StringIO(_data_link(page, "csv").decode("utf-8-sig"))))
    assert rows[0] == ["行号", "表号", "结果", "抄表时间", "读数", "问题", "原因", "code"]
    assert [(r[0], r[2], r[7]) for r in rows[1:]] == [
        ("2", "已保存", ""),
        ("3", "未保存", "lower_than_previous"),
        ("4", "未保存", "unknown_meter"),
    ]
    assert rows[3][1].startswith("'=HYPERLINK")  # never a live formula
    ws = load_workbook(io.BytesIO(_data_link(page, "xlsx"))).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[3][1].startswith("'=HYPERLINK") and ws.cell(4, 2).data_type == "s"
    assert cells[1][:3] == [2, "W-001", "已保存"]


def test_the_page_after_a_rerun_marks_the_rows_saved_before(client, session, site):
    data = _csv("W-001,2026-10-31 08:00,110,", "W-002,2026-10-31 08:00,111,")
    client.post(f"/c/{site.id}/import", files={"file": ("r.csv", data)})
    r = client.post(f"/c/{site.id}/import", files={"file": ("r.csv", data)})
    assert r.status_code == 200, r.text
    assert "all 2 rows were saved before" in r.text
    assert r.text.count('<td data-label="Result">saved before</td>') == 2


def test_the_all_or_nothing_page_lists_no_row_as_saved(client, session, site):
    data = _csv("W-001,2026-10-31 08:00,110,", "W-002,2026-10-31 08:00,90,")
    r = client.post(f"/c/{site.id}/import", files={"file": ("r.csv", data)})
    assert r.status_code == 422
    assert 'class="saved" data-row' not in r.text and "Nothing was saved" in r.text
    rows = list(csv.reader(io.StringIO(_data_link(r.text, "csv").decode("utf-8-sig"))))
    assert [(r[0], r[2]) for r in rows[1:]] == [("3", "not saved")]
