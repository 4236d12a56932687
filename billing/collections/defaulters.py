"""The key-defaulter list (balance, age, contacts and their outcomes) and the collection rate of each level:
of the payers a level's action reached, how many paid within the 30 days after it — so the centre sees which
step works."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.collections.models import (
    ActionKind,
    CollectionAction,
    CollectionCase,
    CollectionContact,
    CollectionLevel,
    CollectionPolicy,
)
from billing.ledger.entries import AsOf, fen, reversed_by, yuan
from billing.payments.models import Payment
from compound.register.models import Account, Building, Compound

case_t = CollectionCase.__table__
action_t = CollectionAction.__table__
contact_t = CollectionContact.__table__
level_t = CollectionLevel.__table__
policy_t = CollectionPolicy.__table__
account_t = Account.__table__
building_t = Building.__table__
payment_t = Payment.__table__
RATE_DAYS = 365  # the rates count the actions of the last year whose 30 days are over
CONTACTS_SHOWN = 5


@dataclass
class Defaulter:
    case_id: int
    payer_id: int
    code: str
    name: str
    building: str | None
    flat: str | None
    phone: str | None
    owed: Decimal
    late_fee: Decimal
    oldest_due_on: date | None
    opened_on: date
    promises_broken: int
    task_id: int | None = None  # the open key-defaulter action, to record contacts against
    contacts: list[tuple[datetime, str, str, str]] = field(default_factory=list)  # at, by, outcome, note
    contact_count: int = 0

    @property
    def task(self) -> "Defaulter.Task | None":
        return Defaulter.Task(self.task_id) if self.task_id else None

    @dataclass(frozen=True)
    class Task:
        id: int


def key_defaulters(session: Session, *, compound: Compound, limit: int = 500) -> list[Defaulter]:
    """Open cases at a key-defaulter level, largest balance first, each with its latest contacts."""
    task = (
        sa.select(sa.func.max(action_t.c.id))
        .where(action_t.c.compound_id == case_t.c.compound_id, action_t.c.case_id == case_t.c.id,
               action_t.c.status == "open", action_t.c.action == ActionKind.key_defaulter.value)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(case_t.c.id, case_t.c.payer_id, account_t.c.code, account_t.c.name, building_t.c.name.label("b"),
                  account_t.c.flat, account_t.c.phone, case_t.c.owed_fen, case_t.c.late_fee_fen,
                  case_t.c.oldest_due_on, case_t.c.opened_on, case_t.c.promises_broken, task.label("task_id"))
        .select_from(case_t)
        .join(level_t, sa.and_(level_t.c.compound_id == case_t.c.compound_id, level_t.c.policy_id == case_t.c.policy_id,
                               level_t.c.position == case_t.c.level))
        .join(account_t, sa.and_(account_t.c.compound_id == case_t.c.compound_id, account_t.c.id == case_t.c.payer_id))
        .outerjoin(building_t, sa.and_(building_t.c.compound_id == account_t.c.compound_id,
                                       building_t.c.id == account_t.c.building_id))
        .where(case_t.c.compound_id == compound.id, case_t.c.closed_on.is_(None),
               level_t.c.action == ActionKind.key_defaulter.value)
        .order_by(case_t.c.owed_fen.desc(), account_t.c.code)
        .limit(limit)
    ).all()
    found = {r.id: Defaulter(r.id, r.payer_id, r.code, r.name, r.b, r.flat, r.phone, yuan(r.owed_fen),
                             yuan(r.late_fee_fen), r.oldest_due_on, r.opened_on, r.promises_broken, r.task_id)
             for r in rows}
    if found:
        # Contacts of the payer's every case: the history of the chase, not only this round of it.
        payer_of = {d.payer_id: d for d in found.values()}
        contacts = session.execute(
            sa.select(case_t.c.payer_id, contact_t.c.at, contact_t.c.by, contact_t.c.outcome, contact_t.c.note)
            .join(case_t, sa.and_(case_t.c.compound_id == contact_t.c.compound_id, case_t.c.id == contact_t.c.case_id))
            .where(contact_t.c.compound_id == compound.id, case_t.c.payer_id.in_(list(payer_of)))
            .order_by(contact_t.c.at.desc(), contact_t.c.id.desc())
        )
        for payer_id, at, by, outcome, note in contacts:
            d = payer_of[payer_id]
            d.contact_count += 1
            if len(d.contacts) < CONTACTS_SHOWN:
                d.contacts.append((at, by, outcome, note))
    return list(found.values())


@dataclass(frozen=True)
class LevelRate:
    policy: str
    position: int
    action: str
    actions: int  # made in the year, their 30 days over
    paid_any: int  # the payer paid something within the 30 days
    paid_all: int  # …at least what was owed when the action was made

    @property
    def rate(self) -> Decimal | None:
        return (Decimal(self.paid_all) / self.actions * 100).quantize(Decimal("0.1")) if self.actions else None


def collection_rates(session: Session, *, compound: Compound, today: date) -> list[LevelRate]:
    """Per policy and level: how many of the payers its action reached paid within 30 days after it."""
    paid = (
        sa.select(sa.func.coalesce(sa.func.sum(fen(payment_t.c.amount)), 0))
        .where(payment_t.c.compound_id == action_t.c.compound_id, payment_t.c.payer_id == action_t.c.payer_id,
               payment_t.c.received_on > action_t.c.created_on, payment_t.c.received_on <= action_t.c.follow_up_by,
               ~reversed_by(AsOf.of(compound, today)))
        .scalar_subquery()
    )
    made = (
        sa.select(case_t.c.policy_id, action_t.c.position, action_t.c.action, action_t.c.owed_fen,
                  paid.label("paid"))
        .join(case_t, sa.and_(case_t.c.compound_id == action_t.c.compound_id, case_t.c.id == action_t.c.case_id))
        .where(action_t.c.compound_id == compound.id, action_t.c.follow_up_by <= today,
               action_t.c.created_on >= today - timedelta(days=RATE_DAYS))
        .subquery("made")
    )
    rows = session.execute(
        sa.select(policy_t.c.name, made.c.position, made.c.action, sa.func.count(),
                  sa.func.sum(sa.case((made.c.paid > 0, 1), else_=0)),
                  sa.func.sum(sa.case((made.c.paid >= made.c.owed_fen, 1), else_=0)))
        .join(policy_t, sa.and_(policy_t.c.compound_id == compound.id, policy_t.c.id == made.c.policy_id))
        .group_by(policy_t.c.id, policy_t.c.name, made.c.position, made.c.action)
        .order_by(policy_t.c.id, made.c.position)
    )
    return [LevelRate(name, pos, act, n, int(any_ or 0), int(all_ or 0)) for name, pos, act, n, any_, all_ in rows]


def overview(session: Session, *, compound_id: int) -> dict[str, object]:
    """Open cases by policy and level, and their balance."""
    rows = session.execute(
        sa.select(policy_t.c.name, case_t.c.level, level_t.c.action, sa.func.count(),
                  sa.cast(sa.func.sum(case_t.c.owed_fen), sa.BigInteger))
        .select_from(case_t)
        .join(policy_t, sa.and_(policy_t.c.compound_id == case_t.c.compound_id, policy_t.c.id == case_t.c.policy_id))
        .outerjoin(level_t, sa.and_(level_t.c.compound_id == case_t.c.compound_id,
                                    level_t.c.policy_id == case_t.c.policy_id, level_t.c.position == case_t.c.level))
        .where(case_t.c.compound_id == compound_id, case_t.c.closed_on.is_(None))
        .group_by(policy_t.c.id, policy_t.c.name, case_t.c.level, level_t.c.action)
        .order_by(policy_t.c.id, case_t.c.level)
    ).all()
    return {"levels": [(name, level, action, n, yuan(owed)) for name, level, action, n, owed in rows]}
