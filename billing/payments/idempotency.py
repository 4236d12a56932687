"""The API's Idempotency-Key: a retried request gets the first answer; the same key with another body, a 409.

The key's row is inserted first, in the request's own transaction, with INSERT … ON CONFLICT DO NOTHING. On
PostgreSQL a concurrent retry's insert waits on the first one's uncommitted row: when that commits, the retry
finds the stored answer; when it rolls back (a refusal), the retry goes ahead as if first. On SQLite the
writer's BEGIN IMMEDIATE already puts requests one after the other. Only answers below 400 are kept: a refused
request rolls back with its key, so a corrected retry with the same key is tried afresh.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from billing.payments.models import IdempotencyKey
from billing.payments.receipts import upsert
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _

KEY = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII, no blanks


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, body: dict[str, Any]) -> str:
    text = f"{method} {path}\n" + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def once(session: Session, *, compound_id: int, key: str, fingerprint: str, run: Callable[[], Answer]) -> Answer:
    """Run `run` once per key: the first answer again for a retry, 409 for the key reused with another body."""
    if not KEY.fullmatch(key):
        raise InvalidInput(
            _("The Idempotency-Key must be 1 to 200 printable characters without blanks."), field="Idempotency-Key"
        )
    t = IdempotencyKey.__table__
    claim = (
        upsert(session, t)
        .values(compound_id=compound_id, key=key, fingerprint=fingerprint, status_code=0, response="")
        .on_conflict_do_nothing(index_elements=["compound_id", "key"])
        .returning(t.c.id)
    )
    if session.execute(claim).first() is None:
        row = session.execute(
            sa.select(t.c.fingerprint, t.c.status_code, t.c.response).where(
                t.c.compound_id == compound_id, t.c.key == key
            )
        ).one()
        if row.fingerprint != fingerprint:
            raise Conflict(
                _("This Idempotency-Key was used for a different request; use a new key for a new payment."),
                field="Idempotency-Key",
            )
        return Answer(row.status_code, json.loads(row.response), replayed=True)
    answer = run()
    session.execute(
        sa.update(t)
        .where(t.c.compound_id == compound_id, t.c.key == key)
        .values(status_code=answer.status_code, response=json.dumps(answer.body, ensure_ascii=False))
    )
    return answer
