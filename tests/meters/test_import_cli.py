"""`compound readings import` and `compound readings template` through the real command line.

The command opens its own sessions and commits, so it runs against a database of its own (a SQLite file
built by the migrations), not the test database whose tests roll back.
"""

import csv
from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import Session
from typer.testing import CliRunner

import compound.kit.db
from compound.audit.models import AuditEntry
from compound.register.models import Compound
from compound.shell.cli import app
from compound.shell.migrate import upgrade
from meters.models import Meter, Reading
from tests.factories import add_reading, make_meter

ENV = {"COLUMNS": "200"}  # a wide table, so codes and messages are not wrapped


@pytest.fixture(scope="module")
def cli_engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/cli.db"
    upgrade(url)
    engine = compound.kit.db.make_engine(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compound.kit.db, "get_engine", lambda: engine)  # what session_scope() opens
        yield engine
    engine.dispose()


@pytest.fixture
def committed(cli_engine, frozen_now):
    """A committed compound with meters W-001 and W-002, each read 30 days ago at 100."""
    with Session(cli_engine, expire_on_commit=False) as s:
        c = Compound(code=f"CLI-{uuid4().hex[:8]}", name="CLI compound")
        s.add(c)
        s.flush()
        for serial in ("W-001", "W-002"):
            m = make_meter(s, compound=c, serial=serial)
            add_reading(s, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
        s.commit()
    return SimpleNamespace(code=c.code, id=c.id)


def _imported(engine, compound_id: int) -> list[tuple[str, int]]:
    q = (
        sa.select(Meter.serial, Reading.value_milli)
        .join(Meter, Meter.id == Reading.meter_id)
        .where(Reading.compound_id == compound_id, Reading.source == "import")
        .order_by(Meter.serial)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


def _run(*args: str):
    return CliRunner().invoke(app, ["readings", *args], env=ENV)


def _file(tmp_path, *lines: str):
    path = tmp_path / "readings.csv"
    path.write_text("meter_serial,read_at,value,note\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_import_saves_every_row_and_exits_0(cli_engine, committed, tmp_path):
    path = _file(tmp_path, "W-001,2026-10-31 08:00,110,", "W-002,2026-10-31 08:00,120.5,")
    result = _run("import", str(path), "--compound", committed.code)
    assert result.exit_code == 0, result.output
    assert "all-or-nothing" in result.output and "2 of 2 rows saved" in result.output
    assert _imported(cli_engine, committed.id) == [("W-001", 110_000), ("W-002", 120_500)]


def test_all_or_nothing_saves_nothing_prints_the_report_and_exits_1(cli_engine, committed, tmp_path):
    path = _file(tmp_path, "W-001,2026-10-31,110,", "W-002,2026-10-31,90,", "W-404,2026-10-31,1,")
    result = _run("import", str(path), "--compound", committed.code)
    assert result.exit_code == 1
    assert "lower_than_previous" in result.output and "unknown_meter" in result.output
    assert "nothing was saved" in result.output and "--partial" in result.output
    assert _imported(cli_engine, committed.id) == []


def test_partial_keeps_valid_rows_writes_the_report_and_exits_2(cli_engine, committed, tmp_path):
    path = _file(tmp_path, "W-001,2026-10-31,110,", "W-002,2026-10-31,90,")
    report = tmp_path / "report.csv"
    result = _run("import", str(path), "--partial", "--compound", str(committed.id), "--report", str(report))
    assert result.exit_code == 2, result.output
    assert "partial" in result.output and "1 of 2 rows saved" in result.output
    assert _imported(cli_engine, committed.id) == [("W-001", 110_000)]
    with report.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    # Every row of the file: the saved one too, and each in words beside its code.
    assert [(r["Row"], r["Meter serial"], r["Result"], r["Problem"], r["code"]) for r in rows] == [
        ("2", "W-001", "saved", "", ""),
        ("3", "W-002", "not saved", "Lower than the previous reading", "lower_than_previous"),
    ]
    assert rows[0]["Reading"] == "110" and rows[0]["Reading time"] == "2026-10-31 00:00"


def test_the_report_never_hands_a_spreadsheet_a_formula(cli_engine, committed, tmp_path):
    path = _file(tmp_path, "W-001,2026-10-31,110,", '"=HYPERLINK(""http://evil.example/"",""x"")",2026-10-31,1,')
    report = tmp_path / "report.csv"
    result = _run("import", str(path), "--partial", "--compound", committed.code, "--report", str(report))
    assert result.exit_code == 2, result.output
    with report.open(encoding="utf-8-sig") as f:
        (_saved, row) = list(csv.DictReader(f))
    assert row["code"] == "unknown_meter"
    assert row["Meter serial"] == '\'=HYPERLINK("http://evil.example/","x")'


def test_a_missing_column_is_named_and_exits_1(cli_engine, committed, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("meter_serial,value\nW-001,110\n", encoding="utf-8")
    result = _run("import", str(path), "--compound", committed.code)
    assert result.exit_code == 1 and "read_at" in result.output


def test_an_unknown_compound_is_refused(cli_engine, committed, tmp_path):
    result = _run("import", str(_file(tmp_path, "W-001,2026-10-31,110,")), "--compound", "NO-SUCH-CODE")
    assert result.exit_code == 1 and "NO-SUCH-CODE" in result.output


def test_template_csv_and_xlsx(cli_engine, tmp_path):
    result = _run("template", str(tmp_path / "t.csv"))
    assert result.exit_code == 0
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").strip() == "meter_serial,read_at,value,note"
    assert _run("template", "--xlsx", str(tmp_path / "t")).exit_code == 0
    with (tmp_path / "t").open("rb") as f:  # --xlsx even without the suffix
        ws = load_workbook(f).worksheets[0]
    assert [c.value for c in ws[1]] == ["meter_serial", "read_at", "value", "note"]


def test_the_import_is_audited_as_the_command_line_user(cli_engine, committed, tmp_path):
    assert _run("import", str(_file(tmp_path, "W-001,2026-10-31,110,")), "--compound", committed.code).exit_code == 0
    q = sa.select(AuditEntry.username, AuditEntry.summary).where(
        AuditEntry.compound_id == committed.id, AuditEntry.action == "import"
    )
    with cli_engine.connect() as conn:
        [(username, summary)] = conn.execute(q).all()
    assert username.startswith("cli:") and "readings.csv" in summary


def test_a_rerun_after_a_partial_import_saves_the_rest_and_exits_0(cli_engine, committed, tmp_path):
    path = _file(tmp_path, "W-001,2026/10/31 9:00,110,", "W-002,2026年10月31日,90,")
    assert _run("import", str(path), "--partial", "--compound", committed.code).exit_code == 2
    path.write_text(path.read_text(encoding="utf-8").replace(",90,", ",190,"), encoding="utf-8")
    report = tmp_path / "again.xlsx"
    result = _run("import", str(path), "--compound", committed.code, "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "1 of 2 rows saved, 1 were saved before, 0 not saved" in result.output
    assert _imported(cli_engine, committed.id) == [("W-001", 110_000), ("W-002", 190_000)]
    ws = load_workbook(report).active
    assert [[c.value for c in row][:3] for row in ws.iter_rows(min_row=2)] == [
        [2, "W-001", "saved before"],
        [3, "W-002", "saved"],
    ]
    again = _run("import", str(path), "--compound", committed.code)
    assert again.exit_code == 0 and "all 2 rows were saved before" in again.output


def test_a_file_larger_than_the_upload_limit_is_refused_before_it_is_read(cli_engine, committed, tmp_path, monkeypatch):
    from compound.kit.settings import get_settings

    monkeypatch.setenv("COMPOUND_MAX_UPLOAD_BYTES", "100")
    get_settings.cache_clear()
    try:
        result = _run("import", str(_file(tmp_path, *["W-001,2026-10-31,110,"] * 10)), "--compound", committed.code)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.exit_code == 1 and "The file is larger than 100 B." in result.output
    assert _imported(cli_engine, committed.id) == []
