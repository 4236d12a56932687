"""Logging in and out, sessions, API tokens, throttling, and users."""

import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from compound.auth import passwords
from compound.auth.models import ApiToken, LoginAttempt, Role, User, UserCompound, WebSession
from compound.kit import clock, unit_of_work
from compound.kit.errors import AppError, Conflict, InvalidInput, NotFound
from compound.kit.i18n import gettext as _

log = logging.getLogger(__name__)

IDLE_TIMEOUT = timedelta(minutes=60)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 30
TOKEN_PREFIX = "cpd_"
DISPLAY_NAME_LENGTH = 100
# Characters a name never needs, and a terminal or a page may act on: controls (escape, line breaks, bell),
# format marks (right-to-left overrides), line and paragraph separators, and code points without a meaning.
UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
THROTTLED = "throttled"  # the reason logged for a try refused while its user name or address waits
# A page view or API call notes the time at most this often: a read should not always be a write.
TOUCH_EVERY = timedelta(minutes=1)


class LoginRefused(AppError):
    status_code = 401


class TooManyAttempts(AppError):
    status_code = 429


class NotAllowed(AppError):
    """The role may do this, but not to this user or with this much reach."""

    status_code = 403


@dataclass(frozen=True)
class UserView:
    """The user as pages and logs show it: plain values that outlive the request's database session."""

    id: int
    username: str
    display_name: str
    role: Role
    all_compounds: bool = False  # an administrator of every compound


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user, how they authenticated, and the compounds they may see."""

    user: User
    compound_ids: frozenset[int]
    session: WebSession | None = None  # None when authenticated by an API token
    # Taken at once: an error page is drawn after the request's session has rolled back and closed.
    view: UserView = field(init=False)
    csrf_token: str = field(init=False)

    def __post_init__(self) -> None:
        u = self.user
        view = UserView(u.id, u.username, u.display_name, Role(u.role), is_unrestricted(u))
        object.__setattr__(self, "view", view)
        object.__setattr__(self, "csrf_token", self.session.csrf_token if self.session else "")

    @property
    def role(self) -> Role:
        return self.view.role

    @property
    def unrestricted(self) -> bool:
        """An administrator of every compound."""
        return self.view.all_compounds


def is_unrestricted(user: User) -> bool:
    return bool(user.all_compounds) and Role(user.role) == Role.admin


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _recent_failures(session: Session, *, column: sa.ColumnElement, value: str, now: datetime) -> int:
    """Failed tries in the window. Tries refused while waiting do not count: otherwise anyone could keep
    sending them and hold a user name (an administrator's) locked for ever."""
    c = LoginAttempt.__table__.c
    q = sa.select(sa.func.count()).where(
        column == value,
        c.success.is_(False),
        c.reason != THROTTLED,
        c.at > now - THROTTLE_WINDOW,
    )
    return int(session.execute(q).scalar_one())


def _log_attempt(session: Session, *, username: str, ip: str, now: datetime, success: bool, reason: str) -> None:
    # Kept in the database (throttling, review) and in the server log (the operators' monitoring).
    if success:
        log.info("login ok user=%r ip=%s", username, ip)
    else:
        log.warning("login refused user=%r ip=%s reason=%s", username, ip, reason)
    # Kept even though the login is refused: that is what throttling counts.
    row = dict(username=username[:64], ip=ip[:64], at=now, success=success, reason=reason)
    unit_of_work.outlives_refusal(session, sa.insert(LoginAttempt.__table__).values(**row))


def authenticate(session: Session, *, username: str, password: str, ip: str) -> User:
    """The user whose credentials these are; every try is logged, and repeated failures throttled."""
    now = clock.now()
    # A user name is one whatever its case, so its failures count together however it is typed.
    username = username.strip().lower()
    c = LoginAttempt.__table__.c
    if (
        _recent_failures(session, column=c.username, value=username, now=now) >= MAX_FAILURES_PER_USER
        or _recent_failures(session, column=c.ip, value=ip, now=now) >= MAX_FAILURES_PER_IP
    ):
        _log_attempt(session, username=username, ip=ip, now=now, success=False, reason=THROTTLED)
        raise TooManyAttempts(_("Too many failed logins. Wait 15 minutes and try again."))
    user = find_user(session, username)
    ok = passwords.verify(user.password_hash if user else passwords.DUMMY_HASH, password)
    if not user or not ok:
        _log_attempt(session, username=username, ip=ip, now=now, success=False, reason="bad_credentials")
        raise LoginRefused(_("Wrong user name or password."))
    if not user.is_active:
        _log_attempt(session, username=username, ip=ip, now=now, success=False, reason="disabled")
        raise LoginRefused(_("Wrong user name or password."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    _log_attempt(session, username=username, ip=ip, now=now, success=True, reason="")
    return user


def start_session(session: Session, *, user: User, ip: str, user_agent: str) -> tuple[str, WebSession]:
    """A new session (always a new id at login); returns the cookie token and the row."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    ws = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_TIMEOUT,
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    session.add(ws)
    session.flush()
    return token, ws


def compound_ids_of(session: Session, user_id: int) -> frozenset[int]:
    """The compounds a user was given (an administrator of every compound sees more: see `reach`)."""
    rows = session.execute(
        sa.select(UserCompound.__table__.c.compound_id).where(UserCompound.__table__.c.user_id == user_id)
    )
    return frozenset(r[0] for r in rows)


def reach(session: Session, user: User) -> frozenset[int]:
    """The compounds a user may see: those given, or every one for an administrator of every compound."""
    if is_unrestricted(user):
        from compound.register.models import Compound

        return frozenset(session.execute(sa.select(Compound.id)).scalars())
    return compound_ids_of(session, user.id)


def _touch(session: Session, column: sa.Column, *, row_id: int, now: datetime) -> None:
    """Note the use of a session or token, as bookkeeping: outside the request's transaction, skipped when busy.

    Only if no other request noted it meanwhile, so twenty requests at once write it once.
    """
    t = column.table
    stale = sa.or_(column.is_(None), column < now - TOUCH_EVERY)
    unit_of_work.bookkeeping(session, sa.update(t).where(t.c.id == row_id, stale).values({column.name: now}))


def principal_from_session(session: Session, token: str) -> Principal | None:
    """The live session behind a cookie token, touched; None if unknown, revoked, idle or expired."""
    now = clock.now()
    row = session.execute(
        sa.select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    ws, user = row
    if ws.revoked_at is not None or not user.is_active or now >= ws.expires_at or now - ws.last_seen_at >= IDLE_TIMEOUT:
        return None
    if now - ws.last_seen_at > TOUCH_EVERY:
        _touch(session, WebSession.__table__.c.last_seen_at, row_id=ws.id, now=now)
    return Principal(user=user, compound_ids=reach(session, user), session=ws)


def principal_from_token(session: Session, token: str) -> Principal | None:
    now = clock.now()
    row = session.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.revoked_at is not None or not user.is_active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at > TOUCH_EVERY:
        _touch(session, ApiToken.__table__.c.last_used_at, row_id=api_token.id, now=now)
    return Principal(user=user, compound_ids=reach(session, user))


def end_session(session: Session, *, web_session: WebSession) -> None:
    web_session.revoked_at = clock.now()


def _live(now: datetime) -> list[sa.ColumnElement[bool]]:
    c = WebSession.__table__.c
    return [c.revoked_at.is_(None), c.expires_at > now, c.last_seen_at > now - IDLE_TIMEOUT]


def list_sessions(session: Session, *, user: User) -> list[WebSession]:
    """The user's sessions still alive, newest first: where they are logged in (the account page)."""
    q = select(WebSession).where(WebSession.user_id == user.id, *_live(clock.now()))
    return list(session.exec(q.order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())))


def end_user_session(session: Session, *, user: User, session_id: int) -> None:
    """End one of the user's own sessions (e.g. a phone left logged in); another user's is 404."""
    row = session.get(WebSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such session."), field="session_id")
    if row.revoked_at is None:
        end_session(session, web_session=row)


def revoke_sessions(session: Session, *, user_id: int, except_id: int | None = None) -> int:
    """End every live session of a user at once (disabling, password change), but `except_id`."""
    t = WebSession.__table__
    q = sa.update(t).where(t.c.user_id == user_id, t.c.revoked_at.is_(None))
    if except_id is not None:
        q = q.where(t.c.id != except_id)
    result = session.execute(q.values(revoked_at=clock.now()), execution_options={"synchronize_session": False})
    return result.rowcount or 0


def create_token(session: Session, *, user: User, name: str) -> tuple[str, ApiToken]:
    """A new API token for the user itself; the plain token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the token a name."), field="name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:100], token_hash=token_hash(plain), prefix=plain[:12])
    session.add(row)
    session.flush()
    return plain, row


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s tokens (the user's own, or an administrator's for a user they manage)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such token."), field="token_id")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    return row


def revoke_tokens(session: Session, *, user_id: int) -> int:
    """Revoke every live token of a user (one row at a time: the audit trail records each)."""
    live = session.exec(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    now = clock.now()
    for row in live:
        row.revoked_at = now
    session.flush()
    return len(live)


def is_demo_installation(session: Session) -> bool:
    """True when the demo compound is here: the login page then says where the demo users are."""
    from compound.register.models import Compound

    return session.execute(sa.select(Compound.id).where(Compound.is_demo.is_(True)).limit(1)).first() is not None


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    compound_ids: list[int] | None = None,
    all_compounds: bool = False,
    is_demo: bool = False,
) -> User:
    """A new user, with no check of who asks: the command line's, and the pages' and API's after add_user's."""
    username = check_username(username)
    if find_user(session, username) is not None:
        raise Conflict(_("The user name %(name)s is taken.", name=username), field="username")
    display_name = check_display_name(display_name)
    passwords.check_policy(password, username=username)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=passwords.hash_password(password),
        is_demo=is_demo,
        all_compounds=_every_compound_for(role, all_compounds),
        password_changed_at=clock.now(),
    )
    session.add(user)
    session.flush()
    set_compounds(session, user=user, compound_ids=compound_ids or [])
    return user


def find_user(session: Session, username: str) -> User | None:
    """The user of this name, whatever its case (the database folds both sides the same way)."""
    return session.exec(select(User).where(sa.func.lower(User.username) == sa.func.lower(username))).first()


def check_username(username: str) -> str:
    """The user name trimmed, or refused naming the field."""
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise InvalidInput(_("A user name has 1 to 64 letters, digits, dots, dashes or underscores."), field="username")
    return username


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(_("Choose one of the roles."), field="role") from None


def check_display_name(name: str) -> str:
    """A person's name as people read it, trimmed; refused (naming the field) when it holds control characters."""
    if len(name) > DISPLAY_NAME_LENGTH:
        raise InvalidInput(_("A name may have at most %(n)s characters.", n=DISPLAY_NAME_LENGTH), field="display_name")
    if any(unicodedata.category(ch) in UNPRINTABLE for ch in name):
        raise InvalidInput(
            _("A name cannot contain control characters such as a line break, a tab, an escape or a direction mark."),
            field="display_name",
        )
    return name.strip()


def set_compounds(session: Session, *, user: User, compound_ids: list[int]) -> None:
    t = UserCompound.__table__
    session.execute(sa.delete(t).where(t.c.user_id == user.id))
    for cid in sorted(set(compound_ids)):
        session.add(UserCompound(user_id=user.id, compound_id=cid))
    session.flush()


def change_password(session: Session, *, user: User, current: str, new: str, keep: WebSession | None = None) -> None:
    """Change one's own password; every other session of the user ends, and every API token."""
    if not passwords.verify(user.password_hash, current):
        raise InvalidInput(_("The current password is wrong."), field="current_password")
    set_password(session, user=user, password=new, keep=keep)


def set_password(session: Session, *, user: User, password: str, keep: WebSession | None = None) -> None:
    """A new password (one's own or an administrator's reset): the user's sessions but `keep` end, and their
    API tokens are revoked, since whoever knew the old password may have made them."""
    passwords.check_policy(password, username=user.username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    revoke_sessions(session, user_id=user.id, except_id=keep.id if keep else None)
    revoke_tokens(session, user_id=user.id)
    session.flush()


def set_active(session: Session, *, user: User, active: bool) -> None:
    """Disabling a user ends their sessions and revokes their API tokens for good: enabling them again
    revives neither."""
    user.is_active = active
    if not active:
        revoke_sessions(session, user_id=user.id)
        revoke_tokens(session, user_id=user.id)
    session.flush()


def _every_compound_for(role: Role | str, all_compounds: bool) -> bool:
    if all_compounds and Role(role) != Role.admin:
        raise InvalidInput(_("Only an administrator can be given every compound."), field="all_compounds")
    return all_compounds


def visible_users(session: Session, *, principal: Principal) -> list[User]:
    """The users an administrator may manage: everyone for an administrator of every compound; otherwise
    those whose compounds are all among the administrator's (users with none yet too), never an
    administrator of every compound."""
    q = select(User)
    if not principal.unrestricted:
        uc = UserCompound.__table__.c
        elsewhere = sa.select(uc.user_id).where(uc.compound_id.not_in(principal.compound_ids))
        q = q.where(User.id.not_in(elsewhere), User.all_compounds.is_(False))
    return list(session.exec(q.order_by(User.username)))


def get_visible_user(session: Session, *, principal: Principal, user_id: int) -> User:
    """A user the administrator may manage, or the same 404 as for one that does not exist."""
    for user in visible_users(session, principal=principal):
        if user.id == user_id:
            return user
    raise NotFound(_("No such user."), field="user_id")


def check_grantable(*, principal: Principal, compound_ids: list[int]) -> None:
    """An administrator can only give access to compounds they see themselves."""
    if not set(compound_ids) <= principal.compound_ids:
        raise NotFound(_("No such compound."), field="compound_ids")


def check_unrestricted(principal: Principal, message: str) -> None:
    """Some acts reach past any one compound: only an administrator of every compound may do them."""
    if not principal.unrestricted:
        raise NotAllowed(message, field="all_compounds")


def add_user(
    session: Session,
    *,
    principal: Principal,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    compound_ids: list[int] | None = None,
    all_compounds: bool = False,
) -> User:
    """A new user made by an administrator: only with compounds they hold, and every compound only by one
    who has every compound."""
    check_grantable(principal=principal, compound_ids=compound_ids or [])
    if all_compounds:
        check_unrestricted(principal, _("Only an administrator of every compound may make another one."))
    return create_user(
        session,
        username=username,
        password=password,
        role=role,
        display_name=display_name,
        compound_ids=compound_ids,
        all_compounds=all_compounds,
    )


def update_user(
    session: Session,
    *,
    principal: Principal,
    user: User,
    display_name: str | None = None,
    role: Role | None = None,
    compound_ids: list[int] | None = None,
    all_compounds: bool | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user the administrator may manage (see get_visible_user), within the administrator's reach."""
    yourself = user.id == principal.user.id
    if yourself and (is_active is False or (role is not None and role != Role.admin) or all_compounds is False):
        raise Conflict(_("You cannot disable yourself or take away your own administrator role."), field="role")
    if compound_ids is not None:
        check_grantable(principal=principal, compound_ids=compound_ids)
    if all_compounds and not is_unrestricted(user):
        check_unrestricted(principal, _("Only an administrator of every compound may make another one."))
    if display_name is not None:
        user.display_name = check_display_name(display_name) or user.username
    if role is not None:
        user.role = role
    if all_compounds is not None:
        user.all_compounds = _every_compound_for(user.role, all_compounds)
    elif role is not None:  # every compound is an administrator's reach only: another role loses it
        user.all_compounds = bool(user.all_compounds) and Role(user.role) == Role.admin
    if compound_ids is not None:
        # Keep the compounds this administrator cannot see (none, for a user they may manage); replace the rest.
        hidden = compound_ids_of(session, user.id) - principal.compound_ids
        set_compounds(session, user=user, compound_ids=[*compound_ids, *hidden])
    if is_active is not None:
        set_active(session, user=user, active=is_active)
    session.flush()
    return user


def compounds_named(session: Session, *, ids: frozenset[int]) -> list[tuple[int, str]]:
    from compound.register.models import Compound

    rows = session.execute(sa.select(Compound.id, Compound.name).where(Compound.id.in_(ids)).order_by(Compound.name))
    return [(r[0], r[1]) for r in rows]
