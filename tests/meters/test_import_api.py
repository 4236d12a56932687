"""POST /api/compounds/{id}/readings/import and the template downloads."""

import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from compound.audit.models import AuditEntry
from compound.auth.models import Role
from meters.models import Reading
from tests.factories import add_reading, make_compound, make_meter
from tests.personas import bearer, make_user


@pytest.fixture
def site(session, frozen_now):
    c = make_compound(session)
    meters = [make_meter(session, compound=c, serial=s) for s in ("W-001", "W-002")]
    for m in meters:
        add_reading(session, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
    return c


@pytest.fixture
def client(client, session, site):
    """The test client, as a maintenance worker of the compound (bearer token)."""
    client.headers.update(bearer(session, make_user(session, role=Role.maintenance, compounds=[site])))
    return client


def _url(c) -> str:
    return f"/api/compounds/{c.id}/readings/import"


def _csv(*lines: str) -> bytes:
    return ("meter_serial,read_at,value,note\n" + "".join(f"{line}\n" for line in lines)).encode()


def _imported(session, c) -> list[int]:
    q = sa.select(Reading.value_milli).where(Reading.compound_id == c.id, Reading.source == "import")
    return sorted(session.execute(q).scalars())


def test_upload_saves_the_rows_and_answers_201(client, session, site):
    r = client.post(
        _url(site), files={"file": ("r.csv", _csv("W-001,2026-10-31,110,", "W-002,2026-10-31,111,"), "text/csv")}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["mode"], body["total"], body["saved"], body["refused"], body["rows"]) == (
        "all_or_nothing",
        2,
        2,
        0,
        [],
    )
    assert _imported(session, site) == [110_000, 111_000]


def test_one_refused_row_answers_422_with_the_report_and_saves_nothing(client, session, site):
    r = client.post(_url(site), files={"file": ("r.csv", _csv("W-001,2026-10-31,110,", "W-002,2026-10-31,90,"))})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "ImportRefused" and body["saved"] == 0 and body["mode"] == "all_or_nothing"
    assert [(x["row"], x["serial"], x["code"], x["field"]) for x in body["rows"]] == [
        (3, "W-002", "lower_than_previous", "value")
    ]
    assert _imported(session, site) == []


def test_partial_form_field_keeps_the_valid_rows(client, session, site):
    r = client.post(
        _url(site),
        data={"partial": "true"},
        files={"file": ("r.csv", _csv("W-001,2026-10-31,110,", "W-002,2026-10-31,90,"))},
    )
    assert r.status_code == 201
    body = r.json()
    assert (body["mode"], body["saved"], body["refused"]) == ("partial", 1, 1)
    assert body["rows"][0]["code"] == "lower_than_previous"
    assert _imported(session, site) == [110_000]


def test_xlsx_upload(client, session, site):
    wb = Workbook()
    wb.active.append(["表号", "抄表时间", "读数", "备注"])
    wb.active.append(["W-001", datetime(2026, 10, 31, 8, 0), 105.25, "一楼"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(_url(site), files={"file": ("r.xlsx", buf.getvalue())})
    assert r.status_code == 201, r.text
    assert _imported(session, site) == [105_250]


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("r.csv", b"meter_serial,value\nW-001,1\n", "read_at"),
        ("r.csv", b"serial,read_at\nW-001,2026-10-31\n", "value"),
        ("r.xlsx", b"garbage", "file"),
        ("r.doc", b"hello", "file"),
    ],
)
def test_bad_files_answer_422_naming_the_problem(client, site, name, data, field):
    r = client.post(_url(site), files={"file": (name, data)})
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == field and body["error"] == "ImportFileError" and body["detail"]


def test_no_file_answers_422_naming_the_field(client, site):
    r = client.post(_url(site), data={"partial": "true"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"


def test_unknown_compound_answers_404(client, site):
    r = client.post("/api/compounds/999999/readings/import", files={"file": ("r.csv", _csv("W-001,2026-10-31,1,"))})
    assert r.status_code == 404


def test_templates_download(client, site):
    r = client.get(f"/api/compounds/{site.id}/readings/template.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.decode("utf-8-sig").strip() == "meter_serial,read_at,value,note"
    assert "attachment" in r.headers["content-disposition"]
    r = client.get(f"/api/compounds/{site.id}/readings/template.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in ws[1]] == ["meter_serial", "read_at", "value", "note"]


def test_a_role_without_readings_write_gets_403_and_nothing_is_saved(client, session, site):
    finance = bearer(session, make_user(session, role=Role.finance, compounds=[site]))
    r = client.post(_url(site), headers=finance, files={"file": ("r.csv", _csv("W-001,2026-10-31,110,"))})
    assert r.status_code == 403
    assert _imported(session, site) == []


def test_the_import_leaves_one_audit_entry_naming_the_user_and_file(client, session, site):
    client.post(_url(site), files={"file": ("round-7.csv", _csv("W-001,2026-10-31,110,"))})
    q = sa.select(AuditEntry).where(AuditEntry.compound_id == site.id, AuditEntry.action == "import")
    [entry] = session.execute(q).scalars()
    assert entry.object_type == "reading" and entry.username.startswith("maintenance")
    assert "round-7.csv" in entry.summary and "1 of 1" in entry.summary
