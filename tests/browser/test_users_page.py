"""The users page on a phone, in Chinese: a refused new user comes back with the reason beside the field."""

import uuid

import pytest
from sqlmodel import Session

from tests.personas import PASSWORD


@pytest.fixture(scope="module")
def admin_name(engine, site) -> str:
    from compound.auth.models import Role
    from compound.register.models import Compound
    from tests.personas import make_user

    with Session(engine) as s:
        name = f"admin-{uuid.uuid4().hex[:8]}"
        make_user(s, role=Role.admin, compounds=[s.get(Compound, site.compound_id)], username=name)
        s.commit()
    return name


def test_a_weak_password_on_the_users_page_is_explained_beside_it_in_chinese(browser, site, admin_name):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(site.url("/login"))
        page.fill("input[name=username]", admin_name)
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        page.goto(site.url("/users"))
        form = page.locator("form[action='/users#new-user']")
        form.locator("input[name=username]").fill(f"zhou-{uuid.uuid4().hex[:6]}")
        form.locator("input[name=display_name]").fill("周青")
        form.locator("select[name=role]").select_option("finance")
        form.locator("input[name=password]").fill("aaaaaaaaaa")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        problem = page.locator("#error-password")
        assert problem.is_visible() and "重复" in problem.inner_text()
        assert page.locator("form[action='/users#new-user'] input[name=display_name]").input_value() == "周青"
        assert page.locator("form[action='/users#new-user'] select[name=role]").input_value() == "finance"
        page.screenshot(path=str(site.shots / "users-refused-375.png"), full_page=True)
    finally:
        context.close()
