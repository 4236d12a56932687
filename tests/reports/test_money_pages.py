"""The money pages, charts and API: who may see them, what they show; every chart in Chinese with real glyphs."""

import warnings
from decimal import Decimal as D

import pytest
from fontTools.ttLib import TTFont
from matplotlib.text import Text

from compound.kit import i18n
from reports import charts as balance_charts
from reports.money import views
from reports.periods import parse_period
from tests.reports.money_site import money_site


@pytest.fixture
def site(session):
    return money_site(session)


@pytest.fixture(scope="module")
def cmap() -> set[int]:
    return set(TTFont(str(balance_charts.FONT_FILE), fontNumber=0, lazy=True).getBestCmap())


def _every_chart(session, compound):
    p = parse_period("2025-04")
    for name in views.CHARTS:
        for utility in views.BY_UTILITY.get(name, ("combined",)):
            yield name, utility, views.chart(session, compound, name, p, utility)


def test_every_money_chart_draws_its_chinese_with_glyphs_the_font_has(session, site, cmap):
    i18n.set_locale("zh_Hans")
    try:
        for name, utility, chart in _every_chart(session, site.compound):
            drawn = "".join(t.get_text() for t in chart.figure.findobj(Text))
            assert any("\u4e00" <= ch <= "\u9fff" for ch in drawn), (name, utility)
            missing = sorted({ch for ch in drawn if not ch.isspace() and ord(ch) not in cmap})
            assert missing == [], (name, utility, missing)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                body, media = balance_charts.render(chart, "svg")
            assert not [w for w in caught if "Glyph" in str(w.message)], (name, utility)
            # The SVG draws its text as paths of the CJK font (matplotlib embeds glyphs, names the font).
            assert b"NotoSansCJK" in body or b"Noto Sans CJK" in body, (name, utility)
    finally:
        i18n.set_locale("en")


def test_the_waterfall_chart_carries_every_bar_and_closes(session, site):
    chart = views.chart(session, site.compound, "waterfall", parse_period("2025-04"), "water")
    rows = {r[1]: r for r in chart.rows[1:]}
    assert rows["utility_charges"][3] == "2002.00" and rows["billed"][3] == "161.00"
    assert rows["leakage"][3] == "462.00" and rows["leakage"][4] == "yes"
    causes = sum(D(r[3]) for r in chart.rows[1:] if r[0] == "cause")
    assert causes == D("2002.00") - D(rows["collected"][3])
    hatched = {p.get_hatch() for p in chart.figure.axes[0].patches}
    assert "//" in hatched


def test_the_loss_rate_chart_marks_the_seal_and_the_repaired_leak(session, site):
    from datetime import date

    from reports.findings.models import OrderKind, OrderStatus, WorkOrder

    session.add(WorkOrder(compound_id=site.compound.id, kind=OrderKind.repair_leak, title="西区主管漏水",
                          utility="water", status=OrderStatus.done, done_date=date(2025, 4, 12), assignee="",
                          notes="", done_note="", created_by=""))  # fmt: skip
    session.flush()
    chart = views.chart(session, site.compound, "loss-events", parse_period("2025-05"), "water")
    by_month = {r[0]: r[-1] for r in chart.rows[1:]}
    assert "2025-03-05 Meter sealed" in by_month["2025-03"]
    assert "2025-04-12 Leak repaired" in by_month["2025-04"]


def test_the_money_page_shows_both_utilities_and_the_chart_pages(client_as, site):
    r = client_as("manager").get(f"/c/{site.compound.id}/money?period=2025-04")
    assert r.status_code == 200, r.text
    expected_texts = (
        "Utility charges", "2,002.00", "Leakage (old pipes)", "462.00", "Official use awaiting the finance bureau",
        "35.00", "commercial loss (AT&amp;C)", "/money/charts/causes?period=2025-04",
    )  # fmt: skip
    for expected in expected_texts:
        assert expected in r.text, expected
    zh = client_as("finance").get(f"/c/{site.compound.id}/money?period=2025-04", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200 and "漏水" in zh.text and "待财政拨付" in zh.text


@pytest.mark.parametrize("name", list(views.CHARTS))
def test_every_chart_has_a_page_and_comes_as_png_svg_and_csv(client_as, site, name):
    manager = client_as("manager")
    base = f"/c/{site.compound.id}/money/charts/{name}"
    page = manager.get(f"{base}?period=2025-04")
    assert page.status_code == 200 and f"{name}.svg" in page.text
    png = manager.get(f"{base}.png?period=2025-04")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    svg = manager.get(f"{base}.svg?period=2025-04")
    assert svg.headers["content-type"].startswith("image/svg")
    csv = manager.get(f"{base}.csv?period=2025-04")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]


def test_maintenance_may_not_see_the_money_and_a_bad_period_is_refused(client_as, site):
    assert client_as("maintenance").get(f"/c/{site.compound.id}/money").status_code == 403
    r = client_as("manager").get(f"/c/{site.compound.id}/money?period=2025-13")
    assert r.status_code == 422 and "not a period" in r.text
    bad = client_as("manager").get(f"/c/{site.compound.id}/money/charts/ageing.png?utility=water")
    assert bad.status_code == 422


def test_the_api_gives_both_utilities_and_the_sum(client_as, site):
    r = client_as("finance").get(f"/api/compounds/{site.compound.id}/money?period=2025-04")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["water"]["utility_charges"] == "2002.00" and body["combined"]["billed"] == "161.00"
    assert [c["code"] for c in body["combined"]["causes"]][:2] == ["leakage", "unmetered_public_water"]
