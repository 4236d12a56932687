"""Users for permission and security tests: one per role, logged in by cookie or by API token."""

import re
from functools import lru_cache
from itertools import count

from fastapi.testclient import TestClient
from sqlmodel import Session

from compound.auth import passwords, service
from compound.auth.models import Role, User, UserCompound

PASSWORD = "brass-lantern-river-42"
_numbers = count(1)


@lru_cache(maxsize=1)
def _hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    return passwords.hash_password(PASSWORD)


def make_user(
    session: Session,
    *,
    role: Role | str,
    compounds=(),
    username: str | None = None,
    active: bool = True,
    all_compounds: bool = False,
) -> User:
    # A counter, not id(object()): CPython reuses the address of a freed object, so two personas could collide.
    user = User(
        username=username or f"{Role(role).value}-{next(_numbers)}",
        role=Role(role),
        password_hash=_hash(),
        display_name=f"Test {role}",
        is_active=active,
        all_compounds=all_compounds,
    )
    session.add(user)
    session.flush()
    for c in compounds:
        session.add(UserCompound(user_id=user.id, compound_id=c.id))
    session.flush()
    return user


def bearer(session: Session, user: User) -> dict[str, str]:
    plain, _ = service.create_token(session, user=user, name="test")
    return {"Authorization": f"Bearer {plain}"}


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the CSRF token the next forms must carry."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/account"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    account = client.get("/account")
    return re.search(r'name="csrf_token" value="([^"]+)"', account.text).group(1)
