"""`compound reconcile` and `compound balance` through the real command line (a database of their own)."""

import json
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

import compound.kit.db
from compound.kit import i18n
from compound.shell.cli import app
from compound.shell.migrate import upgrade
from tests.reports.scenarios import Check, Leaf, Scenario, Unmetered, build, local

ENV = {"COLUMNS": "200"}
KEYS = {
    "period",
    "utility",
    "system_input",
    "billed_metered",
    "billed_unmetered",
    "unbilled_metered",
    "unbilled_unmetered",
    "apparent_losses",
    "real_losses",
    "non_revenue",
    "zones",
    "estimated",
    "money",
}


@pytest.fixture(scope="module")
def cli_engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('reconcile')}/cli.db"
    upgrade(url)
    engine = compound.kit.db.make_engine(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compound.kit.db, "get_engine", lambda: engine)
        yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def code(cli_engine) -> str:
    """A committed compound: a master, a check meter with two flats, the centre's boiler, lawns, a leak."""
    s = Scenario(
        leaves=[Leaf("BOILER", 2_000, "Public", own_use=True)],
        checks=[Check("C-LIVING", "Living", [Leaf("F1", 500, "Living"), Leaf("F2", 700, "Living")])],
        unmetered=[Unmetered("Lawns", Decimal("300"), zone="Public")],
        leak_milli_per_day=4_000,
    )
    times = [local(date(2025, m, 1)) for m in (3, 4, 5)]
    with Session(cli_engine, expire_on_commit=False) as session:
        built = build(session, s, times)
        built.compound.code = f"R{uuid4().hex[:6]}"
        session.commit()
        return built.compound.code


def run(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def test_reconcile_prints_the_keys_of_the_issue_as_decimal_strings(code):
    r = run("reconcile", "2025-04", "--utility", "water", "--compound", code, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == KEYS
    assert (out["period"], out["utility"]) == ("2025-04", "water")
    # 30 days: flats 1,200 + boiler 2,000 thousandths a day, lawns 300 m³, a leak of 4 m³ a day.
    assert out["system_input"] == "516.000"
    assert (out["billed_metered"], out["unbilled_metered"], out["unbilled_unmetered"]) == (
        "36.000",
        "60.000",
        "300.000",
    )
    assert out["real_losses"] == "120.000" and out["apparent_losses"] == "0.000"
    assert all(isinstance(out[k], str) for k in KEYS - {"zones", "estimated", "money"})
    assert {tuple(sorted(z)) for z in out["zones"]} == {("children", "code", "estimated", "input", "loss")}
    assert out["zones"][0] == {
        "code": "MASTER",
        "input": "516.000",
        "children": "396.000",
        "loss": "120.000",
        "estimated": True,
    }
    assert "unbilled_unmetered" in out["estimated"] and "billed_metered" not in out["estimated"]


def test_reconcile_details_add_the_alignment_and_the_indicators(code):
    out = json.loads(
        run("reconcile", "2025-04", "--utility", "water", "--compound", code, "--json", "--details").output
    )
    details = out["details"]
    assert details["masters"][0]["alignment"]["start"]["how"] == "reading"
    assert details["indicators"]["ili_not_valid_because"]["code"] == "too_few_connections"


def test_reconcile_as_a_table_says_which_figures_are_estimated(code):
    r = run("reconcile", "2025-Q2", "--utility", "water", "--compound", code)
    assert r.exit_code == 0, r.output
    assert "System input" in r.output and "estimated" in r.output and "C-LIVING" in r.output


def test_a_bad_period_is_refused_naming_it(code):
    r = run("reconcile", "2025-13", "--utility", "water", "--compound", code, "--json")
    assert r.exit_code == 1 and "period:" in r.output


def test_quick_balance_from_a_file(tmp_path):
    f = tmp_path / "totals.json"
    f.write_text(json.dumps({"system_input": 1200, "billed_metered": "900.5", "customer_meter_error_fraction": 0.04}))
    r = run("balance", "water", "--from", str(f), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # 900.5 / 0.96 − 900.5 = 37.520833… → 37.521
    assert (out["customer_meter_error"], out["real_losses"]) == ("37.521", "261.979")


def test_quick_balance_refusals_name_the_key_in_the_readers_language(tmp_path, monkeypatch):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"system_input": -5}))
    r = run("balance", "water", "--from", str(f), "--json")
    assert r.exit_code == 1 and "system_input: must not be negative" in r.output
    monkeypatch.setenv("COMPOUND_LOCALE", "zh_Hans")
    i18n.set_locale("zh_Hans")
    r = CliRunner().invoke(app, ["balance", "water", "--from", str(f)], env={**ENV, "COMPOUND_LOCALE": "zh_Hans"})
    assert r.exit_code == 1 and r.output.startswith("system_input: ") and "不能为负" in r.output


def test_report_writes_the_leaders_month_in_chinese_and_english(code, tmp_path):
    out = tmp_path / "report.html"
    r = run("report", "2025-04", "--out", str(out), "--compound", code)
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "水电月度报告" in html and html.count("<svg") == 5
    r = run("report", "2025-04", "--out", str(out), "--compound", code, "--lang", "en")
    assert r.exit_code == 0 and "Water and electricity: monthly report" in out.read_text(encoding="utf-8")
    bad = run("report", "2025-Q2", "--out", str(out), "--compound", code)
    assert bad.exit_code == 1 and "period:" in bad.output
