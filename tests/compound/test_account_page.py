"""The account page's token form as a browser uses it: Post/Redirect/Get (issue 7, items 13 and 20)."""

import base64
import re

import sqlalchemy as sa

from compound.auth.models import ApiToken, Role
from tests.personas import login, make_user


def _tokens(session, user) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)))


def _new_token(html: str) -> str | None:
    m = re.search(r'<code id="new-token">([^<]+)</code>', html)
    return m.group(1) if m else None


def test_a_new_token_is_shown_once_on_a_page_that_can_be_reloaded(anon, session):
    user = make_user(session, role=Role.finance)
    csrf = login(anon, user.username)
    r = anon.post("/account/tokens", data={"name": "meter script", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account#new-token"
    page = anon.get("/account")
    plain = _new_token(page.text)
    assert plain and plain.startswith("cpd_")
    assert anon.get("/api/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    again = anon.get("/account")  # a reload: no second token, and the first is not shown again
    assert again.status_code == 200 and _new_token(again.text) is None
    assert [t.name for t in _tokens(session, user)] == ["meter script"]


def test_the_new_token_never_sits_in_the_cookie_in_plain(anon, session):
    user = make_user(session, role=Role.finance)
    csrf = login(anon, user.username)
    anon.post("/account/tokens", data={"name": "x", "csrf_token": csrf}, follow_redirects=False)
    cookie = anon.cookies.get("compound_flash")  # signed, not encrypted: base64 of JSON, then the signature
    carried = base64.b64decode(cookie.split(".")[0] + "==").decode()
    plain = _new_token(anon.get("/account").text)
    [row] = _tokens(session, user)
    assert plain and plain[:12] == row.prefix
    assert plain not in carried and plain[12:] not in carried


def test_a_refused_token_name_comes_back_beside_the_form_with_what_was_typed(anon, session):
    user = make_user(session, role=Role.maintenance)
    csrf = login(anon, user.username)
    long_name = "n" * 101
    r = anon.post("/account/tokens", data={"name": long_name, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account?form=token#token"
    for _reload in range(2):  # the address can be reloaded (no 405), and it still says why
        page = anon.get("/account?form=token")
        assert page.status_code == 200
        form = page.text[page.text.index('id="token"') :]
        assert "Too long: at most 100 characters." in form and f'value="{long_name}"' in form
    assert _tokens(session, user) == []
    r = anon.post("/account/tokens", data={"name": "  ", "csrf_token": csrf})
    assert r.status_code == 200 and "Give the token a name." in r.text and _tokens(session, user) == []


def test_a_refused_password_change_says_why_beside_its_form_on_a_reloadable_address(anon, session):
    user = make_user(session, role=Role.manager)
    csrf = login(anon, user.username)
    data = {"csrf_token": csrf, "current_password": "wrong-wrong-wrong", "new_password": "x", "repeat_password": "y"}
    r = anon.post("/account/password", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account?form=password#password"
    page = anon.get("/account?form=password").text
    form = page[page.index('id="password"') : page.index("</form>", page.index('id="password"'))]
    assert "The two new passwords differ." in form and "wrong-wrong-wrong" not in page
