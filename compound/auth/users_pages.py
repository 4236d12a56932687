"""Administrators' pages: users, their role, compounds, disabling and password resets.

A refused form comes back (422) with the reason beside the field it names, in the reader's language, and
with what was typed (never a password). A refusal about whom or what (a user or a compound out of the
administrator's reach, 404; more reach than theirs, 403) stays an error page.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from compound.auth import passwords, service
from compound.auth.deps import PrincipalDep, Require
from compound.auth.models import Role
from compound.auth.permissions import Perm
from compound.auth.service import Principal
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
# Fields are read as plain text, within a generous bound, and checked below: the rules then speak in words.
TEXT = Form(max_length=1000)
Problems = dict[str, str]  # field → message


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    new: dict[str, Any] | None = None,
    rows: dict[int, dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    users = service.visible_users(session, principal=principal)
    context = {
        "users": users,
        "compounds": service.compounds_named(session, ids=principal.compound_ids),
        "access": {u.id: sorted(service.compound_ids_of(session, u.id)) for u in users},
        "roles": list(Role),
        "new": new or {"values": {}, "errors": {}},
        "rows": rows or {},
    }
    return render(request, "auth/users.html", context, status_code=status_code)


def _check(problems: Problems, check: Callable[[], Any], session: Session | None = None) -> Any:
    """Run one check; a refusal naming a field is noted beside that field instead of ending the request.

    A service's check runs in a savepoint: what it wrote before refusing is undone at once, so the page drawn
    next shows the users as they are (the 422 then rolls the request back as a whole).
    """
    try:
        if session is None:
            return check()
        with session.begin_nested():
            return check()
    except (InvalidInput, Conflict) as exc:
        problems.setdefault(exc.field or "form", exc.message)
        return None


def _refused(request: Request, session: Session, principal: Principal, **form: Any) -> Response:
    return _page(request, session, principal, status_code=422, **form)


@router.get("/users", dependencies=[Require(Perm.users_manage)])
def users_page(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    return _page(request, session, principal)


@router.post("/users", dependencies=[Require(Perm.users_manage)])
def create_user(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    username: Annotated[str, TEXT] = "",
    display_name: Annotated[str, TEXT] = "",
    role: Annotated[str, TEXT] = "",
    password: Annotated[str, TEXT] = "",
    compound_ids: Annotated[list[int], Form()] = [],  # noqa: B006  (FastAPI copies defaults)
    all_compounds: Annotated[bool, Form()] = False,
) -> Response:
    typed = {"username": username, "display_name": display_name, "role": role, "compound_ids": compound_ids}
    problems: Problems = {}
    chosen = _check(problems, lambda: service.parse_role(role))
    _check(problems, lambda: service.check_username(username))
    _check(problems, lambda: service.check_display_name(display_name))
    _check(problems, lambda: passwords.check_policy(password, username=username.strip()))
    if not problems:
        _check(
            problems,
            lambda: service.add_user(
                session,
                principal=principal,
                username=username,
                password=password,
                role=chosen,
                display_name=display_name,
                compound_ids=compound_ids,
                all_compounds=all_compounds,
            ),
            session,
        )
    if problems:
        return _refused(request, session, principal, new={"values": typed, "errors": problems})
    flash(request, _("User %(name)s was created.", name=username.strip()))
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/active", dependencies=[Require(Perm.users_manage)])
def set_active(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    user_id: IdPath,
    active: Annotated[bool, Form()] = False,
) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    problems: Problems = {}
    _check(problems, lambda: service.update_user(session, principal=principal, user=user, is_active=active), session)
    if problems:  # beside the button, whatever field the refusal named
        errors = {"active": next(iter(problems.values()))}
        return _refused(request, session, principal, rows={user_id: {"values": {}, "errors": errors}})
    flash(
        request,
        _("%(name)s can log in again.", name=user.username)
        if active
        else _("%(name)s was disabled and logged out everywhere.", name=user.username),
    )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/password", dependencies=[Require(Perm.users_manage)])
def reset_password(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    user_id: IdPath,
    password: Annotated[str, TEXT] = "",
) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    problems: Problems = {}
    _check(problems, lambda: service.set_password(session, user=user, password=password), session)
    if problems:
        return _refused(request, session, principal, rows={user_id: {"values": {}, "errors": problems}})
    flash(
        request,
        _(
            "The password of %(name)s was reset; their sessions ended and their API tokens were revoked. "
            "Tell them the new password in person.",
            name=user.username,
        ),
    )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/edit", dependencies=[Require(Perm.users_manage)])
def edit_user(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    user_id: IdPath,
    role: Annotated[str, TEXT] = "",
    display_name: Annotated[str | None, TEXT] = None,
    compound_ids: Annotated[list[int], Form()] = [],  # noqa: B006  (FastAPI copies defaults)
    all_compounds: Annotated[bool, Form()] = False,
) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    typed = {"role": role, "display_name": display_name, "compound_ids": compound_ids}
    problems: Problems = {}
    chosen = _check(problems, lambda: service.parse_role(role))
    if display_name is not None:
        _check(problems, lambda: service.check_display_name(display_name))
    if not problems:
        update = {
            "role": chosen,
            "display_name": display_name,
            "compound_ids": compound_ids,
            # The box is shown only to an administrator of every compound; nobody else changes it.
            "all_compounds": all_compounds if principal.unrestricted else None,
        }
        _check(problems, lambda: service.update_user(session, principal=principal, user=user, **update), session)
    if problems:
        return _refused(request, session, principal, rows={user_id: {"values": typed, "errors": problems}})
    flash(request, _("%(name)s was updated.", name=user.username))
    return RedirectResponse("/users", status_code=303)


@router.get("/users/{user_id}/tokens", dependencies=[Require(Perm.users_manage)])
def user_tokens_page(request: Request, session: SessionDep, principal: PrincipalDep, user_id: IdPath) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    tokens = service.list_tokens(session, user=user)
    return render(request, "auth/user_tokens.html", {"person": user, "tokens": tokens})


@router.post("/users/{user_id}/tokens/{token_id}/revoke", dependencies=[Require(Perm.users_manage)])
def revoke_user_token(
    request: Request, session: SessionDep, principal: PrincipalDep, user_id: IdPath, token_id: IdPath
) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    token = service.revoke_token(session, user=user, token_id=token_id)
    flash(request, _("The token %(name)s of %(user)s was revoked.", name=token.name, user=user.username))
    return RedirectResponse(f"/users/{user.id}/tokens", status_code=303)
