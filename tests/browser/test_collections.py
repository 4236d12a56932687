"""The visit list on a phone (375 px, Chinese and English): who owes what, where, and the outcome recorded there —
a payment on the spot among them; and a building's letters as one printable batch."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session

from tests.browser.conftest import Site, _drop
from tests.browser.test_balance import _phone
from tests.conftest import NOW

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
TODAY = NOW.date()


@pytest.fixture(scope="module")
def chase(engine, site: Site):
    """A committed compound of its own: households of one building in arrears, a run made today, a collector."""
    from billing.collections.run import run_collections
    from compound.auth.models import Role
    from compound.register.models import Compound
    from tests.billing.ledger_factories import make_bill
    from tests.factories import make_account, make_building
    from tests.personas import make_user

    people = [("张伟", "1单元101", "13800001111", "320.50"), ("王秀英", "1单元202", "13900002222", "186.00"),
              ("李建国", "2单元301", "", "1250.80"), ("赵敏", "2单元402", "13700003333", "96.40")]
    with Session(engine, expire_on_commit=False) as s:
        c = Compound(code=f"BC{uuid.uuid4().hex[:8]}", name="催缴测试大院")
        s.add(c)
        s.flush()
        b = make_building(s, compound=c, name="7号楼")
        for name, flat, phone, amount in people:
            a = make_account(s, compound=c, building=b, name=name)
            a.flat, a.phone = flat, phone or None
            due = TODAY - timedelta(days=95)
            make_bill(s, compound=c, account=a, amount=amount, month=due.replace(day=1), due_on=due,
                      issued_on=due - timedelta(days=20))
        run_collections(s, compound=c, as_of=TODAY - timedelta(days=60))  # the notices went out a month ago
        run_collections(s, compound=c, as_of=TODAY)
        user = make_user(s, role=Role.finance, compounds=[c], username=f"fin-{c.code.lower()}")
        s.commit()
        ids = (c.id, b.id, user.username)
    yield ids
    _drop(engine, ids[0])


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_visit_list_fits_a_phone_and_takes_a_payment_on_the_spot(browser, site, chase, locale):
    compound_id, _building, username = chase
    context, page = _phone(browser, site, username, locale)
    try:
        page.goto(site.url(f"/c/{compound_id}/collections/visits"))
        text = page.inner_text("main")
        assert "张伟" in text and "1单元101" in text and "320.50" in text and "7号楼" in text
        assert ("逾期 95 天" if locale == "zh-CN" else "95 days overdue") in text
        assert page.locator("a[href='tel:13800001111']").count() == 1
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / f"visits_{locale}.png"), full_page=True)
        if locale != "zh-CN":
            return
        task = page.locator("li.task", has_text="王秀英")
        task.locator("input[value=paid]").check()
        task.locator("summary").click()
        task.locator("input[name=paid_amount]").fill("186")
        task.locator("select[name=paid_method]").select_option("wechat_pay")
        with page.expect_navigation():
            task.locator("button[type=submit]").click()
        assert "王秀英：已缴费" in page.inner_text("p.flash")
        assert page.locator("li.task", has_text="王秀英").count() == 0
        # A refusal keeps what was typed and says why, beside the task.
        task = page.locator("li.task", has_text="张伟")
        task.locator("input[value=promised]").check()
        task.locator("summary").click()
        task.locator("input[name=promise_amount]").fill("320.50")
        with page.expect_navigation():
            task.locator("button[type=submit]").click()
        refused = page.locator("li.task.refused")
        assert "承诺付款须填写付款日期" in refused.inner_text()
        assert refused.locator("input[name=promise_amount]").input_value() == "320.50"
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / "visits_refused_zh.png"), full_page=True)
    finally:
        context.close()


def test_the_calls_and_the_key_defaulters_in_chinese(browser, site, chase):
    compound_id, _building, username = chase
    context, page = _phone(browser, site, username, "zh-CN")
    try:
        page.goto(site.url(f"/c/{compound_id}/collections/calls"))
        assert "赵敏" in page.inner_text("main")  # 96.40 is below the visit's minimum: a call
        page.goto(site.url(f"/c/{compound_id}/collections/letters"))
        assert "没有待打印的通知" in page.inner_text("main")  # a month ago's notices were superseded today
        page.goto(site.url(f"/c/{compound_id}/collections/key-defaulters"))
        assert "哪一步有效" in page.inner_text("main")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / "key_defaulters_zh.png"), full_page=True)
    finally:
        context.close()
