"""One demo user per role, with fresh passwords each time the demo is served. Demo databases only."""

import secrets

import sqlalchemy as sa
from sqlmodel import Session

from compound.auth import service
from compound.auth.models import Role, User

DEMO_USERS = {
    Role.maintenance: "demo-maintenance",
    Role.finance: "demo-finance",
    Role.manager: "demo-manager",
    Role.admin: "demo-admin",
}


def fresh_password() -> str:
    # Four groups of five from an alphabet without look-alikes: easy to type from a terminal.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def ensure_demo_users(session: Session, *, compound_id: int) -> dict[str, tuple[Role, str]]:
    """Create the demo users (or give them new passwords); returns {username: (role, password)}."""
    shown = {}
    for role, username in DEMO_USERS.items():
        password = fresh_password()
        user = session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            service.create_user(
                session,
                username=username,
                password=password,
                role=role,
                is_demo=True,
                display_name=username,
                compound_ids=[compound_id],
            )
        elif user.is_demo:
            service.set_password(session, user=user, password=password)  # their sessions and tokens end
        else:  # a real user took the name: leave it alone
            continue
        shown[username] = (role, password)
    return shown
