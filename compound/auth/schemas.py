"""API input and output of users and tokens."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from compound.auth.models import Role


class UserBase(BaseModel):
    display_name: str = Field(default="", max_length=100)
    role: Role


class UserCreate(UserBase):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=1, max_length=256)
    compound_ids: list[int] = Field(default_factory=list, max_length=1000)
    all_compounds: bool = Field(default=False, description="An administrator of every compound, present and future")


class UserUpdate(BaseModel):
    display_name: str | None = Field(default=None, max_length=100)
    role: Role | None = None
    compound_ids: list[int] | None = Field(default=None, max_length=1000)
    all_compounds: bool | None = None
    is_active: bool | None = None


class PasswordReset(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class UserRead(UserBase):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    is_active: bool
    all_compounds: bool = False
    compound_ids: list[int] = Field(default_factory=list)
    created_at: datetime | None = None


class MeRead(UserRead):
    permissions: list[str]


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself. Shown only in this response; store it now.")
