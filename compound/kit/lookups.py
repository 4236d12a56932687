"""Rows of one compound: every load by id goes through here, so a row of another compound is never found."""

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit.errors import AppError, NotFound

T = TypeVar("T")


def get(session: Session, model: type[T], *, compound_id: int, id: int | None, for_update: bool = False) -> T | None:
    """The row of `model` with this id in this compound, or None (also for None, and for another compound's id)."""
    if id is None:
        return None
    query = sa.select(model).where(model.compound_id == compound_id, model.id == id)  # type: ignore[attr-defined]
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalars().first()


def get_or_raise(
    session: Session,
    model: type[T],
    *,
    compound_id: int,
    id: int | None,
    error: type[AppError] = NotFound,
    message: str,
    field: str,
    for_update: bool = False,
) -> T:
    """The row, or `error(message, field=field)`: a 404 in a URL, a 422 when a body names a row that is not there."""
    row = get(session, model, compound_id=compound_id, id=id, for_update=for_update)
    if row is None:
        raise error(message, field=field)
    return row


def exists(
    session: Session, model: type[Any], *, compound_id: int, exclude_id: int | None = None, **where: object
) -> bool:
    """Whether any row of the compound matches `where` (column = value), leaving out `exclude_id`."""
    query = sa.select(model.id).where(model.compound_id == compound_id)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return session.execute(query.limit(1)).first() is not None
