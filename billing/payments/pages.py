"""Finance pages: record a payment, its printable receipt, reversal, a payer's statement, the ageing table with
payment habits, payroll deduction batches and funding requests with their printable letter.

Server-rendered, no JavaScript needed; every post ends in a 303 and a flash message, or the page again with the
reason beside the field and what was typed kept.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from billing.ledger import BUCKETS, AgeBy, ageing, balance, habits, open_items, statement
from billing.ledger.ageing import totals
from billing.ledger.entries import yuan
from billing.models import Bill, BillingPeriod
from billing.payments import funding, payroll
from billing.payments.models import Payment, PaymentMethod
from billing.payments.receipts import capitals
from billing.payments.service import (
    NewPayment,
    allocations_of,
    get_payment,
    methods,
    owed_bills,
    payments_of,
    record_payment,
    reversal_of,
    reverse_payment,
)
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit import clock
from compound.kit.errors import AppError, InvalidInput
from compound.kit.export import xlsx_bytes
from compound.kit.forms import FormDep, parse_date
from compound.kit.i18n import N_, get_locale
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import AccountDep, CompoundDep
from compound.register.models import Account, Compound

router = APIRouter(prefix="/c/{compound_id}", include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.billing_view)]
EDIT = [Require(Perm.billing_edit)]

KINDS = {"bill": N_("Bill"), "adjustment": N_("Adjustment"), "payment": N_("Payment"), "reversal": N_("Reversal")}
UTILITIES = {"water": N_("Water"), "electricity": N_("Electricity")}
HABITS = {
    "monthly": N_("monthly"),
    "half_yearly": N_("twice a year"),
    "yearly": N_("once a year"),
    "irregular": N_("irregular"),
    "none": N_("no payment in 24 months"),
}
GROUPS = {
    "account": N_("Account"),
    "building": N_("Building"),
    "zone": N_("Zone"),
    "class": N_("Class"),
    "payer": N_("Payer"),
}


def _method_name(m: PaymentMethod) -> str:
    return m.name_zh if get_locale() == "zh_Hans" else m.name_en


def _common(session: Session, compound: Compound) -> dict[str, Any]:
    return {
        "compound": compound,
        "kinds": KINDS,
        "utilities": UTILITIES,
        "method_names": {m.code: _method_name(m) for m in methods(session, active_only=False)},
    }


def _account_by_code(session: Session, compound: Compound, code: str) -> Account:
    account = session.exec(
        select(Account).where(Account.compound_id == compound.id, Account.code == code.strip())
    ).first()
    if account is None:
        raise InvalidInput(_("There is no account “%(code)s” in this compound.", code=code), field="payer")
    return account


def _bill_labels(session: Session, compound: Compound, bill_ids: list[int]) -> dict[int, str]:
    q = (
        sa.select(Bill.id, Bill.utility, BillingPeriod.month, Account.code)
        .join(BillingPeriod, sa.and_(BillingPeriod.compound_id == Bill.compound_id, BillingPeriod.id == Bill.period_id))
        .join(Account, sa.and_(Account.compound_id == Bill.compound_id, Account.id == Bill.account_id))
        .where(Bill.compound_id == compound.id, Bill.id.in_(bill_ids))
    )
    return {i: f"{m:%Y-%m} {_(UTILITIES.get(u, u))} · {code}" for i, u, m, code in session.execute(q)}


# --- recording a payment -------------------------------------------------------------------------------------


@router.get("/payments", dependencies=VIEW, name="payments_list")
def payments_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    rows = payments_of(session, compound_id=compound.id, limit=100)
    payers = {
        a.id: a
        for a in session.exec(
            select(Account).where(Account.compound_id == compound.id, Account.id.in_([p.payer_id for p in rows]))
        )
    }
    return render(request, "payments/list.html", {**_common(session, compound), "payments": rows, "payers": payers})


def _new_page(
    request: Request,
    session: Session,
    compound: Compound,
    values: dict[str, str],
    *,
    error: AppError | None = None,
    picked: list[int] | None = None,
    status_code: int = 200,
) -> Response:
    payer, owed, labels = None, [], {}
    code = values.get("payer", "")
    if code:
        payer = session.exec(select(Account).where(Account.compound_id == compound.id, Account.code == code)).first()
    if payer is not None:
        owed = owed_bills(session, compound=compound, payer_id=payer.id)
        labels = _bill_labels(session, compound, [b for b, _f in owed])
    context = {
        **_common(session, compound),
        "values": values,
        "error": error,
        "payer": payer,
        "picked": picked or [],
        "owed": [(b, labels.get(b, str(b)), yuan(f)) for b, f in owed],
        "methods": methods(session),
        "balance": balance(session, compound=compound, payer_id=payer.id, as_of=clock.today(compound))
        if payer
        else None,
    }
    return render(request, "payments/new.html", context, status_code=status_code)


@router.get("/payments/new", dependencies=EDIT, name="payment_new")
def new_payment_page(request: Request, session: SessionDep, compound: CompoundDep, payer: str = "") -> Response:
    values = {"payer": payer[:32], "method": "cash", "received_on": clock.today(compound).isoformat()}
    return _new_page(request, session, compound, values)


@router.post("/payments/new", dependencies=EDIT)
def new_payment_post(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, form: FormDep
) -> Response:
    names = ("payer", "method", "amount", "received_on", "reference", "note")
    values = {n: str(form.get(n) or "").strip()[:500] for n in names}
    picked = [int(x) for x in form.getlist("bill_ids") if str(x).isdigit()][:100]
    try:
        with session.begin_nested():
            payer = _account_by_code(session, compound, values["payer"])
            try:
                amount = Decimal(values["amount"])
            except InvalidOperation:
                raise InvalidInput(_("“%(text)s” is not a number.", text=values["amount"]), field="amount") from None
            payment = record_payment(
                session,
                compound=compound,
                recorded_by=principal.view.username,
                data=NewPayment(
                    payer_id=payer.id,
                    method=values["method"],
                    amount=amount,
                    received_on=parse_date(values["received_on"], name="received_on")
                    if values["received_on"]
                    else None,
                    reference=values["reference"][:100],
                    note=values["note"],
                    bill_ids=tuple(picked),
                ),
            )
    except AppError as exc:
        return _new_page(request, session, compound, values, error=exc, picked=picked, status_code=422)
    flash(request, _("Payment recorded: receipt %(no)s.", no=payment.receipt_no))
    return RedirectResponse(f"/c/{compound.id}/payments/{payment.id}/receipt", status_code=303)


# --- the receipt and reversal ---------------------------------------------------------------------------------


@router.get("/payments/{payment_id}/receipt", dependencies=VIEW, name="payment_receipt")
def receipt_page(request: Request, session: SessionDep, compound: CompoundDep, payment_id: IdPath) -> Response:
    payment = get_payment(session, compound=compound, payment_id=payment_id)
    return _receipt(request, session, compound, payment)


def _receipt(
    request: Request,
    session: Session,
    compound: Compound,
    payment: Payment,
    *,
    error: AppError | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    allocations = allocations_of(session, compound_id=compound.id, payment_id=payment.id)
    labels = _bill_labels(session, compound, [a.bill_id for a in allocations])
    context = {
        **_common(session, compound),
        "payment": payment,
        "payer": session.get(Account, payment.payer_id),
        "allocations": [(labels.get(a.bill_id, ""), a.amount) for a in allocations],
        "credit": payment.amount - sum((a.amount for a in allocations), Decimal("0.00")),
        "capitals": capitals(payment.amount),
        "reversal": reversal_of(session, compound_id=compound.id, payment_id=payment.id),
        "balance": balance(session, compound=compound, payer_id=payment.payer_id, as_of=clock.today(compound)),
        "error": error,
        "reason": reason,
    }
    return render(request, "payments/receipt.html", context, status_code=status_code)


@router.post("/payments/{payment_id}/reverse", dependencies=EDIT)
def reverse_post(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    payment_id: IdPath,
    form: FormDep,
) -> Response:
    reason = str(form.get("reason") or "").strip()[:500]
    try:
        with session.begin_nested():
            reverse_payment(
                session, compound=compound, payment_id=payment_id, reason=reason, reversed_by=principal.view.username
            )
    except AppError as exc:
        payment = get_payment(session, compound=compound, payment_id=payment_id)
        return _receipt(request, session, compound, payment, error=exc, reason=reason, status_code=422)
    flash(request, _("The payment is reversed; its bills are owed again."))
    return RedirectResponse(f"/c/{compound.id}/payments/{payment_id}/receipt", status_code=303)


# --- statement and ageing -----------------------------------------------------------------------------------


@router.get("/accounts/{account_id}/statement", dependencies=VIEW, name="account_statement")
def statement_page(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    account: AccountDep,
    from_date: str = "",
    to_date: str = "",
) -> Response:
    today = clock.today(compound)
    error = None
    try:
        first = parse_date(from_date, name="from_date") if from_date else today.replace(month=1, day=1)
        last = parse_date(to_date, name="to_date") if to_date else today
        if last < first:
            raise InvalidInput(_("The last day comes before the first."), field="to_date")
    except AppError as exc:
        error, first, last = exc, today.replace(month=1, day=1), today
    s = statement(session, compound=compound, payer_id=account.id, from_date=first, to_date=last)
    items = open_items(session, compound=compound, as_of=last, payers=[account.id])
    context = {
        **_common(session, compound),
        "account": account,
        "s": s,
        "error": error,
        "values": {"from_date": from_date or first.isoformat(), "to_date": to_date or last.isoformat()},
        "open": [(i, _bill_labels(session, compound, [i.bill_id]).get(i.bill_id, "")) for i in items],
    }
    return render(request, "payments/statement.html", context, status_code=422 if error else 200)


@router.get("/ageing", dependencies=VIEW, name="ageing")
def ageing_page(
    request: Request, session: SessionDep, compound: CompoundDep, as_of: str = "", by: str = "account"
) -> Response:
    today = clock.today(compound)
    error = None
    try:
        day = parse_date(as_of, name="as_of") if as_of else today
        group = AgeBy(by) if by in {g.value for g in AgeBy} else AgeBy.account
    except AppError as exc:
        error, day, group = exc, today, AgeBy.account
    rows = ageing(session, compound=compound, as_of=day, by=group)
    found = habits(session, compound=compound, as_of=day) if group in (AgeBy.account, AgeBy.payer) else {}
    context = {
        **_common(session, compound),
        "rows": rows[:500],
        "more": max(0, len(rows) - 500),
        "total": totals(rows),
        "buckets": [b for b, _d in BUCKETS],
        "by": group.value,
        "groups": GROUPS,
        "as_of": day,
        "error": error,
        "habits": found,
        "habit_labels": HABITS,
    }
    return render(request, "payments/ageing.html", context, status_code=422 if error else 200)


# --- payroll deduction ----------------------------------------------------------------------------------------


@router.get("/payroll", dependencies=VIEW, name="payroll")
def payroll_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _payroll(request, session, compound)


def _payroll(
    request: Request,
    session: Session,
    compound: Compound,
    *,
    report: list | None = None,
    error: AppError | None = None,
    status_code: int = 200,
    month: str = "",
) -> Response:
    shown = []
    for batch in payroll.batches(session, compound=compound)[:24]:
        rows = payroll.batch_rows(session, compound=compound, batch=batch)
        shown.append(
            (
                batch,
                len(rows),
                sum((r.amount for r, _a in rows), Decimal("0.00")),
                sum(1 for r, _a in rows if r.outcome == "deducted"),
            )
        )
    context = {
        **_common(session, compound),
        "batches": shown,
        "report": report,
        "error": error,
        "month": month or clock.today(compound).strftime("%Y-%m"),
        "labels": payroll.STATUS_LABELS,
    }
    return render(request, "payments/payroll.html", context, status_code=status_code)


@router.post("/payroll", dependencies=EDIT)
def payroll_make(request: Request, session: SessionDep, compound: CompoundDep, form: FormDep) -> Response:
    from billing.periods import parse_month

    text = str(form.get("month") or "").strip()[:7]
    try:
        with session.begin_nested():
            batch = payroll.make_batch(session, compound=compound, month=parse_month(text, field="month"))
    except AppError as exc:
        return _payroll(request, session, compound, error=exc, status_code=422, month=text)
    flash(
        request,
        _(
            "The deduction list of %(month)s is ready: download it for the payroll office.",
            month=batch.month.strftime("%Y-%m"),
        ),
    )
    return RedirectResponse(f"/c/{compound.id}/payroll", status_code=303)


@router.get("/payroll/{batch_id}.xlsx", dependencies=VIEW, name="payroll_xlsx")
def payroll_xlsx(session: SessionDep, compound: CompoundDep, batch_id: IdPath) -> Response:
    batch = payroll.get_batch(session, compound=compound, batch_id=batch_id)
    rows = payroll.export_rows(session, compound=compound, batch=batch)
    name = f"payroll-{batch.month:%Y-%m}.xlsx"
    return Response(
        xlsx_bytes(payroll.HEADER, rows, sheet=f"{batch.month:%Y-%m}"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/payroll/{batch_id}/confirm", dependencies=EDIT)
async def payroll_confirm(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    batch_id: IdPath,
    file: UploadFile = File(...),
) -> Response:
    from starlette.concurrency import run_in_threadpool

    data = await file.read(payroll_max_bytes() + 1)
    return await run_in_threadpool(
        _confirm, request, session, compound, principal.view.username, batch_id, data, file.filename or ""
    )


def payroll_max_bytes() -> int:
    from billing.payments.tables import MAX_BYTES

    return MAX_BYTES


def _confirm(
    request: Request, session: Session, compound: Compound, by: str, batch_id: int, data: bytes, filename: str
) -> Response:
    try:
        with session.begin_nested():
            report = payroll.import_confirmation(
                session, compound=compound, batch_id=batch_id, data=data, filename=filename, by=by
            )
    except AppError as exc:
        return _payroll(request, session, compound, error=exc, status_code=422)
    return _payroll(request, session, compound, report=report)


# --- funding requests ----------------------------------------------------------------------------------------


@router.get("/funding", dependencies=VIEW, name="funding")
def funding_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _funding(request, session, compound)


def _funding(
    request: Request,
    session: Session,
    compound: Compound,
    *,
    error: AppError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    today = clock.today(compound)
    months = session.exec(
        select(BillingPeriod.month).where(BillingPeriod.compound_id == compound.id).order_by(BillingPeriod.month.desc())
    ).all()
    context = {
        **_common(session, compound),
        "requests": funding.requests(session, compound=compound),
        "today": today,
        "error": error,
        "values": values or {"month": months[0].strftime("%Y-%m") if months else ""},
        "months": [m.strftime("%Y-%m") for m in months],
    }
    return render(request, "payments/funding.html", context, status_code=status_code)


@router.post("/funding", dependencies=EDIT)
def funding_make(
    request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep, form: FormDep
) -> Response:
    from billing.periods import parse_month

    text = str(form.get("month") or "").strip()[:7]
    try:
        with session.begin_nested():
            req = funding.request_funding(
                session, compound=compound, month=parse_month(text, field="month"), by=principal.view.username
            )
    except AppError as exc:
        return _funding(request, session, compound, error=exc, values={"month": text}, status_code=422)
    flash(request, _("Request %(no)s: %(amount)s yuan.", no=req.letter_no, amount=req.amount))
    return RedirectResponse(f"/c/{compound.id}/funding/{req.id}/letter", status_code=303)


@router.get("/funding/{request_id}/letter", dependencies=VIEW, name="funding_letter")
def funding_letter(request: Request, session: SessionDep, compound: CompoundDep, request_id: IdPath) -> Response:
    req = funding.get_request(session, compound=compound, request_id=request_id)
    period = session.get(BillingPeriod, req.period_id)
    context = {
        **_common(session, compound),
        "req": req,
        "month": period.month if period else None,
        "lines": funding.letter_lines(session, compound=compound, request=req),
        "capitals": capitals(req.amount),
        "values": {"received_on": clock.today(compound).isoformat(), "amount": str(req.amount)},
    }
    return render(request, "payments/letter.html", context)


@router.post("/funding/{request_id}/receive", dependencies=EDIT)
def funding_receive(
    request: Request,
    session: SessionDep,
    compound: CompoundDep,
    principal: PrincipalDep,
    request_id: IdPath,
    form: FormDep,
) -> Response:
    values = {n: str(form.get(n) or "").strip()[:100] for n in ("amount", "received_on", "reference")}
    try:
        with session.begin_nested():
            try:
                amount = Decimal(values["amount"])
            except InvalidOperation:
                raise InvalidInput(_("“%(text)s” is not a number.", text=values["amount"]), field="amount") from None
            day = parse_date(values["received_on"], name="received_on") if values["received_on"] else None
            payment = funding.receive_funding(
                session,
                compound=compound,
                request_id=request_id,
                amount=amount,
                received_on=day,
                reference=values["reference"],
                by=principal.view.username,
            )
    except AppError as exc:
        return _funding(request, session, compound, error=exc, status_code=422)
    flash(request, _("Transfer recorded: receipt %(no)s.", no=payment.receipt_no))
    return RedirectResponse(f"/c/{compound.id}/funding", status_code=303)
