"""Logging in and out, sessions, throttling, CSRF, tokens, passwords."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compound.auth import passwords, service
from compound.auth.deps import SESSION_COOKIE
from compound.auth.models import LoginAttempt, Role, User, WebSession
from compound.kit import clock
from compound.kit.errors import InvalidInput
from compound.kit.settings import Settings
from compound.shell.security import InsecureSettings, check_settings
from tests.factories import make_compound
from tests.personas import PASSWORD, bearer, login, make_user


def _login_form(anon):
    page = anon.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_login_sets_a_new_http_only_session_and_logout_ends_it(anon, session):
    user = make_user(session, role=Role.maintenance, username="li.ming")
    anon.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local")
    csrf = login(anon, "li.ming")
    cookie = anon.cookies.get(SESSION_COOKIE)
    assert cookie and cookie != "planted-by-an-attacker"  # a new session id at login, never the one sent
    assert session.execute(
        sa.select(WebSession.token_hash).where(WebSession.user_id == user.id)
    ).scalar_one() == service.token_hash(cookie)
    r = anon.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    anon.cookies.set(SESSION_COOKIE, cookie)  # replaying the old cookie does not work
    assert anon.get("/api/me").status_code == 401


def test_session_cookie_flags(anon, session):
    make_user(session, role=Role.finance, username="zhao")
    token = _login_form(anon)
    r = anon.post(
        "/login", data={"username": "zhao", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    set_cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE)][0]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie


def test_wrong_password_is_refused_and_logged(anon, session):
    make_user(session, role=Role.finance, username="qian")
    token = _login_form(anon)
    r = anon.post("/login", data={"username": "qian", "password": "nope-nope-nope", "csrf_token": token})
    assert r.status_code == 401
    assert "Wrong user name or password" in r.text or "用户名或密码" in r.text
    attempts = session.execute(
        sa.select(LoginAttempt.success, LoginAttempt.reason).where(LoginAttempt.username == "qian")
    ).all()
    assert attempts == [(False, "bad_credentials")]


def _try(client, username: str, password: str = PASSWORD) -> int:
    """One login through the form; the status it answered (303 logged in, 401 refused, 429 wait)."""
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _login_form(client)},
        follow_redirects=False,
    )
    return r.status_code


def _at(frozen_now, **delta) -> None:
    clock.set_clock(lambda: frozen_now + timedelta(**delta))


# The README: "Five failed logins for one user name (thirty from one address) within 15 minutes make further
# tries wait". The numbers are written here, never read from the code.


def test_five_failures_for_one_user_name_make_it_wait_15_minutes(anon, session, frozen_now):
    make_user(session, role=Role.finance, username="sun")
    for _ in range(4):
        assert _try(anon, "sun", "wrong-wrong-wrong") == 401
    assert _try(anon, "sun") == 303  # four failures: not yet
    assert _try(anon, "sun", "wrong-wrong-wrong") == 401  # the fifth, at 09:00
    assert _try(anon, "sun") == 429  # even the right password waits
    _at(frozen_now, minutes=14, seconds=59)
    assert _try(anon, "sun") == 429
    _at(frozen_now, minutes=15, seconds=1)
    assert _try(anon, "sun") == 303


def test_tries_during_the_wait_do_not_make_it_longer(anon, session, frozen_now):
    make_user(session, role=Role.admin, username="feng.admin")
    for _ in range(5):
        assert _try(anon, "feng.admin", "wrong-wrong-wrong") == 401
    # Someone keeps trying while the name waits: each try is refused, none of them counts as a new failure,
    # or anyone could keep an administrator locked out for ever.
    _at(frozen_now, minutes=10)
    for password in ["wrong-wrong-wrong"] * 5 + [PASSWORD]:
        assert _try(anon, "feng.admin", password) == 429
    _at(frozen_now, minutes=15, seconds=1)
    assert _try(anon, "feng.admin") == 303


def test_successful_logins_are_not_failures(anon, session):
    make_user(session, role=Role.finance, username="jiang")
    for _ in range(7):
        assert _try(anon, "jiang") == 303


def test_thirty_failures_from_one_address_make_it_wait(app, anon, session, frozen_now):
    from fastapi.testclient import TestClient

    for i in range(10):
        make_user(session, role=Role.maintenance, username=f"guess{i}")
    make_user(session, role=Role.maintenance, username="honest")
    # 29 failures over ten names, none of them locked (at most three each).
    for n in range(29):
        assert _try(anon, f"guess{n % 10}", "wrong-wrong-wrong") == 401
    assert _try(anon, "honest") == 303
    assert _try(anon, "guess9", "wrong-wrong-wrong") == 401  # the thirtieth from this address
    assert _try(anon, "honest") == 429
    with TestClient(app, client=("10.0.0.99", 50000)) as elsewhere:
        assert _try(elsewhere, "honest") == 303  # the same user from another address
    _at(frozen_now, minutes=15, seconds=1)
    assert _try(anon, "honest") == 303


def test_login_form_without_csrf_is_refused(anon, session):
    make_user(session, role=Role.finance, username="zhou")
    r = anon.post("/login", data={"username": "zhou", "password": PASSWORD})
    assert r.status_code == 403


def test_post_without_csrf_token_is_refused(anon, session):
    make_user(session, role=Role.maintenance, username="wu")
    login(anon, "wu")
    r = anon.post("/account/tokens", data={"name": "script"})
    assert r.status_code == 403
    assert "csrf" in r.text.lower() or "expired" in r.text.lower() or "过期" in r.text


def test_disabled_users_session_dies_at_once(anon, session):
    c = make_compound(session)
    admin = make_user(session, role=Role.admin, compounds=[c], username="admin1")
    worker = make_user(session, role=Role.maintenance, compounds=[c], username="zheng")
    login(anon, "zheng")
    assert anon.get("/api/me").status_code == 200
    service.update_user(
        session, principal=service.Principal(user=admin, compound_ids=frozenset({c.id})), user=worker, is_active=False
    )
    assert anon.get("/api/me").status_code == 401


# The README: sessions "end after 60 idle minutes or 12 hours". Written here, never read from the code.


def test_a_session_ends_after_60_idle_minutes_and_each_visit_restarts_them(anon, session, frozen_now):
    make_user(session, role=Role.maintenance, username="wang")
    login(anon, "wang")  # at 09:00
    _at(frozen_now, minutes=59)
    assert anon.get("/api/me").status_code == 200
    _at(frozen_now, minutes=59 + 59)  # 118 minutes after the login, 59 after the last visit
    assert anon.get("/api/me").status_code == 200
    _at(frozen_now, minutes=118 + 59)
    assert anon.get("/api/me").status_code == 200
    _at(frozen_now, minutes=177 + 61)  # 61 idle minutes
    assert anon.get("/api/me").status_code == 401


def test_a_session_ends_12_hours_after_login_however_busy(anon, session, frozen_now):
    make_user(session, role=Role.maintenance, username="wang.busy")
    login(anon, "wang.busy")  # at 09:00
    for minutes in range(40, 12 * 60, 40):  # a visit every 40 minutes: never idle
        _at(frozen_now, minutes=minutes)
        assert anon.get("/api/me").status_code == 200, minutes
    _at(frozen_now, hours=11, minutes=59)
    assert anon.get("/api/me").status_code == 200
    _at(frozen_now, hours=12, minutes=1)  # 21:01: two minutes after the last visit, but 12 hours after login
    assert anon.get("/api/me").status_code == 401


def test_pages_redirect_to_login_when_not_logged_in(anon):
    r = anon.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_api_token_works_until_revoked(anon, session):
    user = make_user(session, role=Role.manager, username="feng")
    headers = bearer(session, user)
    assert anon.get("/api/me", headers=headers).json()["username"] == "feng"
    token_id = anon.get("/api/tokens", headers=headers).json()[0]["id"]
    assert anon.post(f"/api/tokens/{token_id}/revoke", headers=headers).status_code == 200
    assert anon.get("/api/me", headers=headers).status_code == 401


def test_token_is_shown_once_and_stored_hashed(anon, session):
    user = make_user(session, role=Role.finance, username="chen")
    headers = bearer(session, user)
    created = anon.post("/api/tokens", headers=headers, json={"name": "nightly export"})
    assert created.status_code == 201
    plain = created.json()["token"]
    listed = anon.get("/api/tokens", headers=headers).json()
    assert all("token" not in t for t in listed)
    assert plain not in str(session.execute(sa.text("SELECT token_hash, prefix FROM api_token")).all())


def test_common_and_short_passwords_are_refused():
    with pytest.raises(InvalidInput, match="at least"):
        passwords.check_policy("short")
    with pytest.raises(InvalidInput, match="common"):
        passwords.check_policy("password123")
    with pytest.raises(InvalidInput, match="common"):
        passwords.check_policy("xiaowang-2024!", username="xiaowang")
    passwords.check_policy("brass-lantern-river-42")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "one character repeated"),
        ("7777777777777", "one character repeated"),
        (" " * 10, "only spaces"),
        ("\t \t  \n    ", "only spaces"),
        ("Password2024", "easy to guess: it is built on a common word"),
        ("abcdefghijk", "easy to guess: it is a sequence"),
        ("abcabcabcabc", "easy to guess: it repeats"),
        ("19901231abc", "easy to guess: it relies on a date"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password, reason):
    with pytest.raises(InvalidInput, match=reason) as refused:
        passwords.check_policy(password, username="li.ming")
    assert refused.value.field == "password"


def test_a_weak_password_is_refused_in_the_readers_language(client_as, session):
    admin = client_as("admin")
    r = admin.post(
        "/api/users",
        json={"username": "kong", "password": "aaaaaaaaaa", "role": "finance"},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422 and r.json()["field"] == "password"
    assert "重复" in r.json()["detail"]


def test_passwords_are_argon2_hashed(session):
    user = service.create_user(session, username="he", password="brass-lantern-river-42", role=Role.finance)
    assert user.password_hash.startswith("$argon2id$")
    assert passwords.verify(user.password_hash, "brass-lantern-river-42")


def test_changing_password_ends_other_sessions(anon, session, app):
    from fastapi.testclient import TestClient

    make_user(session, role=Role.finance, username="lu")
    other = TestClient(app)
    login(other, "lu")
    csrf = login(anon, "lu")
    r = anon.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "copper-kettle-morning-7",
            "repeat_password": "copper-kettle-morning-7",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert anon.get("/api/me").status_code == 200
    assert other.get("/api/me").status_code == 401


def test_production_refuses_the_default_secret():
    with pytest.raises(InsecureSettings):
        check_settings(Settings(environment="production"))
    check_settings(Settings(environment="production", secret_key="x" * 40))
    check_settings(Settings(environment="development"))


def test_security_headers_are_sent(anon):
    r = anon.get("/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_nul_characters_are_refused_with_a_reason(anon):
    r = anon.get("/api/audit?action=%00")
    assert r.status_code == 422 and r.json()["field"] == "query"
    r = anon.post(
        "/api/compounds/1/zones",
        content=b'{"name": "a\\u0000b", "kind": "living"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and "NUL" in r.json()["detail"]


def test_another_compound_is_404_not_403_and_not_listed(anon, session):
    mine, theirs = make_compound(session), make_compound(session)
    user = make_user(session, role=Role.manager, compounds=[mine])
    headers = bearer(session, user)
    listed = {c["id"] for c in anon.get("/api/compounds", headers=headers).json()}
    assert listed == {mine.id}
    for path in (f"/api/compounds/{theirs.id}", f"/api/compounds/{theirs.id}/meters", f"/c/{theirs.id}/"):
        assert anon.get(path, headers=headers).status_code == 404, path
    assert anon.get(f"/api/compounds/{mine.id}/meters", headers=headers).status_code == 200


def test_every_login_and_refusal_is_logged(anon, session, caplog):
    make_user(session, role=Role.finance, username="xu")
    token = _login_form(anon)
    with caplog.at_level("INFO"):
        anon.post("/login", data={"username": "xu", "password": "wrong-wrong-wrong", "csrf_token": token})
        anon.post("/login", data={"username": "xu", "password": PASSWORD, "csrf_token": token})
        anon.get("/api/users")  # now logged in as finance: refused
    text = caplog.text
    assert "login refused user='xu'" in text and "login ok user='xu'" in text and "refused GET /api/users: 403" in text


# Smaller holes (issue 7, item 8)


def _sessions_listed(page_html: str) -> list[str]:
    return re.findall(r'action="/account/sessions/(\d+)/end"', page_html)


def test_account_lists_ones_sessions_and_ends_another(app, session):
    from fastapi.testclient import TestClient

    make_user(session, role=Role.finance, username="lin")
    make_user(session, role=Role.finance, username="lin.other")
    with TestClient(app) as phone, TestClient(app) as desk, TestClient(app) as stranger:
        login(phone, "lin")
        csrf = login(desk, "lin")
        login(stranger, "lin.other")
        page = desk.get("/account").text
        listed = _sessions_listed(page)
        assert len(listed) == 1 and "This session" in page  # the phone's; this one is marked, not offered
        theirs = session.execute(
            sa.select(WebSession.id).join(User, User.id == WebSession.user_id).where(User.username == "lin.other")
        ).scalar_one()
        assert desk.post(f"/account/sessions/{theirs}/end", data={"csrf_token": csrf}).status_code == 404
        assert stranger.get("/api/me").status_code == 200
        r = desk.post(f"/account/sessions/{listed[0]}/end", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert phone.get("/api/me").status_code == 401 and desk.get("/api/me").status_code == 200
        login(phone, "lin")
        login(phone, "lin")  # logging in again on a device leaves the old session listed until it is ended
        assert len(_sessions_listed(desk.get("/account").text)) == 2
        r = desk.post("/account/sessions/end-others", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and _sessions_listed(desk.get("/account").text) == []
        assert phone.get("/api/me").status_code == 401 and desk.get("/api/me").status_code == 200


def test_compound_pages_are_never_cached(client, session):
    c = make_compound(session)
    for path in (f"/c/{c.id}/", f"/c/{c.id}/accounts", "/", "/api/compounds"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers.get("cache-control") == "no-store", path


def _login_from(app, *, peer: str, forwarded_for: str | None, username: str) -> None:
    """Log in from `peer` (the connection's address), maybe through a proxy header; the address recorded."""
    from fastapi.testclient import TestClient

    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    with TestClient(app, client=(peer, 50000), headers=headers) as c:
        assert _try(c, username) == 303


@pytest.fixture
def app_behind(app, monkeypatch):
    """app_behind("10.0.0.1"): the app built with COMPOUND_TRUSTED_PROXIES set (or unset with None)."""
    from compound.kit import settings
    from compound.shell.app import create_app

    def build(proxies: str | None):
        if proxies is None:
            monkeypatch.delenv("COMPOUND_TRUSTED_PROXIES", raising=False)
        else:
            monkeypatch.setenv("COMPOUND_TRUSTED_PROXIES", proxies)
        settings.get_settings.cache_clear()
        application = create_app()
        application.dependency_overrides = app.dependency_overrides  # the test's session
        return application

    yield build
    settings.get_settings.cache_clear()


def _recorded_ip(session, username: str) -> str:
    return (
        session.execute(
            sa.select(LoginAttempt.ip).where(LoginAttempt.username == username).order_by(LoginAttempt.id.desc())
        )
        .scalars()
        .first()
    )


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(app_behind, session):
    make_user(session, role=Role.finance, username="ma")
    # No proxy configured (the default): a local process cannot choose the address that is logged and throttled.
    _login_from(app_behind(None), peer="127.0.0.1", forwarded_for="203.0.113.9", username="ma")
    assert _recorded_ip(session, "ma") == "127.0.0.1"
    behind = app_behind("10.0.0.1, 10.9.0.0/16")
    _login_from(behind, peer="10.0.0.1", forwarded_for="203.0.113.9", username="ma")
    assert _recorded_ip(session, "ma") == "203.0.113.9"
    _login_from(behind, peer="10.9.4.4", forwarded_for="198.51.100.7", username="ma")
    assert _recorded_ip(session, "ma") == "198.51.100.7"
    _login_from(behind, peer="192.0.2.50", forwarded_for="203.0.113.9", username="ma")  # not a proxy of ours
    assert _recorded_ip(session, "ma") == "192.0.2.50"


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch):
    # uvicorn by itself believes X-Forwarded-For from 127.0.0.1, i.e. from any local process.
    import uvicorn
    from typer.testing import CliRunner

    from compound.shell.cli import app as cli

    ran = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: ran.update(kw))
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert ran["proxy_headers"] is False
