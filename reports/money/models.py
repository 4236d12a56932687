"""The money view's one table: computed pages kept per compound and period, with the fingerprint they rest on."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import SCOPED_MAPPER, at_field, compound_field, scoped, scoped_id_field


class MoneyCache(SQLModel, table=True):
    """A page's figures (JSON) for one period, valid while its inputs' fingerprint is unchanged."""

    __tablename__ = "money_cache"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "kind", "period"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))  # "dashboard"
    period: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    computed_at: datetime | None = at_field()
