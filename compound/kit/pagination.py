"""Pages of a list: a bounded limit, an offset, and the total so a client knows there is more."""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel
from sqlmodel import Session

from compound.kit.params import MAX_OFFSET

T = TypeVar("T")
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]


class Page(BaseModel, Generic[T]):
    """A page of a list as the API returns it."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None = None  # the address of the next page, when there is one


@dataclass
class Window:
    rows: list[Any]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


def paged(session: Session, query: sa.Select, *, limit: int, offset: int) -> Window:
    """One page of `query` (which must be ordered) and the count of all its rows."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_OFFSET))
    total = session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = list(session.execute(query.limit(limit).offset(offset)).scalars())
    return Window(rows=rows, total=total, limit=limit, offset=offset)


def next_link(path: str, window: Window, **params: object) -> str | None:
    """The next page's address (path with the same filters), or None on the last page."""
    if not window.has_more:
        return None
    query = {k: v for k, v in params.items() if v not in (None, "")} | {
        "limit": window.limit,
        "offset": window.offset + window.limit,
    }
    from urllib.parse import urlencode

    return f"{path}?{urlencode(query)}"


@dataclass
class PageLinks:
    """What a page of a list shows below it: which rows these are, and the way to the others."""

    first: int  # 1-based number of the first row shown (0 when none)
    last: int
    total: int
    prev: str | None
    next: str | None


def page_number(text: str) -> int:
    """The ?page= of a page (1 for anything that is not a page number)."""
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_OFFSET else 1


def page_links(url_path: str, query: dict[str, str], window: Window, *, page: int) -> PageLinks:
    """Links to the page before and after, with the same filters (query: the request's parameters)."""
    from urllib.parse import urlencode

    def link(number: int) -> str:
        return f"{url_path}?{urlencode({**{k: v for k, v in query.items() if k != 'page' and v}, 'page': number})}"

    shown = len(window.rows)
    return PageLinks(
        first=window.offset + 1 if shown else 0,
        last=window.offset + shown,
        total=window.total,
        prev=link(page - 1) if page > 1 else None,
        next=link(page + 1) if window.has_more else None,
    )
