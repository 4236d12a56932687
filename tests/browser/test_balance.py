"""The balance page for a manager and the night-flow form for maintenance, in a real Chromium at 375 px."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from tests.browser.conftest import Site, _drop
from tests.personas import PASSWORD
from tests.reports.scenarios import Check, Leaf, Scenario, Unmetered, build, local

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
IMAGES_LOADED = "Array.from(document.querySelectorAll('img')).every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture(scope="module")
def balance_site(engine, site: Site):
    """A committed compound of its own with four months of readings, a manager and a reader."""
    from compound.auth.models import Role
    from tests.personas import make_user

    s = Scenario(
        leaves=[Leaf("锅炉房", 2_000, "Public", own_use=True), Leaf("会议楼", 900, "Public")],
        checks=[Check("生活区分表", "Living", [Leaf(f"F{i}", 500 + 10 * i, "Living") for i in range(6)], 300)],
        unmetered=[Unmetered("绿化用水", Decimal("300"), zone="Public")],
        leak_milli_per_day=6_000,
        zones=("办公区", "Living", "Public"),
    )
    with Session(engine, expire_on_commit=False) as session:
        built = build(session, s, [local(date(2025, m, 1)) for m in (3, 4, 5, 6)])
        built.compound.code = f"BB{uuid.uuid4().hex[:8]}"
        built.compound.name = "平衡测试大院"
        suffix = built.compound.code.lower()
        manager = make_user(session, role=Role.manager, compounds=[built.compound], username=f"mgr-{suffix}")
        reader = make_user(session, role=Role.maintenance, compounds=[built.compound], username=f"rd-{suffix}")
        session.commit()
        ids = (built.compound.id, built.meters["MASTER"].id, manager.username, reader.username)
    yield ids
    _drop(engine, ids[0])


def _phone(browser, site: Site, username: str, locale: str):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(site.url("/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)  # logged in (a loaded machine answers slowly)
    return context, page


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_balance_page_shows_figures_and_charts_on_a_phone(browser, site, balance_site, locale):
    compound_id, _master, manager, _reader = balance_site
    context, page = _phone(browser, site, manager, locale)
    try:
        page.goto(site.url(f"/c/{compound_id}/balance?period=2025-04&utility=water"))
        page.wait_for_load_state("networkidle")
        text = page.inner_text("main")
        if locale == "en-US":
            assert "Where the water goes" in text and "not separately metered" in text and "生活区分表" in text
        else:
            assert "水都用到哪里去了" in text and "无单独计量" in text and "实测" in text
        assert page.evaluate(IMAGES_LOADED)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / f"balance_{locale}.png"), full_page=True)
        # The figures table scrolls inside itself; the page does not.
        with page.expect_navigation():
            page.click("nav.links a[href*='utility=electricity']")
        page.wait_for_load_state("networkidle")  # the charts drawn before the next test logs in
        assert page.evaluate(IMAGES_LOADED) and page.evaluate(NO_SIDEWAYS_SCROLL)
    finally:
        context.close()


def test_the_balance_page_on_a_desktop(browser, site, balance_site):
    compound_id, _master, manager, _reader = balance_site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(site.url("/login"))
        page.fill("input[name=username]", manager)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(site.url(f"/c/{compound_id}/balance?period=2025-04"))
        page.wait_for_load_state("networkidle")
        assert page.evaluate(IMAGES_LOADED)
        page.screenshot(path=str(site.shots / "balance_desktop_zh.png"), full_page=True)
    finally:
        context.close()


def test_the_night_flow_form_on_a_phone_saves_and_shows_the_estimate(browser, site, balance_site):
    compound_id, master_id, _manager, reader = balance_site
    context, page = _phone(browser, site, reader, "zh-CN")
    try:
        page.goto(site.url(f"/c/{compound_id}/night-flow"))
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.select_option("select[name=meter_id]", str(master_id))
        page.fill("input[name=test_date]", "2025-04-15")
        for i, (at, value) in enumerate((("02:00", "1000.0"), ("02:30", "1000.2"), ("03:00", "1000.35"))):
            page.fill(f"input[name=time_{i}]", at)
            page.fill(f"input[name=value_{i}]", value)
        page.screenshot(path=str(site.shots / "night_flow_form_zh.png"), full_page=True)
        with page.expect_navigation():
            page.click("form.night button[type=submit]")
        text = page.inner_text("main")
        assert "夜间流量测试已保存" in text and "0.300" in text and "每日漏失量" in text
        page.wait_for_load_state("networkidle")
        assert page.evaluate(IMAGES_LOADED)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / "night_flow_result_zh.png"), full_page=True)
        # A reading outside the window comes back with the reason, the values kept.
        page.goto(site.url(f"/c/{compound_id}/night-flow"))
        page.select_option("select[name=meter_id]", str(master_id))
        page.fill("input[name=time_0]", "01:10")
        page.fill("input[name=value_0]", "1")
        page.fill("input[name=time_1]", "02:10")
        page.fill("input[name=value_1]", "2")
        with page.expect_navigation():
            page.click("form.night button[type=submit]")
        assert "02:00–04:00" in page.inner_text("p.problem")
        assert page.input_value("input[name=time_0]") == "01:10"
    finally:
        context.close()
