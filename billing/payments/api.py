"""JSON API of payments and the ledger: record (with an Idempotency-Key), list, reverse; balance, statement, ageing."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from billing.ledger import AgeBy, ageing, balance, statement
from billing.ledger.ageing import BUCKETS, AgeingRow, totals
from billing.payments import idempotency
from billing.payments.models import Payment, PaymentSource
from billing.payments.schemas import (
    AgeingRead,
    AgeingRowRead,
    BalanceRead,
    MethodRead,
    PaymentCreate,
    PaymentPage,
    PaymentRead,
    ReversalCreate,
    StatementLineRead,
    StatementRead,
)
from billing.payments.service import (
    NewPayment,
    allocations_of,
    get_payment,
    methods,
    payments_of,
    record_payment,
    reversal_of,
    reverse_payment,
)
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath, Offset, PlausibleDate, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import AccountDep, CompoundDep
from compound.register.models import Compound

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["payments"], route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.billing_view)]
EDIT = [Require(Perm.billing_edit)]


def payment_read(session: Session, compound: Compound, payment: Payment) -> PaymentRead:
    return PaymentRead.of(
        payment,
        allocations_of(session, compound_id=compound.id, payment_id=payment.id),
        reversal_of(session, compound_id=compound.id, payment_id=payment.id),
    )


@router.get("/payment-methods", dependencies=VIEW, response_model=list[MethodRead])
def list_methods(session: SessionDep, compound: CompoundDep) -> list[MethodRead]:
    """The ways to pay (data: cash, bank transfer, WeChat Pay, Alipay, payroll deduction, finance bureau)."""
    return [MethodRead(code=m.code, name_zh=m.name_zh, name_en=m.name_en, kind=m.kind) for m in methods(session)]


@router.post("/payments", dependencies=EDIT, response_model=PaymentRead, status_code=201)
def create_payment(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    body: PaymentCreate,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Record a payment: a receipt number, then allocation to the picked bills and the oldest ones.

    With an `Idempotency-Key` header a retry with the same body gets the first answer (header
    `Idempotent-Replayed: true`) and records nothing; the same key with a different body is refused (409).
    """

    def run() -> idempotency.Answer:
        data = NewPayment(
            payer_id=body.payer_id,
            method=body.method,
            amount=body.amount,
            received_on=body.received_on,
            reference=body.reference,
            note=body.note,
            bill_ids=tuple(body.bill_ids),
        )
        payment = record_payment(
            session, compound=compound, data=data, source=PaymentSource.api, recorded_by=principal.view.username
        )
        return idempotency.Answer(201, payment_read(session, compound, payment).model_dump(mode="json"))

    if idempotency_key is None:
        answer = run()
    else:
        fingerprint = idempotency.fingerprint("POST", request.url.path, body.model_dump(mode="json"))
        answer = idempotency.once(
            session, compound_id=compound.id, key=idempotency_key, fingerprint=fingerprint, run=run
        )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@router.get("/payments", dependencies=VIEW, response_model=PaymentPage)
def list_payments(
    session: SessionDep,
    compound: CompoundDep,
    payer_id: RefId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> PaymentPage:
    """Payments, newest first; a payer's only with `payer_id`."""
    rows = payments_of(session, compound_id=compound.id, payer_id=payer_id, limit=limit, offset=offset)
    return PaymentPage(items=[payment_read(session, compound, p) for p in rows], limit=limit, offset=offset)


@router.get("/payments/{payment_id}", dependencies=VIEW, response_model=PaymentRead)
def read_payment(session: SessionDep, compound: CompoundDep, payment_id: IdPath) -> PaymentRead:
    return payment_read(session, compound, get_payment(session, compound=compound, payment_id=payment_id))


@router.post("/payments/{payment_id}/reversal", dependencies=EDIT, response_model=PaymentRead, status_code=201)
def reverse(
    session: SessionDep, compound: CompoundDep, principal: PrincipalDep, payment_id: IdPath, body: ReversalCreate
) -> PaymentRead:
    """Reverse a wrong payment with a reason; it stays, void, and its bills are owed again (409 if already)."""
    reverse_payment(
        session, compound=compound, payment_id=payment_id, reason=body.reason, reversed_by=principal.view.username
    )
    return payment_read(session, compound, get_payment(session, compound=compound, payment_id=payment_id))


@router.get("/accounts/{account_id}/balance", dependencies=VIEW, response_model=BalanceRead)
def read_balance(
    session: SessionDep, compound: CompoundDep, account: AccountDep, as_of: PlausibleDate | None = None
) -> BalanceRead:
    """The payer's balance at the end of `as_of` (default today): the ledger's sum."""
    day = as_of or clock.today(compound)
    return BalanceRead(
        payer_id=account.id, as_of=day, balance=balance(session, compound=compound, payer_id=account.id, as_of=day)
    )


@router.get("/accounts/{account_id}/statement", dependencies=VIEW, response_model=StatementRead)
def read_statement(
    session: SessionDep,
    compound: CompoundDep,
    account: AccountDep,
    from_date: PlausibleDate,
    to_date: PlausibleDate | None = None,
) -> StatementRead:
    """Opening balance, every bill, adjustment, payment and reversal, closing balance, for the days given."""
    to_date = to_date or clock.today(compound)
    if to_date < from_date:
        raise InvalidInput(_("The last day comes before the first."), field="to_date")
    s = statement(session, compound=compound, payer_id=account.id, from_date=from_date, to_date=to_date)
    lines = [
        StatementLineRead(
            on=x.on,
            kind=x.kind,
            ref=x.ref,
            description=x.description,
            debit=x.debit,
            credit=x.credit,
            balance=x.balance,
        )
        for x in s.lines
    ]
    return StatementRead(
        payer_id=account.id, from_date=from_date, to_date=to_date, opening=s.opening, lines=lines, closing=s.closing
    )


def _row(r: AgeingRow) -> AgeingRowRead:
    return AgeingRowRead(
        key=r.key,
        code=r.code,
        name=r.name,
        buckets=dict(zip([b for b, _ in BUCKETS], r.buckets, strict=True)),
        total=r.total,
        accounts=r.accounts,
    )


@router.get("/ageing", dependencies=VIEW, response_model=AgeingRead)
def read_ageing(
    session: SessionDep, compound: CompoundDep, as_of: PlausibleDate | None = None, by: AgeBy = AgeBy.account
) -> AgeingRead:
    """Arrears by days past due (0–30 … over 180), per account, building, zone, class or payer."""
    day: date = as_of or clock.today(compound)
    rows = ageing(session, compound=compound, as_of=day, by=by)
    return AgeingRead(as_of=day, by=by.value, rows=[_row(r) for r in rows], totals=_row(totals(rows)))
