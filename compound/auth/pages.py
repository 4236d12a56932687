"""Login, logout, one's own password and API tokens (pages)."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from compound.audit.service import Actor, record, set_actor
from compound.auth import new_tokens, service
from compound.auth.deps import (
    CSRF_FIELD,
    SESSION_COOKIE,
    CsrfFailed,
    Public,
    Require,
    client_ip,
)
from compound.auth.permissions import Perm
from compound.auth.service import LoginRefused, Principal, TooManyAttempts
from compound.kit import refusals
from compound.kit.errors import AppError, InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.i18n import ngettext
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
ACCOUNT = "/account"
PRE_CSRF_COOKIE = "compound_login_csrf"


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request, session: SessionDep, *, error: str = "", username: str = "", status_code: int = 200
) -> Response:
    token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "auth/login.html",
        {
            "error": error,
            "username": username,
            "login_csrf": token,
            "next": _safe_next(request.query_params.get("next")),
            "demo": service.is_demo_installation(session),
        },
        status_code=status_code,
    )
    response.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.get("/login", dependencies=[Public])
def login_form(request: Request, session: SessionDep) -> Response:
    return _login_page(request, session)


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise CsrfFailed(_("The form has expired. Reload the page and try again."), field=CSRF_FIELD)
    ip = client_ip(request)
    try:
        user = service.authenticate(session, username=username, password=password, ip=ip)
    except (LoginRefused, TooManyAttempts) as exc:
        # Answered, not raised: the request then commits, and the failed attempt is kept for throttling.
        return _login_page(request, session, error=exc.message, username=username, status_code=exc.status_code)
    token, _ws = service.start_session(session, user=user, ip=ip, user_agent=request.headers.get("user-agent", ""))
    set_actor(session, Actor(user_id=user.id, username=user.username, ip=ip))
    record(session, action="login", object_type="user", object_id=str(user.id), subject_user_id=user.id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(service.ABSOLUTE_TIMEOUT.total_seconds()),
    )
    response.delete_cookie(PRE_CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[Require(Perm.self_service)])
def logout(request: Request, session: SessionDep) -> Response:
    principal: Principal = request.state.principal
    if principal.session is not None:
        service.end_session(session, web_session=principal.session)
    record(
        session,
        action="logout",
        object_type="user",
        object_id=str(principal.user.id),
        subject_user_id=principal.user.id,
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _account(request: Request, session: SessionDep, principal: Principal, *, new_token: str | None = None) -> dict:
    return {
        "tokens": service.list_tokens(session, user=principal.user),
        "new_token": new_token,
        "sessions": service.list_sessions(session, user=principal.user),
        "this_session": principal.session.id if principal.session else None,
        "refused": refusals.refusal(request, page=ACCOUNT),
    }


@router.get("/account", dependencies=[Require(Perm.self_service)])
def account_page(request: Request, session: SessionDep) -> Response:
    principal: Principal = request.state.principal
    new_token = new_tokens.take(request, principal)
    return render(request, "auth/account.html", _account(request, session, principal, new_token=new_token))


@router.post("/account/sessions/{session_id}/end", dependencies=[Require(Perm.self_service)])
def end_session(request: Request, session: SessionDep, session_id: IdPath) -> Response:
    principal: Principal = request.state.principal
    service.end_user_session(session, user=principal.user, session_id=session_id)
    flash(request, _("That session was ended."))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/end-others", dependencies=[Require(Perm.self_service)])
def end_other_sessions(request: Request, session: SessionDep) -> Response:
    principal: Principal = request.state.principal
    ended = service.revoke_sessions(
        session, user_id=principal.user.id, except_id=principal.session.id if principal.session else None
    )
    flash(request, ngettext("%(num)s other session was ended.", "%(num)s other sessions were ended.", ended))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", dependencies=[Require(Perm.self_service)])
def change_password(
    request: Request,
    session: SessionDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    repeat_password: Annotated[str, Form()] = "",
) -> Response:
    principal: Principal = request.state.principal
    try:
        if new_password != repeat_password:
            raise InvalidInput(_("The two new passwords differ."), field="repeat_password")
        with session.begin_nested():  # a refusal answers 303 (which commits): nothing of it is kept
            service.change_password(
                session, user=principal.user, current=current_password, new=new_password, keep=principal.session
            )
    except AppError as exc:
        # Back to the page, the reason beside the form (passwords are never kept to be shown again).
        target = refusals.keep(request, page=ACCOUNT, form="password", values={}, field=exc.field, message=exc.message)
        return RedirectResponse(target, status_code=303)
    refusals.clear(request, page=ACCOUNT)
    flash(request, _("Your password was changed. Your other sessions were ended and your API tokens were revoked."))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens", dependencies=[Require(Perm.self_service)])
def create_token(request: Request, session: SessionDep, name: Annotated[str, Form()] = "") -> Response:
    """Post/Redirect/Get: the new token is shown once, on /account; reloading that page makes no second one."""
    principal: Principal = request.state.principal
    try:
        with session.begin_nested():
            plain, _row = service.create_token(session, user=principal.user, name=name)
    except AppError as exc:
        target = refusals.keep(
            request, page=ACCOUNT, form="token", values={"name": name}, field=exc.field, message=exc.message
        )
        return RedirectResponse(target, status_code=303)
    refusals.clear(request, page=ACCOUNT)
    new_tokens.keep(request, principal, plain)
    return RedirectResponse(f"{ACCOUNT}#new-token", status_code=303)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Require(Perm.self_service)])
def revoke_token(request: Request, session: SessionDep, token_id: IdPath) -> Response:
    principal: Principal = request.state.principal
    service.revoke_token(session, user=principal.user, token_id=token_id)
    flash(request, _("The token was revoked."))
    return RedirectResponse("/account", status_code=303)
