"""User administration, through the API and the pages: what an administrator may do, and to whom.

Compound A and compound B. An administrator of A only may manage the users whose compounds are all among
theirs, may give only the compounds they hold, and never makes anyone an administrator of every compound;
only an administrator of every compound manages one.
"""

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from compound.auth import passwords
from compound.auth.models import ApiToken, Role, User, UserCompound
from compound.register.models import Compound
from tests.factories import make_compound
from tests.personas import PASSWORD, bearer, login, make_user

NEW_PASSWORD = "copper-kettle-meadow-7"


@dataclass
class Pair:
    a: Compound
    b: Compound
    admin_a: User  # administrator of A only
    worker_a: User  # maintenance, A only
    shared: User  # a manager of A and B
    root: User  # an administrator of every compound


@pytest.fixture
def pair(session) -> Pair:
    a, b = make_compound(session, name="甲大院"), make_compound(session, name="乙大院")
    return Pair(
        a=a,
        b=b,
        admin_a=make_user(session, role=Role.admin, compounds=[a], username="admin.a"),
        worker_a=make_user(session, role=Role.maintenance, compounds=[a], username="worker.a"),
        shared=make_user(session, role=Role.manager, compounds=[a, b], username="shared.ab"),
        root=make_user(session, role=Role.admin, all_compounds=True, username="root"),
    )


def _api(app, session, user: User) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, headers=bearer(session, user))


def _compounds_of(session, user: User) -> set[int]:
    uc = UserCompound.__table__.c
    return set(session.execute(sa.select(uc.compound_id).where(uc.user_id == user.id)).scalars())


def _reload(session, user: User) -> User:
    session.expire(user)
    return session.get(User, user.id)


def _logs_in(app, username: str, password: str) -> bool:
    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = c.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf},
            follow_redirects=False,
        )
        return r.status_code == 303


# What an administrator of one compound sees and may do (issue 7, item 1)


def test_an_admin_of_one_compound_lists_only_users_wholly_within_it(app, session, pair):
    listed = {u["username"] for u in _api(app, session, pair.admin_a).get("/api/users").json()}
    assert listed == {"admin.a", "worker.a"}  # not the manager of A and B, not the administrator of all


def test_an_admin_of_one_compound_cannot_touch_a_user_who_also_has_another(app, session, pair):
    api = _api(app, session, pair.admin_a)
    uid = pair.shared.id
    hash_before = pair.shared.password_hash
    assert api.get(f"/api/users/{uid}").status_code == 404
    assert api.patch(f"/api/users/{uid}", json={"role": "admin", "compound_ids": [pair.a.id]}).status_code == 404
    assert api.post(f"/api/users/{uid}/password", json={"password": NEW_PASSWORD}).status_code == 404
    assert api.patch(f"/api/users/{uid}", json={"is_active": False}).status_code == 404
    shared = _reload(session, pair.shared)
    assert shared.role == Role.manager and shared.is_active and shared.password_hash == hash_before
    assert _compounds_of(session, shared) == {pair.a.id, pair.b.id}


def test_an_admin_of_one_compound_cannot_touch_an_admin_of_every_compound(app, session, pair):
    api = _api(app, session, pair.admin_a)
    assert api.get(f"/api/users/{pair.root.id}").status_code == 404
    assert api.patch(f"/api/users/{pair.root.id}", json={"is_active": False}).status_code == 404
    assert _reload(session, pair.root).is_active


def test_an_admin_gives_only_compounds_they_hold(app, session, pair):
    api = _api(app, session, pair.admin_a)
    r = api.patch(f"/api/users/{pair.worker_a.id}", json={"compound_ids": [pair.a.id, pair.b.id]})
    assert r.status_code == 404 and r.json()["field"] == "compound_ids"
    assert _compounds_of(session, pair.worker_a) == {pair.a.id}
    r = api.post(
        "/api/users", json={"username": "spy", "password": NEW_PASSWORD, "role": "manager", "compound_ids": [pair.b.id]}
    )
    assert r.status_code == 404
    assert session.execute(sa.select(User).where(User.username == "spy")).first() is None


def test_only_an_admin_of_every_compound_makes_one(app, session, pair):
    api = _api(app, session, pair.admin_a)
    body = {"username": "root2", "password": NEW_PASSWORD, "role": "admin", "all_compounds": True}
    assert api.post("/api/users", json=body).status_code == 403
    assert session.execute(sa.select(User).where(User.username == "root2")).first() is None
    r = api.patch(f"/api/users/{pair.worker_a.id}", json={"role": "admin", "all_compounds": True})
    assert r.status_code == 403
    assert _reload(session, pair.worker_a).role == Role.maintenance

    root = _api(app, session, pair.root)
    made = root.post("/api/users", json=body)
    assert made.status_code == 201 and made.json()["all_compounds"] is True
    newcomer = TestClient(app, headers=bearer(session, session.get(User, made.json()["id"])))
    seen = {c["id"] for c in newcomer.get("/api/compounds").json()}
    assert {pair.a.id, pair.b.id} <= seen  # every compound, without being given each


def test_an_admin_of_every_compound_manages_everyone(app, session, pair):
    root = _api(app, session, pair.root)
    listed = {u["username"] for u in root.get("/api/users").json()}
    assert {"admin.a", "worker.a", "shared.ab", "root"} <= listed
    r = root.patch(f"/api/users/{pair.shared.id}", json={"compound_ids": [pair.b.id]})
    assert r.status_code == 200 and r.json()["compound_ids"] == [pair.b.id]


def test_only_an_admin_of_every_compound_adds_a_compound(app, session, pair):
    # A compound's code is unique in the installation: "code taken" would tell an administrator of A that
    # another compound exists. Adding compounds is for those who see them all.
    body = {"code": pair.b.code, "name": "探路"}
    r = _api(app, session, pair.admin_a).post("/api/compounds", json=body)
    assert r.status_code == 403 and pair.b.code not in r.text
    r = _api(app, session, pair.root).post("/api/compounds", json={"code": "NEW-1", "name": "新大院"})
    assert r.status_code == 201


def test_the_users_page_shows_and_changes_only_users_within_the_admins_compounds(app, session, pair):
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = login(page, "admin.a")
        listing = page.get("/users").text
        assert "worker.a" in listing and "shared.ab" not in listing and ">root<" not in listing
        assert "乙大院" not in listing  # B is not even offered
        for action, data in (
            ("edit", {"role": "admin", "display_name": "x", "compound_ids": [pair.a.id]}),
            ("password", {"password": NEW_PASSWORD}),
            ("active", {"active": "false"}),
        ):
            r = page.post(f"/users/{pair.shared.id}/{action}", data={"csrf_token": csrf, **data})
            assert r.status_code == 404, action
        r = page.post(
            f"/users/{pair.worker_a.id}/edit",
            data={"csrf_token": csrf, "role": "maintenance", "compound_ids": [pair.a.id, pair.b.id]},
        )
        assert r.status_code == 404
        r = page.post(
            "/users",
            data={
                "csrf_token": csrf,
                "username": "spy",
                "role": "admin",
                "password": NEW_PASSWORD,
                "all_compounds": "true",
            },
        )
        assert r.status_code == 403
    shared = _reload(session, pair.shared)
    assert shared.role == Role.manager and shared.is_active and passwords.verify(shared.password_hash, PASSWORD)
    assert _compounds_of(session, pair.worker_a) == {pair.a.id}
    assert session.execute(sa.select(User).where(User.username == "spy")).first() is None


# The whole round of user administration, through the API and through the pages (issue 7, item 26)


def test_user_administration_through_the_api(app, session, pair):
    api = _api(app, session, pair.admin_a)
    made = api.post(
        "/api/users",
        json={
            "username": "zhou.qing",
            "password": NEW_PASSWORD,
            "role": "maintenance",
            "display_name": "周青",
            "compound_ids": [pair.a.id],
        },
    )
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    assert made.json()["compound_ids"] == [pair.a.id] and made.json()["all_compounds"] is False
    assert _logs_in(app, "zhou.qing", NEW_PASSWORD)

    r = api.patch(f"/api/users/{uid}", json={"display_name": "周 青", "role": "manager"})
    assert r.status_code == 200 and r.json()["role"] == "manager" and r.json()["display_name"] == "周 青"

    r = api.patch(f"/api/users/{uid}", json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert not _logs_in(app, "zhou.qing", NEW_PASSWORD)
    assert api.patch(f"/api/users/{uid}", json={"is_active": True}).json()["is_active"] is True
    assert _logs_in(app, "zhou.qing", NEW_PASSWORD)

    assert api.post(f"/api/users/{uid}/password", json={"password": "brass-lantern-river-43"}).status_code == 200
    assert not _logs_in(app, "zhou.qing", NEW_PASSWORD)
    assert _logs_in(app, "zhou.qing", "brass-lantern-river-43")

    assert api.patch(f"/api/users/{uid}", json={"compound_ids": []}).json()["compound_ids"] == []
    assert api.patch(f"/api/users/{uid}", json={"compound_ids": [pair.a.id]}).json()["compound_ids"] == [pair.a.id]


def test_user_administration_through_the_pages(app, session, pair):
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = login(page, "admin.a")
        r = page.post(
            "/users",
            data={
                "csrf_token": csrf,
                "username": "zhou.qing",
                "display_name": "周青",
                "role": "maintenance",
                "password": NEW_PASSWORD,
                "compound_ids": [pair.a.id],
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        user = session.execute(sa.select(User).where(User.username == "zhou.qing")).scalar_one()
        assert user.display_name == "周青" and _compounds_of(session, user) == {pair.a.id}
        assert "zhou.qing" in page.get("/users").text

        r = page.post(
            f"/users/{user.id}/edit",
            data={"csrf_token": csrf, "role": "finance", "display_name": "周 青", "compound_ids": [pair.a.id]},
            follow_redirects=False,
        )
        assert r.status_code == 303
        user = _reload(session, user)
        assert user.role == Role.finance and user.display_name == "周 青"

        r = page.post(f"/users/{user.id}/active", data={"csrf_token": csrf, "active": "false"}, follow_redirects=False)
        assert r.status_code == 303 and not _reload(session, user).is_active
        assert not _logs_in(app, "zhou.qing", NEW_PASSWORD)
        page.post(f"/users/{user.id}/active", data={"csrf_token": csrf, "active": "true"})
        assert _logs_in(app, "zhou.qing", NEW_PASSWORD)

        r = page.post(
            f"/users/{user.id}/password",
            data={"csrf_token": csrf, "password": "brass-lantern-river-43"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert _logs_in(app, "zhou.qing", "brass-lantern-river-43") and not _logs_in(app, "zhou.qing", NEW_PASSWORD)

        page.post(f"/users/{user.id}/edit", data={"csrf_token": csrf, "role": "finance", "display_name": "周 青"})
        assert _compounds_of(session, user) == set()  # every box unticked: no compound


# API tokens end with the password that made them trusted (issue 7, item 4)


def _works(app, headers) -> bool:
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        return c.get("/api/me").status_code == 200


def test_changing_ones_password_revokes_ones_tokens_and_the_page_says_so(app, session, pair):
    token = bearer(session, pair.worker_a)
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = login(page, "worker.a")
        assert "API tokens" in page.get("/account").text and "revokes your API tokens" in page.get("/account").text
        r = page.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "repeat_password": NEW_PASSWORD,
            },
        )
        assert r.status_code == 200 and "API tokens were revoked" in r.text  # the flash, after the redirect
        assert page.get("/api/me").status_code == 200  # this session goes on
    assert not _works(app, token)


def test_a_password_reset_revokes_the_users_tokens(app, session, pair):
    by_api, by_page = bearer(session, pair.worker_a), bearer(session, pair.worker_a)
    api = _api(app, session, pair.admin_a)
    assert api.post(f"/api/users/{pair.worker_a.id}/password", json={"password": NEW_PASSWORD}).status_code == 200
    assert not _works(app, by_api) and not _works(app, by_page)
    later = bearer(session, pair.worker_a)
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = login(page, "admin.a")
        r = page.post(f"/users/{pair.worker_a.id}/password", data={"csrf_token": csrf, "password": PASSWORD})
        assert r.status_code == 200 and "tokens were revoked" in r.text
    assert not _works(app, later)


def test_disabling_and_enabling_again_does_not_revive_tokens(app, session, pair):
    token = bearer(session, pair.worker_a)
    api = _api(app, session, pair.admin_a)
    assert api.patch(f"/api/users/{pair.worker_a.id}", json={"is_active": False}).status_code == 200
    assert api.patch(f"/api/users/{pair.worker_a.id}", json={"is_active": True}).status_code == 200
    assert not _works(app, token)
    assert _logs_in(app, "worker.a", PASSWORD)  # the user is back; a new token is for them to make


def test_an_admin_lists_and_revokes_a_users_tokens_on_the_api(app, session, pair):
    first, second = bearer(session, pair.worker_a), bearer(session, pair.worker_a)
    api = _api(app, session, pair.admin_a)
    listed = api.get(f"/api/users/{pair.worker_a.id}/tokens").json()
    assert len(listed) == 2 and all("token" not in t and t["revoked_at"] is None for t in listed)
    newest = max(t["id"] for t in listed)
    r = api.post(f"/api/users/{pair.worker_a.id}/tokens/{newest}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert _works(app, first) and not _works(app, second)
    # Not another administrator's business across compounds: the same 404 as no such user.
    assert api.get(f"/api/users/{pair.shared.id}/tokens").status_code == 404
    shared_token = bearer(session, pair.shared)
    shared_id = session.execute(sa.select(ApiToken.id).where(ApiToken.user_id == pair.shared.id)).scalar_one()
    assert api.post(f"/api/users/{pair.shared.id}/tokens/{shared_id}/revoke").status_code == 404
    assert api.post(f"/api/users/{pair.worker_a.id}/tokens/{shared_id}/revoke").status_code == 404
    assert _works(app, shared_token)


def test_an_admin_lists_and_revokes_a_users_tokens_on_the_pages(app, session, pair):
    token = bearer(session, pair.worker_a)
    token_id = session.execute(sa.select(ApiToken.id).where(ApiToken.user_id == pair.worker_a.id)).scalar_one()
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = login(page, "admin.a")
        assert f'href="/users/{pair.worker_a.id}/tokens"' in page.get("/users").text
        listing = page.get(f"/users/{pair.worker_a.id}/tokens")
        assert listing.status_code == 200 and "test" in listing.text  # the token's name
        r = page.post(f"/users/{pair.worker_a.id}/tokens/{token_id}/revoke", data={"csrf_token": csrf})
        assert r.status_code == 200 and "revoked" in r.text
        assert page.get(f"/users/{pair.shared.id}/tokens").status_code == 404
    assert not _works(app, token)


# A display name is text a person reads: no control characters (issue 7, item 8)

CONTROLLED = ["Wang\x1b[2J\x1b[31mroot", "Li\nMing", "Zhao\x07", "abc\u202edcba", "\x00x", "Sun\u2028Li"]


@pytest.mark.parametrize("name", CONTROLLED)
def test_a_display_name_with_control_characters_is_refused(app, session, pair, name):
    api = _api(app, session, pair.admin_a)
    body = {"username": "kong.li", "password": NEW_PASSWORD, "role": "finance", "display_name": name}
    r = api.post("/api/users", json=body)
    assert r.status_code == 422 and r.json()["field"] in ("display_name", "body"), r.text
    r = api.patch(f"/api/users/{pair.worker_a.id}", json={"display_name": name})
    assert r.status_code == 422 and r.json()["field"] in ("display_name", "body"), r.text
    assert _reload(session, pair.worker_a).display_name == "Test maintenance"


def test_chinese_and_spaced_names_are_fine(app, session, pair):
    api = _api(app, session, pair.admin_a)
    r = api.patch(f"/api/users/{pair.worker_a.id}", json={"display_name": "欧阳 明-Li (维修)"})
    assert r.status_code == 200 and r.json()["display_name"] == "欧阳 明-Li (维修)"


# A refused users form comes back with the reason beside the field, in the reader's language (issue 7, item 16)


def _problem(html: str, element_id: str) -> str:
    m = re.search(rf'<p class="problem" id="{element_id}" role="alert">(.*?)</p>', html, re.S)
    return m.group(1) if m else ""


def _as_chinese_admin(page: TestClient) -> str:
    csrf = login(page, "admin.a")
    page.get("/lang/zh_Hans")
    return csrf


def test_a_bad_new_user_comes_back_in_chinese_with_what_was_typed(app, session, pair):
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = _as_chinese_admin(page)
        r = page.post(
            "/users",
            data={
                "csrf_token": csrf,
                "username": "zhou.qing",
                "display_name": "周" * 101,
                "role": "superuser",
                "password": NEW_PASSWORD,
                "compound_ids": [pair.a.id],
            },
        )
        assert r.status_code == 422
        assert "最多 100 个字符" in _problem(r.text, "error-display_name")
        assert "角色" in _problem(r.text, "error-role")
        assert 'value="zhou.qing"' in r.text and 'value="' + "周" * 101 + '"' in r.text  # kept as typed
        assert re.search(rf'name="compound_ids" value="{pair.a.id}" checked', r.text)
        assert NEW_PASSWORD not in r.text  # never sent back
        assert "String should have" not in r.text
        r = page.post(
            "/users",
            data={
                "csrf_token": csrf,
                "username": "zhou.qing",
                "display_name": "Zhou\x1b[2J",
                "role": "finance",
                "password": "aaaaaaaaaa",
            },
        )
        assert r.status_code == 422
        assert "控制字符" in _problem(r.text, "error-display_name") and "重复" in _problem(r.text, "error-password")
    assert session.execute(sa.select(User).where(User.username == "zhou.qing")).first() is None


def test_a_bad_edit_comes_back_in_chinese_beside_that_users_row(app, session, pair):
    uid = pair.worker_a.id
    with TestClient(app, raise_server_exceptions=False) as page:
        csrf = _as_chinese_admin(page)
        r = page.post(
            f"/users/{uid}/edit",
            data={"csrf_token": csrf, "role": "boss", "display_name": "王" * 120, "compound_ids": [pair.a.id]},
        )
        assert r.status_code == 422
        assert "最多 100 个字符" in _problem(r.text, f"error-{uid}-display_name")
        assert "角色" in _problem(r.text, f"error-{uid}-role")
        assert 'value="' + "王" * 120 + '"' in r.text
    worker = _reload(session, pair.worker_a)
    assert worker.role == Role.maintenance and worker.display_name == "Test maintenance"
