"""A maintenance worker's round and meter page on a 375 px phone, in Chinese (issue 7, items 12, 13 and 15).

The app runs in this process and shares the frozen clock, so moving the clock past the 60 idle minutes makes the
session lapse in the middle of a round, as it does when typing a long sheet.
"""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from tests.browser.conftest import Site, signed_in_phone
from tests.conftest import NOW
from tests.personas import PASSWORD

LAPSED = NOW + timedelta(minutes=61)


def sheet(site: Site) -> str:
    return site.url(f"/c/{site.compound_id}/rounds/building/{site.building_id}")


def meter_url(site: Site, meter_id: int) -> str:
    return site.url(f"/c/{site.compound_id}/meters/{meter_id}")


def last_value(engine, meter_id: int) -> tuple[int, object] | None:
    from meters.models import Reading

    with Session(engine) as s:
        q = sa.select(Reading.value_milli, Reading.read_at).where(Reading.meter_id == meter_id)
        return s.execute(q.order_by(Reading.read_at.desc(), Reading.id.desc()).limit(1)).first()


def log_in(page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


@pytest.fixture
def zh_phone(browser, site):
    context, page = signed_in_phone(browser, site, locale="zh-CN")
    yield page
    context.close()


@pytest.fixture(scope="module")
def finance_name(engine, site) -> str:
    from compound.auth.models import Role
    from compound.register.models import Compound
    from tests.personas import make_user

    with Session(engine) as s:
        name = f"finance-{uuid.uuid4().hex[:8]}"
        make_user(s, role=Role.finance, compounds=[s.get(Compound, site.compound_id)], username=name)
        s.commit()
    return name


# Item 12: the script saves each reading as it is typed


def test_each_reading_is_saved_as_the_reader_leaves_its_box(zh_phone, site, engine):
    page, mid, bad = zh_phone, site.meter_ids[0], site.meter_ids[2]
    page.goto(sheet(site))
    page.fill(f"input[name=value_{mid}]", "1092")
    page.press(f"input[name=value_{mid}]", "Enter")  # the phone's "next" key: on to the next meter, this one saved
    assert page.evaluate("document.activeElement.name") == f"value_{site.meter_ids[1]}"
    page.locator(f"#m{mid} .status .saved").wait_for()
    assert "已保存" in page.locator(f"#m{mid}").inner_text()
    assert last_value(engine, mid)[0] == 1_092_000
    page.fill(f"input[name=value_{bad}]", "900")
    page.locator(f"input[name=value_{bad}]").blur()
    reason = page.locator(f"#m{bad} .status .problem")
    reason.wait_for()
    assert "低于上次读数" in reason.inner_text() or "低于" in reason.inner_text()
    assert page.locator(f"input[name=rollover_{bad}]").is_visible()
    assert page.url == sheet(site)  # nothing left the page
    page.screenshot(path=str(site.shots / "round_js_saved_and_refused_zh.png"), full_page=True)


def test_a_lapsed_session_mid_round_loses_nothing_with_the_script(zh_phone, site, engine):
    page, mid = zh_phone, site.meter_ids[3]
    page.goto(sheet(site))
    clock.set_clock(lambda: LAPSED)  # an hour and more of reading meters without a request
    page.fill(f"input[name=value_{mid}]", "1398")
    page.locator(f"input[name=value_{mid}]").blur()
    row = page.locator(f"#m{mid}")
    row.locator(".status a").wait_for()
    assert "登录已过期" in row.inner_text() and last_value(engine, mid)[0] == 1_360_000
    page.screenshot(path=str(site.shots / "round_js_logged_out_zh.png"), full_page=True)
    with page.expect_navigation():
        row.locator(".status a").click()
    log_in(page, site.username)
    assert page.url == sheet(site)
    page.locator(f"#m{mid} .status .saved").wait_for()  # back in its box, and saved
    assert page.input_value(f"input[name=value_{mid}]") == "1398"
    assert last_value(engine, mid) == (1_398_000, LAPSED) or last_value(engine, mid)[0] == 1_398_000


def test_a_lapsed_session_without_the_script_keeps_the_typed_sheet_across_the_login(browser, site, engine):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    a, b = site.meter_ids[5], site.meter_ids[6]
    try:
        page.goto(site.url("/login"))
        log_in(page, site.username)
        page.goto(sheet(site))
        page.fill(f"input[name=value_{a}]", "1596")
        page.fill(f"input[name=value_{b}]", "1697")
        page.fill("#read_by", "王海峰")
        clock.set_clock(lambda: LAPSED)
        with page.expect_navigation():
            page.click("form.sheet button[type=submit]")
        assert "/login" in page.url and "您填写的内容已保留" in page.locator("p.flash").inner_text()
        assert last_value(engine, a)[0] == 1_560_000
        page.screenshot(path=str(site.shots / "round_nojs_login_zh.png"), full_page=True)
        log_in(page, site.username)
        assert page.url == sheet(site)
        assert page.input_value(f"input[name=value_{a}]") == "1596"
        assert page.input_value(f"input[name=value_{b}]") == "1697"
        assert page.input_value("#read_by") == "王海峰"
        assert page.locator("#restored").is_visible()
        page.screenshot(path=str(site.shots / "round_nojs_restored_zh.png"), full_page=True)
        with page.expect_navigation():
            page.click("form.sheet button[type=submit]")
        assert "已保存 2 个读数" in page.locator("p.flash").inner_text() or "2" in page.locator("p.flash").inner_text()
        assert last_value(engine, a) == (1_596_000, LAPSED) or last_value(engine, a)[0] == 1_596_000
        assert last_value(engine, b)[0] == 1_697_000
    finally:
        context.close()


# Item 13: a refused form on the meter page


def test_a_refused_replacement_shows_the_reason_beside_its_form_on_a_reloadable_address(zh_phone, site):
    page, mid = zh_phone, site.meter_ids[7]
    page.goto(meter_url(site, mid))
    page.click("#replace summary")
    page.fill("#replace input[name=final_value]", "100")  # lower than the last reading, 1760
    page.fill("#replace input[name=new_serial]", f"N-{uuid.uuid4().hex[:6]}")
    page.fill("#replace input[name=new_value]", "0")
    with page.expect_navigation():
        page.click("#replace button[type=submit]")
    assert re.search(r"/meters/\d+\?form=replace#replace$", page.url)
    problem = page.locator("#replace .refusal")
    assert "低于上次读数" in problem.inner_text() or "低于" in problem.inner_text()
    assert "旧表末次读数" in problem.inner_text()  # the field it concerns
    box = problem.bounding_box()
    assert box and 0 <= box["y"] < 740  # on the screen, not 4,000 px below it
    assert page.input_value("#replace input[name=final_value]") == "100"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(site.shots / "meter_replace_refused_zh.png"))
    response = page.reload()
    assert response.status == 200 and "低于" in page.locator("#replace .refusal").inner_text()
    with page.expect_navigation():
        page.click("a[href^='/lang/en']")  # the language switch: the same form, its reason in English
    assert "form=replace" in page.url
    assert "lower than the previous reading" in page.locator("#replace .refusal").inner_text()


def test_a_new_token_page_can_be_reloaded_without_making_a_second_token(zh_phone, site):
    page = zh_phone
    page.goto(site.url("/account"))
    page.fill("#token input[name=name]", "抄表脚本")
    with page.expect_navigation():
        page.click("#token button[type=submit]")
    assert page.url.endswith("/account#new-token") and page.locator("#new-token").inner_text().startswith("cpd_")
    page.reload()
    assert page.locator("#new-token").count() == 0
    assert page.locator("text=抄表脚本").count() == 1


# Item 15: finance sees what it may, and no forms


def test_finance_sees_the_sheet_and_meter_page_without_any_form(browser, site, finance_name):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(site.url("/login"))
        log_in(page, finance_name)
        page.goto(sheet(site))
        assert page.locator("a.serial").count() == 10
        assert page.locator("form.sheet input:not([type=hidden])").count() == 0
        assert page.locator("text=保存读数").count() == 0 and "仅供查看" in page.inner_text("main")
        page.screenshot(path=str(site.shots / "round_finance_zh.png"), full_page=True)
        page.goto(meter_url(site, site.meter_ids[1]))
        assert page.locator("main form").count() == 0
        assert page.locator("details").count() == 0
        page.screenshot(path=str(site.shots / "meter_finance_zh.png"), full_page=True)
    finally:
        context.close()
