"""Audit entries: append-only (database triggers refuse UPDATE and DELETE)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import LOCAL, at_field, id_field, placement


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_compound_at", "compound_id", "at"),
        sa.Index("ix_audit_entry_object", "object_type", "object_id"),
        # Citus: on the coordinator. It holds installation-level entries (no compound) beside compound ones.
        placement(LOCAL),
    )
    id: int | None = id_field()
    # None for installation-level changes (users, logins).
    compound_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("compound.id")))
    at: datetime = at_field()
    user_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, index=True))  # who did it
    # The user an installation-level entry is about (a user, their token, their login): such an entry belongs
    # to that user's compounds, and only their readers see it.
    subject_user_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, index=True))
    username: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    ip: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    object_type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    object_id: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    summary: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    before: str | None = Field(default=None, sa_column=sa.Column(sa.Text))  # JSON
    after: str | None = Field(default=None, sa_column=sa.Column(sa.Text))  # JSON
