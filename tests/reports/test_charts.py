"""The balance charts draw Chinese with real glyphs (never boxes), hatch what is estimated, and carry their numbers."""

import warnings
from datetime import date
from decimal import Decimal as D

import pytest
from fontTools.ttLib import TTFont
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from compound.kit import i18n
from meters.models import Utility
from reports import charts, views
from reports.balance.service import period_balance
from reports.periods import parse_period
from tests.reports.scenarios import Check, Leaf, Scenario, Unmetered, build, local


@pytest.fixture(scope="module")
def cmap() -> set[int]:
    font = TTFont(str(charts.FONT_FILE), fontNumber=0, lazy=True)
    return set(font.getBestCmap())


@pytest.fixture
def chinese():
    i18n.set_locale("zh_Hans")
    yield
    i18n.set_locale("en")


@pytest.fixture
def balance(session):
    s = Scenario(
        leaves=[Leaf("锅炉房", 2_000, "Public", own_use=True)],
        checks=[Check("生活区表", "Living", [Leaf("F1", 800, "Living"), Leaf("F2", 600, "Living")], 100)],
        unmetered=[Unmetered("绿化用水", D("200"), zone="Public")],
        leak_milli_per_day=5_000,
        zones=("办公区", "Living", "Public"),
    )
    built = build(session, s, [local(date(2025, m, 1)) for m in (3, 4, 5)])
    return built, period_balance(
        session, compound=built.compound, utility=Utility.water, period=parse_period("2025-04")
    )


def _draw(chart: charts.Chart) -> list[str]:
    """Draw the figure; the glyph warnings matplotlib gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart.figure.canvas.draw()
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


def _texts(fig: Figure) -> str:
    return "".join(t.get_text() for t in fig.findobj(Text))


def _every_chart(session, built, b) -> list[charts.Chart]:
    c, p = built.compound, b.period
    return [views.chart(session, c, name, p, Utility.water) for name in views.CHARTS]


def test_every_balance_chart_draws_its_chinese_text_with_glyphs_the_font_has(session, balance, chinese, cmap):
    built, b = balance
    for chart in _every_chart(session, built, b):
        drawn = _texts(chart.figure)
        han = [ch for ch in drawn if "\u4e00" <= ch <= "\u9fff"]
        assert han, "the chart should carry Chinese text"
        missing = sorted({ch for ch in drawn if not ch.isspace() and ord(ch) not in cmap})
        assert missing == [], missing
        assert _draw(chart) == []


def test_the_night_flow_chart_draws_chinese_too(chinese, cmap):
    chart = charts.night_flow(
        intervals=[("02:00–02:30", D("0.4")), ("02:30–03:00", D("0.3"))],
        minimum=D("0.3"),
        legitimate=D("0.05"),
        daily_leakage=D("5.0"),
        month_per_day=D("6.2"),
        title="西门总水表 夜间流量",
    )
    drawn = _texts(chart.figure)
    assert "夜间" in drawn and all(ord(ch) in cmap for ch in drawn if not ch.isspace())
    assert _draw(chart) == []


def test_the_check_would_catch_boxes(cmap):
    # A font without Chinese draws boxes: matplotlib warns of the missing glyphs, and its cmap lacks them.
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "漏失", fontfamily="DejaVu Sans")
    assert _draw(charts.Chart(fig, []))
    dejavu = TTFont(__import__("matplotlib").font_manager.findfont("DejaVu Sans"), lazy=True)
    assert ord("漏") not in dejavu.getBestCmap() and ord("漏") in cmap


def test_the_iwa_table_hatches_estimates_and_its_csv_has_every_figure(balance):
    _built, b = balance
    chart = charts.iwa_table(b.total.figures, b.total.estimated, utility="water")
    hatched = {p.get_hatch() for p in chart.figure.axes[0].patches}
    assert "//" in hatched and None in hatched
    rows = {r[0]: r for r in chart.rows[1:]}
    assert rows["system_input"][2] == str(b.total["system_input"]) and rows["system_input"][3] == "no"
    assert rows["real_losses"][3] == "yes" and rows["unbilled_unmetered"][2] == "200.000"


def test_the_flow_chart_stacks_to_the_input(balance):
    _built, b = balance
    chart = charts.flow(
        system_input=b.total["system_input"], zones=views.zone_parts(b), uses=views.use_parts(b), utility="water"
    )
    by_stage: dict[str, D] = {}
    for stage, _part, volume, _est in chart.rows[1:]:
        by_stage[stage] = by_stage.get(stage, D(0)) + D(volume)
    assert len(set(by_stage.values())) == 1  # each bar adds up to the system input


def test_the_loss_rate_chart_has_24_months(session, balance):
    built, b = balance
    chart = views.chart(session, built.compound, "loss-rate", b.period, Utility.water)
    assert len(chart.rows) == 25 and chart.rows[-1][0] == "2025-04"
    april = chart.rows[-1]
    assert april[5] == f"{float(b.total['real_losses'] * 100 / b.total['system_input']):.2f}"


def test_png_and_svg(balance):
    _built, b = balance
    chart = charts.iwa_table(b.total.figures, b.total.estimated, utility="water")
    assert charts.render(chart, "png")[0].startswith(b"\x89PNG")
    assert b"<svg" in charts.render(chart, "svg")[0]
    assert charts.render(chart, "csv")[0].startswith("\ufeff".encode())
