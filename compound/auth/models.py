"""Users and their credentials. Installation-level tables: a user may see several compounds."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import LOCAL, REFERENCE, at_field, created_at_field, id_field, placement


class Role(StrEnum):
    maintenance = "maintenance"  # register viewing, meters, seals, readings, imports of readings
    finance = "finance"  # tariffs, bill runs, bills, payments, collections
    manager = "manager"  # sees everything, changes nothing
    admin = "admin"  # users and the register


def _user_fk(*, index: bool = True) -> object:
    return Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("app_user.id"), nullable=False, index=index))


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (placement(REFERENCE),)  # Citus: on every node, beside the compounds
    id: int | None = id_field()
    username: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    display_name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    password_hash: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    role: Role = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    is_active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    is_demo: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    # An administrator of every compound, present and future (user_compound rows aside). Only such an
    # administrator may manage another, make one, or add a compound.
    all_compounds: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    created_at: datetime | None = created_at_field()
    password_changed_at: datetime | None = at_field(nullable=True)


class UserCompound(SQLModel, table=True):
    """The compounds a user may see."""

    __tablename__ = "user_compound"
    __table_args__ = (placement(REFERENCE),)  # Citus: joined with compounds on every node
    user_id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("app_user.id"), primary_key=True))
    compound_id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("compound.id"), primary_key=True))


class WebSession(SQLModel, table=True):
    """A server-side login session; the cookie holds a random token, the table only its hash."""

    __tablename__ = "web_session"
    __table_args__ = (placement(LOCAL),)  # Citus: on the coordinator, where the web app connects
    id: int | None = id_field()
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    user_id: int = _user_fk()
    csrf_token: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = at_field()
    last_seen_at: datetime = at_field()
    expires_at: datetime = at_field()
    ip: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    user_agent: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    revoked_at: datetime | None = at_field(nullable=True)


class ApiToken(SQLModel, table=True):
    """A script's credential: shown once, stored as a hash, revocable, with its user's role."""

    __tablename__ = "api_token"
    __table_args__ = (placement(LOCAL),)  # Citus: on the coordinator
    id: int | None = id_field()
    user_id: int = _user_fk()
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    prefix: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime | None = created_at_field()
    last_used_at: datetime | None = at_field(nullable=True)
    revoked_at: datetime | None = at_field(nullable=True)


class LoginAttempt(SQLModel, table=True):
    """Every login try, kept in the database so throttling holds across web processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_username_at", "username", "at"),
        sa.Index("ix_login_attempt_ip_at", "ip", "at"),
        placement(LOCAL),  # Citus: on the coordinator
    )
    id: int | None = id_field()
    username: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    ip: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    at: datetime = at_field()
    success: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    reason: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))


# User names are one whatever their case (Li.Ming logs in as li.ming), across the installation.
sa.Index("uq_app_user_username_lower", sa.func.lower(User.__table__.c.username), unique=True)
