"""Administrators' pages: users, their role, compounds, disabling and password resets."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from compound.auth import service
from compound.auth.deps import PrincipalDep, Require
from compound.auth.models import Role
from compound.auth.permissions import Perm
from compound.db import UnitOfWorkRoute
from compound.deps import SessionDep
from compound.i18n import gettext as _
from compound.params import IdPath
from compound.web import flash, render

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)


@router.get("/users", dependencies=[Require(Perm.users_manage)])
def users_page(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    users = service.visible_users(session, principal=principal)
    compounds = service.compounds_named(session, ids=principal.compound_ids)
    access = {u.id: sorted(service.compound_ids_of(session, u.id)) for u in users}
    return render(
        request, "auth/users.html", {"users": users, "compounds": compounds, "access": access, "roles": list(Role)}
    )


@router.post("/users", dependencies=[Require(Perm.users_manage)])
def create_user(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[Role, Form()] = Role.maintenance,
    password: Annotated[str, Form(max_length=256)] = "",
    compound_ids: Annotated[list[int], Form()] = [],  # noqa: B006  (FastAPI copies defaults)
) -> Response:
    service.check_grantable(principal=principal, compound_ids=compound_ids)
    service.create_user(
        session, username=username, password=password, role=role, display_name=display_name, compound_ids=compound_ids
    )
    flash(request, _("User %(name)s was created.", name=username))
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
    service.update_user(session, principal=principal, user=user, is_active=active)
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
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    service.set_password(session, user=user, password=password)
    service.revoke_sessions(session, user_id=user.id)
    flash(request, _("The password of %(name)s was reset; tell them the new one in person.", name=user.username))
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/edit", dependencies=[Require(Perm.users_manage)])
def edit_user(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    user_id: IdPath,
    role: Annotated[Role, Form()],
    compound_ids: Annotated[list[int], Form()] = [],  # noqa: B006  (FastAPI copies defaults)
) -> Response:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    service.update_user(session, principal=principal, user=user, role=role, compound_ids=compound_ids)
    flash(request, _("%(name)s was updated.", name=user.username))
    return RedirectResponse("/users", status_code=303)
