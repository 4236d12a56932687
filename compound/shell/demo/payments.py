"""The demo compound's payment history over its 24 months of bills, from each account's planned habit.

Most households pay each month's bills a few days to three weeks after they are issued (a third of the monthly
payers through payroll deduction, 工资代扣, enrolled with a staff number); some pay every six months (June and
December) or once a year in December, everything issued since they last paid; late payers one to three months
late; defaulters stop after half a year. The finance bureau pays each month's official use two to five months
after the centre's funding request. Payments are dated, numbered per year without a gap, and allocated oldest
first month by month (so a past day's allocations are as they were then).

Set-based: one aggregate query for what each payer was billed each month, one multi-row INSERT of the payments,
the requests and their items, and one allocation statement per month; nothing loops over ORM objects.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from billing.ledger.entries import yuan
from billing.models import Bill, BillingPeriod, BillStatus
from billing.payments.allocation import apply_credit
from billing.payments.models import (
    FundingItem,
    FundingRequest,
    Payment,
    PaymentSource,
    PayrollEnrolment,
    ReceiptCounter,
)
from compound.kit import clock
from compound.register.models import Account, Compound
from compound.shell.demo.plan import PaymentHabit

DESK_METHODS = ("cash", "wechat_pay", "alipay", "bank_transfer", "wechat_pay")


@dataclass
class PaymentsDemo:
    payments: int
    funding_requests: int
    payroll_enrolled: int


def _billed(session: Session, compound_id: int) -> list[sa.Row]:
    """(payer_id, month, issued_at, fen) per payer and period: what each payer was billed each month."""
    b, p = Bill.__table__, BillingPeriod.__table__
    fen = sa.func.sum(sa.cast(sa.func.round(b.c.amount * 100), sa.BigInteger))
    q = (
        sa.select(b.c.payer_id, p.c.month, sa.func.min(b.c.issued_at).label("issued_at"), fen.label("fen"))
        .join(p, sa.and_(p.c.compound_id == b.c.compound_id, p.c.id == b.c.period_id))
        .where(b.c.compound_id == compound_id, b.c.status == BillStatus.issued)
        .group_by(b.c.payer_id, p.c.month)
        .order_by(b.c.payer_id, p.c.month)
    )
    return list(session.execute(q))


def _day(at: datetime | date) -> date:
    return at.astimezone(clock.zone("Asia/Shanghai")).date() if isinstance(at, datetime) else at


def _pays(habit: PaymentHabit, rows: list[sa.Row], rng: random.Random, today: date) -> list[tuple[date, int]]:
    """(received_on, fen) of one payer's payments."""
    out: list[tuple[date, int]] = []
    if habit in (PaymentHabit.monthly, PaymentHabit.late, PaymentHabit.defaulter):
        for k, r in enumerate(rows):
            if habit is PaymentHabit.defaulter and k >= 6:
                break
            if habit is PaymentHabit.monthly and rng.random() < 0.04:
                continue  # a month forgotten, paid with the next
            delay = rng.randint(3, 21) if habit is not PaymentHabit.late else rng.randint(30, 95)
            out.append((_day(r.issued_at) + timedelta(days=delay), r.fen))
        return [(d, f) for d, f in out if d <= today]
    months = (6, 12) if habit is PaymentHabit.half_yearly else (12,)
    last = date.min
    for year in sorted({_day(r.issued_at).year for r in rows} | {today.year}):
        for m in months:
            day = date(year, m, rng.randint(10, 24))
            owed = sum(r.fen for r in rows if last < _day(r.issued_at) <= day)
            if owed and day <= today:
                out.append((day, owed))
                last = day
    return out


def build_payments(
    session: Session, *, compound_id: int, habits: dict[str, PaymentHabit], seed: str = "demo", staff_share: int = 3
) -> PaymentsDemo:
    """Payments, payroll enrolments and funding requests over the bills already issued (none: nothing to do)."""
    if not sa.inspect(session.connection()).has_table(Payment.__tablename__):
        return PaymentsDemo(0, 0, 0)
    compound = session.get(Compound, compound_id)
    today = clock.today(compound)
    rng = random.Random(f"{seed}:payments")
    codes = dict(session.execute(sa.select(Account.id, Account.code).where(Account.compound_id == compound_id)).all())
    by_payer: dict[int, list[sa.Row]] = {}
    for r in _billed(session, compound_id):
        by_payer.setdefault(r.payer_id, []).append(r)
    payroll = [
        a for a in sorted(by_payer) if habits.get(codes[a]) is PaymentHabit.monthly and codes[a].startswith("H")
    ][::staff_share]
    rows: list[dict] = []
    for payer, billed in by_payer.items():
        habit = habits.get(codes[payer], PaymentHabit.monthly)
        if habit is PaymentHabit.earmarked or codes[payer] not in habits and not codes[payer].startswith("H"):
            continue  # the finance bureau's payer account: by funding request below
        method = "payroll" if payer in payroll else DESK_METHODS[payer % len(DESK_METHODS)]
        for day, fen in _pays(habit, billed, rng, today):
            rows.append(
                {
                    "payer_id": payer,
                    "received_on": day,
                    "fen": fen,
                    "method": method,
                    "source": PaymentSource.demo.value,
                    "funding_request_id": None,
                }
            )
    requests = _funding(session, compound, by_payer, codes, habits, rng, today, rows)
    _insert_payments(session, compound_id, rows)
    if payroll:
        session.execute(
            sa.insert(PayrollEnrolment.__table__),
            [
                {
                    "compound_id": compound_id,
                    "account_id": a,
                    "staff_no": f"GZ{1000 + i:04d}",
                    "active": True,
                    "since_date": date(2020, 1, 1),
                }
                for i, a in enumerate(payroll)
            ],
        )
    start = min((r.month for rs in by_payer.values() for r in rs), default=today)
    month = start
    while month <= today:  # allocate as it happened, month by month
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        apply_credit(session, compound=compound, on=min(nxt - timedelta(days=1), today))
        month = nxt
    return PaymentsDemo(len(rows), requests, len(payroll))


def _funding(
    session: Session,
    compound: Compound,
    by_payer: dict,
    codes: dict,
    habits: dict,
    rng: random.Random,
    today: date,
    rows: list[dict],
) -> int:
    """A request a week after each month's official use is issued; the transfer 2–5 months later, if by today."""
    b, p = Bill.__table__, BillingPeriod.__table__
    official = session.execute(
        sa.select(b.c.id, b.c.payer_id, b.c.amount, b.c.period_id, p.c.month, b.c.issued_at)
        .join(p, sa.and_(p.c.compound_id == b.c.compound_id, p.c.id == b.c.period_id))
        .where(b.c.compound_id == compound.id, b.c.official_use, b.c.status == BillStatus.issued)
        .order_by(p.c.month, b.c.id)
    ).all()
    by_period: dict[int, list[sa.Row]] = {}
    for r in official:
        by_period.setdefault(r.period_id, []).append(r)
    count_per_year: dict[int, int] = {}
    made = 0
    for period_id, bills in by_period.items():
        asked_on = _day(bills[0].issued_at) + timedelta(days=7)
        if asked_on > today:
            continue
        count_per_year[asked_on.year] = count_per_year.get(asked_on.year, 0) + 1
        arrives = asked_on + timedelta(days=rng.randint(60, 150))
        amount = sum((x.amount for x in bills), start=type(bills[0].amount)(0))
        req = FundingRequest(
            compound_id=compound.id,
            period_id=period_id,
            payer_id=bills[0].payer_id,
            letter_no=f"{asked_on.year}-{count_per_year[asked_on.year]:03d}",
            amount=amount,
            status="received" if arrives <= today else "requested",
            requested_on=asked_on,
            received_on=arrives if arrives <= today else None,
            created_by="demo-finance",
        )
        session.add(req)
        session.flush()
        session.execute(
            sa.insert(FundingItem.__table__),
            [{"compound_id": compound.id, "request_id": req.id, "bill_id": x.id, "amount": x.amount} for x in bills],
        )
        if arrives <= today:
            rows.append(
                {
                    "payer_id": req.payer_id,
                    "received_on": arrives,
                    "fen": int(amount * 100),
                    "method": "finance_bureau",
                    "source": PaymentSource.funding.value,
                    "funding_request_id": req.id,
                }
            )
        made += 1
    return made


def _insert_payments(session: Session, compound_id: int, rows: list[dict]) -> None:
    """Numbered per year in the order received, then the counters where the numbering stopped."""
    rows.sort(key=lambda r: (r["received_on"], r["payer_id"]))
    last: dict[int, int] = {}
    values = []
    for r in rows:
        year = r["received_on"].year
        last[year] = last.get(year, 0) + 1
        values.append(
            {
                "compound_id": compound_id,
                "payer_id": r["payer_id"],
                "method": r["method"],
                "amount": yuan(r["fen"]),
                "received_on": r["received_on"],
                "receipt_no": f"{year}-{last[year]:06d}",
                "reference": "",
                "note": "",
                "source": r["source"],
                "funding_request_id": r["funding_request_id"],
                "recorded_by": "demo-finance",
            }
        )
    if values:
        session.execute(sa.insert(Payment.__table__), values)
    if last:
        session.execute(
            sa.insert(ReceiptCounter.__table__),
            [{"compound_id": compound_id, "year": y, "last_number": n} for y, n in last.items()],
        )
