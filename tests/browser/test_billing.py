"""Finance in a real Chromium: run a draft, see the exceptions, issue, print a building's notices (in Chinese)."""

import uuid

import pytest
from sqlmodel import Session

from tests.browser.conftest import Site, _drop
from tests.personas import PASSWORD


@pytest.fixture(scope="module")
def billing_site(engine, site: Site):
    """A committed compound of its own: a building of three households (one unread), a finance clerk."""
    from compound.auth.models import Role
    from tests.billing.helpers import BEIJING_WATER, load, read
    from tests.factories import make_account, make_building, make_compound, make_meter
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as s:
        c = make_compound(s, name="账单测试大院")
        c.code = f"BL{uuid.uuid4().hex[:8]}"
        block = make_building(s, compound=c, name="家属院1号楼")
        for i, name in enumerate(("王芳", "张伟", "李娜")):
            home = make_account(s, compound=c, building=block, name=name)
            home.flat = f"1-1-{101 + i}"
            meter = make_meter(s, compound=c, account=home)
            if i < 2:
                read(s, c, meter, 100, 2026, 9, 27)
                read(s, c, meter, 112 + 9 * i, 2026, 10, 27)
        load(s, c, BEIJING_WATER)
        clerk = make_user(s, role=Role.finance, compounds=[c], username=f"fin-{c.code.lower()}")
        s.commit()
        ids = (c.id, block.id, clerk.username)
    yield ids
    _drop(engine, ids[0])


def test_run_a_draft_see_the_exceptions_issue_and_print_a_buildings_notices(browser, site, billing_site):
    compound_id, block_id, clerk = billing_site
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(site.url("/login"))
        page.fill("input[name=username]", clerk)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(site.url(f"/c/{compound_id}/billing"))
        page.fill("input[name=period]", "2026-10")
        with page.expect_navigation():
            page.click("form[action$='/billing/run'] button[type=submit]")
        text = page.inner_text("main")
        assert "草稿已生成" in text and "本期无读数" in text, text
        page.screenshot(path=str(site.shots / "billing_draft_zh.png"), full_page=True)
        with page.expect_navigation():
            page.click("form[action$='/issue'] button[type=submit]")
        assert "已开具 2 张账单" in page.inner_text("main")
        page.select_option("select[name=building_id]", str(block_id))
        with page.expect_navigation():
            page.click("form[action$='/notices'] button[type=submit]")
        assert page.locator("article.notice").count() == 2
        assert "水电费缴费通知单" in page.inner_text("body")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.emulate_media(media="print")
        assert page.locator(".screen-only").is_hidden()
        page.screenshot(path=str(site.shots / "billing_notices_print_zh.png"), full_page=True)
    finally:
        context.close()
