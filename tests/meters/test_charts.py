"""The consumption chart: monthly buckets, estimated parts hatched, Chinese text drawn with a real CJK font."""

import warnings
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from meters.readings import charts
from meters.readings.history import HistoryRow, MonthUse, monthly_use

SHANGHAI = ZoneInfo("Asia/Shanghai")


def row(at: datetime, used: int | None, *, source: str = "manual", superseded: bool = False) -> HistoryRow:
    return HistoryRow(1, 1, "M1", at, 0, used, source, "regular", False, superseded, "", "", "")


def glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]


def test_monthly_use_buckets_by_local_month_and_keeps_estimates_apart():
    history = [
        row(datetime(2026, 1, 31, 20, tzinfo=UTC), 5_000),  # already 1 February in Shanghai
        row(datetime(2026, 1, 10, tzinfo=UTC), 7_000),
        row(datetime(2026, 3, 10, tzinfo=UTC), 2_000, source="estimated"),
        row(datetime(2026, 3, 12, tzinfo=UTC), 9_000, source="estimated", superseded=True),  # counts for nothing
        row(datetime(2025, 12, 1, tzinfo=UTC), None),  # a first reading: no use
    ]
    months = monthly_use(history, tz=SHANGHAI, now=datetime(2026, 4, 2, tzinfo=UTC))
    assert months == [
        MonthUse("2026-01", 7_000, 0),
        MonthUse("2026-02", 5_000, 0),
        MonthUse("2026-03", 0, 2_000),
        MonthUse("2026-04", 0, 0),
    ]


def test_monthly_use_keeps_the_last_24_months():
    history = [row(datetime(2020 + k // 12, k % 12 + 1, 15, tzinfo=UTC), 1_000) for k in range(60)]
    months = monthly_use(history, tz=SHANGHAI, now=datetime(2024, 12, 20, tzinfo=UTC))
    assert len(months) == 24 and months[0].month == "2023-01" and months[-1].month == "2024-12"


def test_estimated_parts_are_hatched_and_named_in_the_legend():
    months = [MonthUse("2026-01", 10_000, 0), MonthUse("2026-02", 8_000, 3_000), MonthUse("2026-03", 9_000, 0)]
    fig = charts.consumption_figure(months, utility="water")
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_height() == 3.0 and hatched[0].get_y() == 8.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["measured", "estimated"]


def test_a_chart_without_estimates_has_no_estimated_legend():
    fig = charts.consumption_figure([MonthUse("2026-01", 10_000, 0)], utility="electricity")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["measured"]
    assert "kWh" in fig.axes[0].get_ylabel()


def test_chart_is_a_png_even_without_data():
    assert charts.consumption_chart([], utility="water").startswith(b"\x89PNG")


def test_chinese_labels_render_without_missing_glyphs(monkeypatch):
    zh = {
        "Month": "月份",
        "Use (%(unit)s)": "用量（%(unit)s）",
        "measured": "实测",
        "estimated": "估算",
        "m³": "立方米",
    }
    monkeypatch.setattr(charts, "_", lambda text, **kw: zh.get(text, text) % kw if kw else zh.get(text, text))
    months = [MonthUse("2026-01", 10_000, 2_000)]
    fig_holder = []

    def draw() -> None:
        fig = charts.consumption_figure(months, utility="water", title="水表 W-101 月用量")
        fig.canvas.draw()
        fig_holder.append(fig)

    assert glyph_warnings(draw) == []
    ax = fig_holder[0].axes[0]
    assert ax.get_xlabel() == "月份" and ax.get_ylabel() == "用量（立方米）"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["实测", "估算"]


def test_the_glyph_check_would_catch_a_font_without_chinese():
    # The same check on matplotlib's default font: proves the test above can fail.
    def draw() -> None:
        fig = Figure()
        FigureCanvasAgg(fig)
        fig.text(0.5, 0.5, "月份", fontfamily="DejaVu Sans")
        fig.canvas.draw()

    assert glyph_warnings(draw)


def test_the_cjk_font_comes_from_mplfonts():
    assert charts.FONT_FILE.is_file() and "mplfonts" in str(charts.FONT_FILE)
    assert "CJK" in charts.font_family()
