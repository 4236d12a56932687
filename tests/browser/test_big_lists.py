"""A big compound's meter list on a phone, in Chinese (issue 7 item 19): a page at a time, filtered from the
page itself, never a 200,000 px scroll."""

import pytest
from sqlmodel import Session

from tests.browser.conftest import signed_in_phone

MORE = 240  # a residential block's worth of meters beside the site's ten


@pytest.fixture(scope="module")
def big(engine, site):
    from meters.models import Meter, MeterRole, Utility

    with Session(engine) as s:
        for i in range(MORE):
            s.add(
                Meter(
                    compound_id=site.compound_id,
                    utility=Utility.water if i % 2 else Utility.electricity,
                    serial=f"{'W' if i % 2 else 'E'}5-{i // 2 + 1:03d}",
                    location=f"5号楼 {i // 40 + 1}单元 {i // 2 % 20 + 101}室",
                    role=MeterRole.check,
                    building_id=site.building_id,
                    dials=6,
                    walk_order=100 + i,
                )
            )
        s.commit()
    return site


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_meter_list_pages_and_filters_on_a_phone_in_chinese(browser, big):
    context, page = signed_in_phone(browser, big, locale="zh-CN")
    try:
        page.goto(big.url(f"/c/{big.compound_id}/register/meters"))
        assert page.locator("table.cards tbody tr").count() == 30
        assert "第 1–30 条，共 250 条" in page.locator("nav.pager").inner_text()
        whole = _height(page)
        assert whole < 12_000, whole  # 30 cards, not 250
        page.screenshot(path=str(big.shots / "meters-list-375-zh.png"), full_page=False)

        # Filter from the page: water meters of the 2nd staircase (单元), by typing in the search box.
        form = page.locator("form.filters")
        form.locator("select[name=utility]").select_option("water")
        form.locator("input[name=q]").fill("5号楼 2单元")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        rows = page.locator("table.cards tbody tr")
        assert rows.count() == 20
        assert all(t.startswith("W5-") for t in rows.locator("a[href*='/meters/']").all_inner_texts() if t != "编辑")
        assert "共 20 条" in page.locator("nav.pager").inner_text()
        filtered = _height(page)
        assert filtered < 8_000, filtered
        # The filter stays in the form, and the page fits the phone's width.
        assert form.locator("input[name=q]").input_value() == "5号楼 2单元"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(big.shots / "meters-filtered-375-zh.png"), full_page=True)

        # The next page of the whole list keeps going where the first stopped.
        page.goto(big.url(f"/c/{big.compound_id}/register/meters?page=9"))
        assert page.locator("table.cards tbody tr").count() == 10
        assert "第 241–250 条，共 250 条" in page.locator("nav.pager").inner_text()
    finally:
        context.close()
