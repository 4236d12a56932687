"""Authentication and permission checks as FastAPI dependencies.

Every route declares what it needs: `dependencies=[Require(Perm.x)]`, or `Public` for the few that need
nobody (login, health). tests/compound/test_permissions.py walks every route and fails on a route
that declares neither.
"""

import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from compound.audit.service import Actor, set_actor
from compound.auth import relogin, service
from compound.auth.permissions import Perm, allowed
from compound.auth.service import Principal
from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import get_session
from compound.kit.web import flash

SESSION_COOKIE = "compound_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticated(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class CsrfFailed(AppError):
    status_code = 403


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _sep, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfFailed(
            _("The form has expired or did not come from this site. Reload the page and try again."), field=CSRF_FIELD
        )


async def current_principal(request: Request, session=Depends(get_session)) -> Principal:
    """The logged-in user (session cookie) or script (bearer token); 401 if neither."""
    principal: Principal | None = None
    # The queries run in a worker thread, as every other database call: never on the event loop.
    if token := _bearer(request):
        principal = await run_in_threadpool(service.principal_from_token, session, token)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = await run_in_threadpool(service.principal_from_session, session, cookie)
        if principal and request.method not in SAFE_METHODS:
            await _check_csrf(request, principal.csrf_token)
    if principal is None:
        raise await _not_logged_in(request)
    request.state.principal = principal
    set_actor(session, Actor(user_id=principal.user.id, username=principal.user.username, ip=client_ip(request)))
    return principal


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _not_logged_in(request: Request) -> NotAuthenticated:
    """401; a page's form posted after the session lapsed is kept for after the login (compound.auth.relogin)."""
    exc = NotAuthenticated(_("Please log in."))
    page_post = request.method == "POST" and not request.url.path.startswith("/api") and not _bearer(request)
    if page_post and "application/json" not in request.headers.get("accept", ""):
        if request.headers.get("content-type", "").startswith(_FORMS):
            kept = relogin.keep_form(request, await request.form())
            flash(
                request,
                _("Your session had ended, so nothing was saved. Log in again: what you typed is kept and shown again.")
                if kept
                else _(
                    "Your session had ended, so nothing was saved, and the form was too long to keep. Log in again."
                ),
                "error",
            )
        exc.next_page = relogin.page_of(request)  # type: ignore[attr-defined]
    return exc


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(perm: Perm):
    """A dependency that lets through only roles with `perm`."""

    async def check(principal: PrincipalDep) -> Principal:
        if not allowed(principal.role, perm):
            raise Forbidden(_("Your role may not do this."))
        return principal

    check.permission = perm  # type: ignore[attr-defined]
    check.__name__ = f"require_{perm.name}"
    return check


def Require(perm: Perm):  # noqa: N802  (reads like a marker in route declarations)
    return Depends(require(perm))


def _public() -> None:
    """Marks a route that needs no login."""


_public.public = True  # type: ignore[attr-defined]
Public = Depends(_public)
