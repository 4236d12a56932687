"""The managers' dashboard and the leadership's monthly report in a real Chromium; the report printed on A4."""

import uuid

import pytest
from sqlmodel import Session

from tests.browser.conftest import Site, _drop
from tests.personas import PASSWORD
from tests.reports.money_site import money_site

IMAGES_LOADED = "Array.from(document.querySelectorAll('img')).every(i => i.complete && i.naturalWidth > 0)"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def money(engine, site: Site):
    from compound.auth.models import Role
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as session:
        built = money_site(session)
        built.compound.code = f"MB{uuid.uuid4().hex[:8]}"
        built.compound.name = "资金测试大院"
        manager = make_user(session, role=Role.manager, compounds=[built.compound],
                            username=f"mgr-{built.compound.code.lower()}")  # fmt: skip
        session.commit()
        ids = (built.compound.id, manager.username)
    yield ids
    _drop(engine, ids[0])


def _login(browser, site: Site, username: str, *, locale: str, width: int, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(site.url("/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1280), ("en-US", 375)])
def test_the_dashboard_shows_three_months_and_links_every_chart(browser, site, money, locale, width):
    compound_id, manager = money
    context, page = _login(browser, site, manager, locale=locale, width=width)
    try:
        page.goto(site.url(f"/c/{compound_id}/dashboard?period=2025-04"))
        page.wait_for_load_state("networkidle")
        text = page.inner_text("main")
        if locale == "zh-CN":
            assert "水损率" in text and "重点欠费户" in text and "损失最多的区域" in text and "2024-04" in text
        else:
            assert "Water loss rate" in text and "Key defaulters" in text
        assert page.evaluate(IMAGES_LOADED) and page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / f"dashboard_{locale}.png"), full_page=True)
        links = page.locator("ul.chart-links a")
        assert links.count() == 6
        with page.expect_navigation():
            links.nth(1).click()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(IMAGES_LOADED)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_prints_on_a4(browser, site, money, lang):
    compound_id, manager = money
    context, page = _login(browser, site, manager, locale="zh-CN", width=794, height=1123)
    try:
        page.goto(site.url(f"/c/{compound_id}/report?period=2025-04&lang={lang}"))
        page.wait_for_load_state("networkidle")
        text = page.inner_text("body")
        assert ("水电月度报告" in text and "财政局尚欠" in text) if lang == "zh" else "still owes" in text
        assert page.locator("svg").count() == 5
        page.emulate_media(media="print")
        page.screenshot(path=str(site.shots / f"report_{lang}.png"), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
        (site.shots / f"report_{lang}.pdf").write_bytes(pdf)
        assert pdf[:5] == b"%PDF-" and 2 <= pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page") <= 8
        # A4 at 96 px per inch is 794 px wide: nothing sticks out of the sheet.
        assert page.evaluate("document.documentElement.scrollWidth") <= 794
    finally:
        context.close()
