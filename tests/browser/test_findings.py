"""Maintenance's work orders at 375 px and the managers' page of losses and savings, in a real Chromium."""

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tests.browser.conftest import Site, _drop
from tests.browser.test_balance import IMAGES_LOADED, NO_SIDEWAYS_SCROLL, _phone
from tests.reports.scenarios import build


@pytest.fixture(scope="module")
def findings_site(engine, site: Site):
    """A committed compound with a leak found and repaired, a plumber with two orders, and a manager."""
    from compound.auth.models import Role
    from reports.findings.orders import create_order, move
    from reports.findings.schemas import OrderCreate
    from reports.findings.service import raise_period
    from reports.periods import parse_period
    from tests.personas import make_user
    from tests.reports.test_findings_scenarios import LEAK_PER_DAY, REPAIRED, monthly_times, raise_months, scenario

    with Session(engine, expire_on_commit=False) as session:
        built = build(session, scenario(leak=LEAK_PER_DAY, leak_until=REPAIRED), monthly_times())
        built.compound.code = f"BF{uuid.uuid4().hex[:8]}"
        built.compound.name = "发现测试大院"
        suffix = built.compound.code.lower()
        manager = make_user(session, role=Role.manager, compounds=[built.compound], username=f"mgr-{suffix}")
        plumber = make_user(session, role=Role.maintenance, compounds=[built.compound], username=f"pl-{suffix}")
        c = built.compound
        raise_months(session, c, "2025-02", "2025-05")
        from reports.findings.models import Finding

        finding = session.execute(sa.select(Finding).where(Finding.compound_id == c.id)).scalar_one()
        repair = create_order(
            session,
            compound=c,
            by="li",
            data=OrderCreate(
                kind="repair_leak", finding_id=finding.id, title="修复生活区地下管网漏水", assignee=plumber.username
            ),
        )
        move(session, compound=c, order=repair, to="in_progress")
        move(session, compound=c, order=repair, to="done", done_note="更换1号楼前锈蚀管段", done_date=REPAIRED.date())
        from reports.findings import savings

        savings.refresh(session, compound=c)
        create_order(session, compound=c, by="li", data=OrderCreate(
            kind="seal_meter", title="1号楼水表补封", assignee=plumber.username, due_date=date(2025, 11, 30),
            meter_id=built.meters["H03"].id, notes="抄表时发现封签松动"))  # fmt: skip
        raise_period(session, compound=c, period=parse_period("2025-10"))
        session.commit()
        ids = (c.id, manager.username, plumber.username)
    yield ids
    _drop(engine, ids[0])


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_maintenance_closes_an_order_on_a_phone(browser, site, findings_site, locale):
    compound_id, _manager, plumber = findings_site
    context, page = _phone(browser, site, plumber, locale)
    try:
        # The Chinese run closes the seal order; the English one then finds it among all the orders.
        page.goto(site.url(f"/c/{compound_id}/orders" + ("" if locale == "zh-CN" else "?show=all")))
        text = page.inner_text("main")
        assert "1号楼水表补封" in text and ("待处理" in text if locale == "zh-CN" else "Seal a meter" in text)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / f"orders_{locale}.png"), full_page=True)
        with page.expect_navigation():
            page.click("text=1号楼水表补封")
        if locale == "zh-CN":
            with page.expect_navigation():
                page.click("form.move button")  # start the work
            page.fill("textarea[name=done_note]", "已重新加封，封签号 HQ2025-0101")
            page.screenshot(path=str(site.shots / f"order_close_{locale}.png"), full_page=True)
            with page.expect_navigation():
                page.click("form.close button[type=submit]")
            assert "已完成" in page.inner_text("main") and "HQ2025-0101" in page.inner_text("main")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_managers_page_shows_savings_against_open_losses(browser, site, findings_site, locale):
    compound_id, manager, _plumber = findings_site
    context, page = _phone(browser, site, manager, locale)
    try:
        page.set_viewport_size({"width": 1100, "height": 900})
        page.goto(site.url(f"/c/{compound_id}/findings/summary?year=2025"))
        text = page.inner_text("main")
        if locale == "zh-CN":
            assert "已实现的节约" in text and "尚未解决的损失" in text and "前后相邻等长时段" in text
        else:
            assert "Savings achieved" in text and "Losses still open" in text and "adjacent equal windows" in text
        page.screenshot(path=str(site.shots / f"summary_{locale}.png"), full_page=True)
        page.goto(site.url(f"/c/{compound_id}/balance?period=2025-10&utility=water"))
        page.wait_for_load_state("networkidle")
        assert page.evaluate(IMAGES_LOADED)
    finally:
        context.close()
