"""Today's tasks (calls, visits, letters, the key-defaulter review) and the outcome staff record for each."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.collections.models import (
    LETTERS,
    ActionKind,
    ActionStatus,
    CollectionAction,
    CollectionCase,
    CollectionContact,
    ContactOutcome,
)
from billing.ledger.entries import to_fen, yuan
from billing.payments.models import PaymentSource
from billing.payments.service import NewPayment, check_amount, record_payment
from compound.audit.service import record
from compound.kit import clock, lookups
from compound.kit.errors import Conflict, InvalidInput, NotFound
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Building, Compound

action_t = CollectionAction.__table__
case_t = CollectionCase.__table__
contact_t = CollectionContact.__table__
account_t = Account.__table__
building_t = Building.__table__
MAX_PROMISE_DAYS = 366
# What each kind of task may end in.
OUTCOMES = {
    ActionKind.written_notice: (ContactOutcome.sent,),
    ActionKind.official_letter: (ContactOutcome.sent,),
    ActionKind.phone_call: (ContactOutcome.reached, ContactOutcome.not_reached, ContactOutcome.promised,
                            ContactOutcome.refused, ContactOutcome.paid),
    ActionKind.home_visit: (ContactOutcome.reached, ContactOutcome.not_reached, ContactOutcome.promised,
                            ContactOutcome.refused, ContactOutcome.paid),
    ActionKind.key_defaulter: (ContactOutcome.reached, ContactOutcome.not_reached, ContactOutcome.promised,
                               ContactOutcome.refused, ContactOutcome.paid),
}


@dataclass(frozen=True)
class Task:
    id: int
    action: str
    position: int
    payer_id: int
    code: str
    name: str
    building: str | None
    building_id: int | None
    flat: str | None
    phone: str | None
    owed: Decimal  # as the latest run found it
    late_fee: Decimal
    oldest_due_on: date | None
    created_on: date
    assignee: str
    contacts: int
    last_outcome: str | None
    promise_date: date | None

    def days_overdue(self, today: date) -> int | None:
        return (today - self.oldest_due_on).days if self.oldest_due_on else None


def _contacts() -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    count = (sa.select(sa.func.count()).where(contact_t.c.compound_id == action_t.c.compound_id,
                                              contact_t.c.case_id == action_t.c.case_id).scalar_subquery())
    last = (sa.select(contact_t.c.outcome)
            .where(contact_t.c.compound_id == action_t.c.compound_id, contact_t.c.case_id == action_t.c.case_id)
            .order_by(contact_t.c.at.desc(), contact_t.c.id.desc()).limit(1).scalar_subquery())
    return count, last


def task_query(compound_id: int) -> sa.Select:
    count, last = _contacts()
    return (
        sa.select(action_t.c.id, action_t.c.action, action_t.c.position, action_t.c.payer_id, account_t.c.code,
                  account_t.c.name, building_t.c.name.label("building"), action_t.c.building_id, account_t.c.flat,
                  account_t.c.phone, case_t.c.owed_fen, case_t.c.late_fee_fen, case_t.c.oldest_due_on,
                  action_t.c.created_on, action_t.c.assignee, count.label("contacts"), last.label("last_outcome"),
                  case_t.c.promise_date)
        .select_from(action_t)
        .join(case_t, sa.and_(case_t.c.compound_id == action_t.c.compound_id, case_t.c.id == action_t.c.case_id))
        .join(account_t, sa.and_(account_t.c.compound_id == action_t.c.compound_id,
                                 account_t.c.id == action_t.c.payer_id))
        .outerjoin(building_t, sa.and_(building_t.c.compound_id == action_t.c.compound_id,
                                       building_t.c.id == action_t.c.building_id))
        .where(action_t.c.compound_id == compound_id)
    )


def _task(r: sa.Row) -> Task:
    return Task(r.id, r.action, r.position, r.payer_id, r.code, r.name, r.building, r.building_id, r.flat, r.phone,
                yuan(r.owed_fen), yuan(r.late_fee_fen), r.oldest_due_on, r.created_on, r.assignee, r.contacts,
                r.last_outcome, r.promise_date)


def open_tasks(
    session: Session, *, compound: Compound, kinds: tuple[str, ...], building_id: int | None = None,
    assignee: str | None = None, limit: int = 500,
) -> list[Task]:
    """Open tasks of these kinds, in walking order for visits (building, flat), largest balance first otherwise."""
    q = task_query(compound.id).where(action_t.c.status == ActionStatus.open.value, action_t.c.action.in_(kinds))
    if building_id is not None:
        q = q.where(action_t.c.building_id == building_id)
    if assignee:
        q = q.where(sa.or_(action_t.c.assignee == assignee, action_t.c.assignee == ""))
    q = q.order_by(building_t.c.name, account_t.c.flat, account_t.c.code) if ActionKind.home_visit in kinds \
        else q.order_by(case_t.c.owed_fen.desc(), account_t.c.code)
    return [_task(r) for r in session.execute(q.limit(limit))]


def task_counts(session: Session, *, compound_id: int) -> dict[str, int]:
    rows = session.execute(
        sa.select(action_t.c.action, sa.func.count())
        .where(action_t.c.compound_id == compound_id, action_t.c.status == ActionStatus.open.value)
        .group_by(action_t.c.action)
    )
    return dict(rows.all())


def get_task(session: Session, *, compound: Compound, action_id: int) -> Task:
    row = session.execute(task_query(compound.id).where(action_t.c.id == action_id)).first()
    if row is None:
        raise NotFound(_("There is no such task."), field="action_id")
    return _task(row)


@dataclass(frozen=True)
class Outcome:
    outcome: ContactOutcome
    note: str = ""
    promise_date: date | None = None
    promise_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    paid_method: str | None = None


def _check(action: CollectionAction, data: Outcome, today: date) -> None:
    if action.status != ActionStatus.open:
        raise Conflict(_("This task is already closed; the run will make a new one if the account is still owing."))
    if data.outcome not in OUTCOMES[ActionKind(action.action)]:
        raise InvalidInput(_("This outcome does not fit this kind of task."), field="outcome")
    if data.outcome == ContactOutcome.promised:
        if data.promise_date is None:
            raise InvalidInput(_("A promise needs the date by which they will pay."), field="promise_date")
        if not today <= data.promise_date <= today + timedelta(days=MAX_PROMISE_DAYS):
            raise InvalidInput(_("The promised date must be between today and a year from now."), field="promise_date")
        if data.promise_amount is None:
            raise InvalidInput(_("A promise needs the amount they will pay."), field="promise_amount")
        check_amount(data.promise_amount, field="promise_amount")
    if data.outcome == ContactOutcome.paid:
        if data.paid_amount is None:
            raise InvalidInput(_("Enter the amount paid."), field="paid_amount")
        check_amount(data.paid_amount, field="paid_amount")
        if not data.paid_method:
            raise InvalidInput(_("Choose how they paid."), field="paid_method")
    if len(data.note) > 500:
        raise InvalidInput(_("The note is too long (500 characters at most)."), field="note")


def record_outcome(
    session: Session, *, compound: Compound, action_id: int, data: Outcome, by: str
) -> CollectionContact:
    """Record a contact: 'not reached' leaves the task open; a promise pauses the chase; 'paid' records the payment."""
    action = lookups.get_or_raise(session, CollectionAction, compound_id=compound.id, id=action_id,
                                  message=_("There is no such task."), field="action_id", for_update=True)
    today = clock.today(compound)
    _check(action, data, today)
    case = session.get(CollectionCase, action.case_id, with_for_update=True)
    contact = CollectionContact(compound_id=compound.id, action_id=action.id, case_id=action.case_id,
                                at=clock.now(), by=by, outcome=data.outcome, note=data.note.strip())
    if data.outcome == ContactOutcome.promised:
        contact.promise_date, contact.promise_fen = data.promise_date, to_fen(data.promise_amount)
        case.promise_date, case.promise_fen, case.promise_made_on = data.promise_date, contact.promise_fen, today
        session.add(case)
    if data.outcome == ContactOutcome.paid:
        payment = record_payment(
            session, compound=compound, source=PaymentSource.desk, recorded_by=by,
            data=NewPayment(payer_id=action.payer_id, method=data.paid_method, amount=data.paid_amount,
                            received_on=today, note=_("Collected on a collection task")),
        )
        contact.payment_id = payment.id
    if data.outcome != ContactOutcome.not_reached:
        action.status, action.done_on, action.outcome = ActionStatus.done, today, data.outcome
        session.add(action)
    session.add(contact)
    session.flush()
    return contact


def mark_letters_sent(
    session: Session, *, compound: Compound, kind: str, building_id: int | None, by: str
) -> int:
    """The open letters of a building (or the official letters) printed and sent: one contact each, set-based."""
    if kind not in LETTERS:
        raise InvalidInput(_("Only letters are printed."), field="kind")
    where = [action_t.c.compound_id == compound.id, action_t.c.status == ActionStatus.open.value,
             action_t.c.action == kind]
    where.append(action_t.c.building_id.is_(None) if building_id is None else action_t.c.building_id == building_id)
    today, now = clock.today(compound), clock.now()
    ids = session.execute(sa.select(action_t.c.id, action_t.c.case_id).where(*where).with_for_update()).all()
    if not ids:
        return 0
    session.execute(sa.insert(contact_t), [
        {"compound_id": compound.id, "action_id": i, "case_id": case_id, "at": now, "by": by,
         "outcome": ContactOutcome.sent.value, "promise_date": None, "promise_fen": None, "payment_id": None,
         "note": ""}
        for i, case_id in ids
    ])
    session.execute(sa.update(action_t).where(action_t.c.id.in_([i for i, _c in ids]), *where)
                    .values(status=ActionStatus.done.value, done_on=today, outcome=ContactOutcome.sent.value))
    record(session, action="create", object_type="collection_contact", compound_id=compound.id,
           summary=f"{len(ids)} {kind} sent (building {building_id or '-'})", after={"by": by})
    return len(ids)
