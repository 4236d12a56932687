"""Funding requests to the finance bureau for the leading bodies' official use, tracked until the money arrives.

A request gathers a period's official-use bills paid by the finance bureau's payer account that no earlier
request asked for, with what is still owed of each (set-based), under a letter number of the year. The letter
lists them by body (the consumer) and place (building). When the transfer arrives it is recorded as one payment
(method `finance_bureau`) allocated to the request's bills first; the request is then received.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from billing.ledger.entries import AsOf, bill_open, from_fen, yuan
from billing.models import Bill, BillingPeriod
from billing.payments.allocation import lock_payers
from billing.payments.models import FundingItem, FundingRequest, FundingStatus, Payment, PaymentSource
from billing.payments.service import NewPayment, check_amount, record_payment
from billing.setup import ensure_setup
from compound.kit import clock, lookups
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Building, Compound


def request_funding(session: Session, *, compound: Compound, month: date, by: str = "") -> FundingRequest:
    """A request for what is still owed of the period's official use (bills no earlier request asked for)."""
    payer_id = ensure_setup(session, compound_id=compound.id).finance_bureau_account_id
    period = session.exec(
        select(BillingPeriod).where(
            BillingPeriod.compound_id == compound.id, BillingPeriod.month == month.replace(day=1)
        )
    ).first()
    if period is None:
        raise InvalidInput(_("There are no bills of that month."), field="month")
    lock_payers(session, compound_id=compound.id, payers=[payer_id])  # one request at a time: letter numbers
    today = clock.today(compound)
    bo = bill_open(compound.id, AsOf.of(compound, today), [payer_id]).subquery("bo")
    asked = sa.select(FundingItem.bill_id).where(FundingItem.compound_id == compound.id)
    b = Bill.__table__
    wanted = (
        sa.select(bo.c.bill_id, bo.c.open_fen)
        .join(b, sa.and_(b.c.compound_id == compound.id, b.c.id == bo.c.bill_id))
        .where(b.c.period_id == period.id, bo.c.official_use, bo.c.open_fen > 0, bo.c.bill_id.not_in(asked))
    ).subquery("w")
    total = session.execute(sa.select(sa.func.sum(wanted.c.open_fen))).scalar()
    if not total:
        raise Conflict(_("Nothing of that month's official use is left to ask for."), field="month")
    request = FundingRequest(
        compound_id=compound.id,
        period_id=period.id,
        payer_id=payer_id,
        letter_no=_letter_no(session, compound, today),
        amount=yuan(total),
        requested_on=today,
        created_by=by,
    )
    session.add(request)
    session.flush()
    items = sa.select(sa.literal(compound.id), sa.literal(request.id), wanted.c.bill_id, from_fen(wanted.c.open_fen))
    session.execute(
        sa.insert(FundingItem.__table__).from_select(["compound_id", "request_id", "bill_id", "amount"], items)
    )
    return request


def _letter_no(session: Session, compound: Compound, today: date) -> str:
    prefix = f"{today.year}-"
    count = session.execute(
        sa.select(sa.func.count()).where(
            FundingRequest.compound_id == compound.id, FundingRequest.letter_no.startswith(prefix)
        )
    ).scalar_one()
    return f"{prefix}{count + 1:03d}"


def get_request(session: Session, *, compound: Compound, request_id: int) -> FundingRequest:
    return lookups.get_or_raise(
        session,
        FundingRequest,
        compound_id=compound.id,
        id=request_id,
        message=_("No such funding request."),
        field="request_id",
    )


def requests(session: Session, *, compound: Compound) -> list[FundingRequest]:
    q = select(FundingRequest).where(FundingRequest.compound_id == compound.id).order_by(FundingRequest.id.desc())
    return list(session.exec(q))


@dataclass(frozen=True)
class LetterLine:
    body: str  # the consumer: the office, the auditorium, a meeting room
    place: str  # its building
    utility: str
    amount: Decimal


def letter_lines(session: Session, *, compound: Compound, request: FundingRequest) -> list[LetterLine]:
    """The letter's table: per body and place and utility, the amount asked for."""
    q = (
        select(Account.name, Building.name, Bill.utility, FundingItem.amount)
        .join(Bill, sa.and_(Bill.compound_id == FundingItem.compound_id, Bill.id == FundingItem.bill_id))
        .join(Account, sa.and_(Account.compound_id == Bill.compound_id, Account.id == Bill.account_id))
        .outerjoin(Building, sa.and_(Building.compound_id == Account.compound_id, Building.id == Account.building_id))
        .where(FundingItem.compound_id == compound.id, FundingItem.request_id == request.id)
        .order_by(Account.name, Bill.utility)
    )
    return [LetterLine(body, place or "", utility, amount) for body, place, utility, amount in session.exec(q)]


def receive_funding(
    session: Session,
    *,
    compound: Compound,
    request_id: int,
    amount: Decimal,
    received_on: date | None = None,
    reference: str = "",
    by: str = "",
) -> Payment:
    """The finance bureau's transfer arrived: one payment, to the request's bills first; the request is received."""
    request = get_request(session, compound=compound, request_id=request_id)
    check_amount(amount)
    if request.status == FundingStatus.received:
        raise Conflict(_("This request's transfer is recorded already."), field="request_id")
    bill_ids = session.exec(
        select(FundingItem.bill_id)
        .where(FundingItem.compound_id == compound.id, FundingItem.request_id == request.id)
        .order_by(FundingItem.id)
    ).all()
    payment = record_payment(
        session,
        compound=compound,
        data=NewPayment(
            payer_id=request.payer_id,
            method="finance_bureau",
            amount=amount,
            received_on=received_on,
            reference=reference,
            note=_("Funding request %(no)s", no=request.letter_no),
            bill_ids=tuple(bill_ids),
        ),
        source=PaymentSource.funding,
        recorded_by=by,
        funding_request_id=request.id,
    )
    request.status, request.received_on = FundingStatus.received, payment.received_on
    session.add(request)
    session.flush()
    return payment
