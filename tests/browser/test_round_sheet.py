"""The round sheet on a phone: 375 px wide, no JavaScript needed, readings saved, refused and confirmed.

These tests drive the sheet as one form, with JavaScript off; tests/browser/test_round_and_meter_forms.py drives
the script that saves each reading as it is typed.
"""

import pytest

from tests.browser.conftest import Site, signed_in_phone

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def phone(browser, site):
    """A signed-in phone, in English, without JavaScript."""
    context, page = signed_in_phone(browser, site, locale="en-US", javascript=False)
    yield page
    context.close()


def sheet(site: Site) -> str:
    return site.url(f"/c/{site.compound_id}/rounds/building/{site.building_id}")


def row(page, meter_id: int):
    return page.locator(f"#m{meter_id}")


def test_the_sheet_fits_a_phone_and_shows_the_meters_in_walking_order(phone, site):
    phone.goto(sheet(site))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    serials = phone.locator("a.serial").all_inner_texts()
    assert serials == [f"W3-{i:03d}" for i in range(1, 11)]
    assert "estimated reading in use" in row(phone, site.meter_ids[1]).inner_text()
    badge = "getComputedStyle(document.querySelector('#m%d td.what'), '::after').content"
    assert "not read yet" in phone.evaluate(badge % site.meter_ids[0])
    phone.screenshot(path=str(site.shots / "round_sheet_en.png"), full_page=True)


def test_typed_readings_are_saved_with_a_flash(phone, site):
    phone.goto(sheet(site))
    phone.fill(f"input[name=value_{site.meter_ids[0]}]", "1070")
    phone.fill(f"input[name=value_{site.meter_ids[2]}]", "1270")
    phone.fill("#read_by", "Li Wei")
    with phone.expect_navigation():
        phone.click("form.sheet button[type=submit]")
    assert phone.url == sheet(site)
    assert "2 readings saved." in phone.locator("p.flash").inner_text()
    assert "1070" in row(phone, site.meter_ids[0]).inner_text()
    assert row(phone, site.meter_ids[0]).locator("td.todo").count() == 0
    assert row(phone, site.meter_ids[1]).locator("td.todo").count() == 1


def test_a_lower_reading_shows_the_reason_and_a_rollover_box(phone, site):
    mid = site.meter_ids[3]
    phone.goto(sheet(site))
    phone.fill(f"input[name=value_{mid}]", "900")
    with phone.expect_navigation():
        phone.click("form.sheet button[type=submit]")
    text = row(phone, mid).inner_text()
    assert "lower than the previous reading" in text
    assert phone.locator(f"input[name=rollover_{mid}]").is_visible()
    assert phone.input_value(f"input[name=value_{mid}]") == "900"
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    phone.screenshot(path=str(site.shots / "round_sheet_refused.png"), full_page=True)


def test_a_spike_is_saved_once_confirmed(phone, site):
    mid = site.meter_ids[4]
    phone.goto(sheet(site))
    phone.fill(f"input[name=value_{mid}]", "9000")
    with phone.expect_navigation():
        phone.click("form.sheet button[type=submit]")
    assert "recent average" in row(phone, mid).inner_text()
    phone.check(f"input[name=confirm_{mid}]")
    with phone.expect_navigation():
        phone.click("form.sheet button[type=submit]")
    assert "1 reading saved." in phone.locator("p.flash").inner_text()
    assert "9000" in row(phone, mid).inner_text()


def test_the_sheet_and_meter_page_in_chinese(browser, site):
    context, page = signed_in_phone(browser, site, locale="zh-CN")
    try:
        page.goto(sheet(site))
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(site.shots / "round_sheet_zh.png"), full_page=True)
        with page.expect_navigation():
            page.click(f"#m{site.meter_ids[1]} a.serial")
        assert page.evaluate("document.querySelector('img.chart').naturalWidth") > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(site.shots / "meter_zh.png"), full_page=True)
    finally:
        context.close()
