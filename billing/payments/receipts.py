"""Receipt numbers (per compound and year, gap-free) and the amount in Chinese capitals (大写) a receipt prints."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from billing.ledger.entries import to_fen
from billing.payments.models import ReceiptCounter


def upsert(session: Session, table: sa.Table) -> sa.Insert:
    """INSERT … ON CONFLICT of the session's database (both have it; SQLAlchemy spells it per dialect)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)  # type: ignore[return-value]


def next_receipt_no(session: Session, *, compound_id: int, year: int) -> str:
    """The next receipt number of the compound's year, e.g. 2026-000042.

    The counter row is taken in the payment's own transaction: PostgreSQL's upsert locks it until the commit
    (the next payment waits), SQLite holds its write lock; a payment rolled back gives its number back, so the
    numbers that exist run without a gap.
    """
    t = ReceiptCounter.__table__
    stmt = (
        upsert(session, t)
        .values(compound_id=compound_id, year=year, last_number=1)
        .on_conflict_do_update(index_elements=["compound_id", "year"], set_={"last_number": t.c.last_number + 1})
        .returning(t.c.last_number)
    )
    number = session.execute(stmt).scalar_one()
    return f"{year}-{number:06d}"


DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
SECTIONS = ("", "万", "亿", "万亿")


def _four(n: int) -> str:
    """0 < n < 10000 in capitals, zeros inside said once (1005 → 壹仟零伍)."""
    text, zero = "", False
    for place in range(3, -1, -1):
        digit = n // 10**place % 10
        if digit == 0:
            zero = zero or bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + PLACES[place]
    return text


def _whole(n: int) -> str:
    groups = []
    while n:
        n, group = divmod(n, 10_000)
        groups.append(group)
    text, zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        group = groups[i]
        if group == 0:
            zero = bool(text)
            continue
        if text and (zero or group < 1000):
            text += "零"
        text += _four(group) + SECTIONS[i]
        zero = False
    return text


def capitals(amount: Decimal) -> str:
    """人民币大写: 1234.50 → 壹仟贰佰叁拾肆元伍角整, 100.05 → 壹佰元零伍分, 0 → 零元整."""
    total = to_fen(abs(amount))
    whole, rest = divmod(total, 100)
    jiao, fen = divmod(rest, 10)
    sign = "负" if amount < 0 else ""
    if total == 0:
        return "零元整"
    text = _whole(whole) + "元" if whole else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and whole:
        text += "零"
    text += DIGITS[fen] + "分" if fen else "整"
    return sign + text
