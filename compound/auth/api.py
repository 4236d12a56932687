"""Users (administrators), one's own profile and API tokens (JSON)."""

from fastapi import APIRouter

from compound.auth import service
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import ROLE_PERMISSIONS, Perm
from compound.auth.schemas import (
    MeRead,
    PasswordReset,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute

router = APIRouter(prefix="/api", tags=["users"], route_class=UnitOfWorkRoute)


def _read(session: SessionDep, user) -> UserRead:
    return UserRead.model_validate(user).model_copy(
        update={"compound_ids": sorted(service.compound_ids_of(session, user.id))}
    )


@router.get("/me", response_model=MeRead, dependencies=[Require(Perm.self_service)])
def me(session: SessionDep, principal: PrincipalDep) -> MeRead:
    base = _read(session, principal.user)
    return MeRead(**base.model_dump(), permissions=sorted(p.value for p in ROLE_PERMISSIONS[principal.role]))


@router.get("/users", response_model=list[UserRead], dependencies=[Require(Perm.users_manage)])
def list_users(session: SessionDep, principal: PrincipalDep) -> list[UserRead]:
    return [_read(session, u) for u in service.visible_users(session, principal=principal)]


@router.post("/users", response_model=UserRead, status_code=201, dependencies=[Require(Perm.users_manage)])
def create_user(data: UserCreate, session: SessionDep, principal: PrincipalDep) -> UserRead:
    user = service.add_user(session, principal=principal, **data.model_dump())
    return _read(session, user)


@router.get("/users/{user_id}", response_model=UserRead, dependencies=[Require(Perm.users_manage)])
def get_user(user_id: IdPath, session: SessionDep, principal: PrincipalDep) -> UserRead:
    return _read(session, service.get_visible_user(session, principal=principal, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserRead, dependencies=[Require(Perm.users_manage)])
def update_user(user_id: IdPath, data: UserUpdate, session: SessionDep, principal: PrincipalDep) -> UserRead:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    service.update_user(session, principal=principal, user=user, **data.model_dump(exclude_unset=True))
    return _read(session, user)


@router.post("/users/{user_id}/password", response_model=UserRead, dependencies=[Require(Perm.users_manage)])
def reset_password(user_id: IdPath, data: PasswordReset, session: SessionDep, principal: PrincipalDep) -> UserRead:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    service.set_password(session, user=user, password=data.password)  # also ends their sessions and tokens
    return _read(session, user)


@router.get("/users/{user_id}/tokens", response_model=list[TokenRead], dependencies=[Require(Perm.users_manage)])
def list_user_tokens(user_id: IdPath, session: SessionDep, principal: PrincipalDep) -> list[TokenRead]:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    return [TokenRead.model_validate(t) for t in service.list_tokens(session, user=user)]


@router.post(
    "/users/{user_id}/tokens/{token_id}/revoke", response_model=TokenRead, dependencies=[Require(Perm.users_manage)]
)
def revoke_user_token(user_id: IdPath, token_id: IdPath, session: SessionDep, principal: PrincipalDep) -> TokenRead:
    user = service.get_visible_user(session, principal=principal, user_id=user_id)
    return TokenRead.model_validate(service.revoke_token(session, user=user, token_id=token_id))


@router.get("/tokens", response_model=list[TokenRead], dependencies=[Require(Perm.self_service)])
def list_tokens(session: SessionDep, principal: PrincipalDep) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in service.list_tokens(session, user=principal.user)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, dependencies=[Require(Perm.self_service)])
def create_token(data: TokenCreate, session: SessionDep, principal: PrincipalDep) -> TokenCreated:
    plain, row = service.create_token(session, user=principal.user, name=data.name)
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=plain)


@router.post("/tokens/{token_id}/revoke", response_model=TokenRead, dependencies=[Require(Perm.self_service)])
def revoke_token(token_id: IdPath, session: SessionDep, principal: PrincipalDep) -> TokenRead:
    return TokenRead.model_validate(service.revoke_token(session, user=principal.user, token_id=token_id))
