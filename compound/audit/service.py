"""Writing and reading the audit trail.

Changes made through the ORM are recorded by a flush listener, with the values before and after, in
the same transaction as the change. Bulk work done in set-based SQL (imports, bill runs) records one
entry of its own through `record`. The actor (user, address) rides on `session.info["actor"]`.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from compound.audit.models import AuditEntry
from compound.kit import clock

# Columns never written to the trail.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "csrf_token"})
_AUDITED: dict[type, str] = {}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    ip: str = ""


SYSTEM = Actor(user_id=None, username="system")


def register(cls: type, name: str) -> None:
    _AUDITED[cls] = name


def set_actor(session: Session, actor: Actor) -> None:
    session.info["actor"] = actor


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _values(obj: Any) -> dict[str, Any]:
    """The row's loaded column values, without loading anything (we may be inside a flush)."""
    state = inspect(obj)
    return {a.key: _plain(state.dict.get(a.key)) for a in state.mapper.column_attrs if a.key not in SECRET_COLUMNS}


def _changed(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes() and attr.key not in SECRET_COLUMNS:
            before[attr.key] = _plain(hist.deleted[0]) if hist.deleted else None
            after[attr.key] = _plain(hist.added[0]) if hist.added else None
        elif hist.has_changes():
            before[attr.key] = after[attr.key] = "(changed)"
    return before, after


def _dump(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def _subject(obj: Any) -> int | None:
    """The user a row is about: the user itself, or the user a token, session or grant belongs to."""
    return getattr(obj, "id", None) if type(obj).__name__ == "User" else getattr(obj, "user_id", None)


def _entry(session: OrmSession, action: str, obj: Any, before: dict | None, after: dict | None) -> dict:
    actor: Actor = session.info.get("actor", SYSTEM)
    return {
        "compound_id": getattr(obj, "compound_id", None) if type(obj).__name__ != "Compound" else obj.id,
        "subject_user_id": _subject(obj),
        "at": clock.now(),
        "user_id": actor.user_id,
        "username": actor.username,
        "ip": actor.ip,
        "action": action,
        "object_type": _AUDITED[type(obj)],
        "object_id": str(getattr(obj, "id", "") or ""),
        "before": _dump(before),
        "after": _dump(after),
        "summary": "",
    }


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    # Updates and deletes are seen before the flush, while the old values are still known.
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.dirty:
        if type(obj) in _AUDITED and session.is_modified(obj, include_collections=False):
            before, after = _changed(obj)
            if after:
                pending.append(("update", obj, before, after))
    for obj in session.deleted:
        if type(obj) in _AUDITED:
            pending.append(("delete", obj, _values(obj), None))
    session.info["audit_new"] = [obj for obj in session.new if type(obj) in _AUDITED]


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _ctx: Any) -> None:
    # New rows are written after the flush, when they have their ids.
    rows = [
        _entry(session, action, obj, before, after)
        for action, obj, before, after in session.info.pop("audit_pending", [])
    ]
    rows += [_entry(session, "create", obj, None, _values(obj)) for obj in session.info.pop("audit_new", [])]
    if rows:
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_rollback(session: OrmSession, _previous: Any) -> None:
    # A flush that failed must not leave its entries to be written by the next one.
    session.info.pop("audit_pending", None)
    session.info.pop("audit_new", None)


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: str = "",
    compound_id: int | None = None,
    subject_user_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor: Actor | None = None,
) -> None:
    """An entry for work the listener cannot see: logins, bulk SQL, exports. subject_user_id: the user an
    entry without a compound is about (it then belongs to that user's compounds)."""
    actor = actor or session.info.get("actor", SYSTEM)
    session.execute(
        sa.insert(AuditEntry.__table__).values(
            compound_id=compound_id,
            subject_user_id=subject_user_id,
            at=clock.now(),
            user_id=actor.user_id,
            username=actor.username,
            ip=actor.ip,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary[:500],
            before=_dump(before),
            after=_dump(after),
        )
    )


def record_created(session: Session, *, object_type: str, rows: list[dict[str, Any]]) -> None:
    """A "create" entry for each row a bulk INSERT wrote (rows with their ids), in one statement, as the
    listener would have written them for ORM objects."""
    if not rows:
        return
    actor: Actor = session.info.get("actor", SYSTEM)
    at = clock.now()
    session.execute(
        sa.insert(AuditEntry.__table__),
        [
            {
                "compound_id": row.get("compound_id"),
                "at": at,
                "user_id": actor.user_id,
                "username": actor.username,
                "ip": actor.ip,
                "action": "create",
                "object_type": object_type,
                "object_id": str(row["id"]),
                "summary": "",
                "before": None,
                "after": _dump({k: _plain(v) for k, v in row.items() if k not in SECRET_COLUMNS}),
            }
            for row in rows
        ],
    )


@dataclass(frozen=True)
class AuditFilter:
    compound_ids: frozenset[int]  # what the reader may see
    everything: bool = False  # an administrator of every compound: also entries of no compound and no user
    compound_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    username: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    timezone: str = "Asia/Shanghai"  # the day boundaries of since/until


def _scope(f: AuditFilter) -> sa.ColumnElement[bool]:
    """The reader's compounds' entries, and those about the users of these compounds (users, tokens, logins)."""
    from compound.auth.models import UserCompound

    c = AuditEntry.__table__.c
    uc = UserCompound.__table__.c
    their_users = sa.select(uc.user_id).where(uc.compound_id.in_(f.compound_ids))
    return sa.or_(
        c.compound_id.in_(f.compound_ids), sa.and_(c.compound_id.is_(None), c.subject_user_id.in_(their_users))
    )


def _query(f: AuditFilter) -> sa.Select:
    c = AuditEntry.__table__.c
    q = sa.select(AuditEntry)
    if not f.everything:
        q = q.where(_scope(f))
    if f.compound_id is not None:
        q = q.where(c.compound_id == f.compound_id)
    for column, value in (
        (c.object_type, f.object_type),
        (c.object_id, f.object_id),
        (c.username, f.username),
        (c.action, f.action),
    ):
        if value:
            q = q.where(column == value)
    tz = clock.zone(f.timezone)
    if f.since:
        q = q.where(c.at >= datetime.combine(f.since, time.min, tzinfo=tz))
    if f.until:  # inclusive: the whole of that day
        q = q.where(c.at < datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=tz))
    return q.order_by(c.at.desc(), c.id.desc())


def list_entries(session: Session, *, filter: AuditFilter, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    return list(session.execute(_query(filter).limit(limit).offset(offset)).scalars())


def iter_entries(session: Session, *, filter: AuditFilter, batch: int = 1000):
    """Every matching entry, streamed in batches (the CSV export)."""
    result = session.execute(_query(filter).execution_options(yield_per=batch))
    yield from result.scalars()


def timezones(session: Session, *, compound_ids: set[int | None]) -> dict[int, Any]:
    """Each compound's own zone, for showing its entries in its local time."""
    from compound.register.models import Compound

    wanted = [i for i in compound_ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(sa.select(Compound.id, Compound.timezone).where(Compound.id.in_(wanted)))
    return {cid: clock.zone(tz) for cid, tz in rows}
