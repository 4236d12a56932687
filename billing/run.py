"""The monthly bill run: draft (re-runnable), issue, close. Set-based: billing/run_sql.py holds the statements.

A draft is one transaction: the caller's unit of work commits it or rolls it all back, so a run killed midway
leaves nothing behind and the next run starts clean.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing import run_sql
from billing.errors import BillingError, BillsIssued, PeriodClosed, RunOutOfOrder
from billing.models import (
    Bill,
    BillException,
    BillingPeriod,
    BillStatus,
    PeriodStatus,
    Tariff,
    TariffBlock,
    TariffCharge,
    TariffComponent,
)
from billing.periods import Window, claim_period, month_label, window
from billing.setup import ensure_setup
from compound.kit import clock
from compound.kit.db import AwareDateTime
from compound.kit.i18n import gettext as _
from compound.register.models import Compound

Progress = Callable[[str, int, int], None]
FAR = date(9999, 12, 31)


@dataclass(frozen=True)
class RunResult:
    period: BillingPeriod
    bills: int
    exceptions: int
    amount: Decimal


def _typed(stmt: str, params: dict) -> sa.TextClause:
    """Bind dates and instants with the columns' own types, so SQLite compares them as it stores them."""
    clause = sa.text(stmt)
    binds = []
    for name, value in params.items():
        if f":{name}" not in stmt:
            continue
        if isinstance(value, datetime):
            binds.append(sa.bindparam(name, value, type_=AwareDateTime()))
        elif isinstance(value, date):
            binds.append(sa.bindparam(name, value, type_=sa.Date()))
        else:
            binds.append(sa.bindparam(name, value))
    return clause.bindparams(*binds)


def _refuse_if_out_of_order(session: Session, *, compound_id: int, period: BillingPeriod) -> None:
    def has(where: sa.ColumnElement[bool], status: str | None = None) -> str | None:
        q = (
            sa.select(BillingPeriod.month)
            .join(Bill, sa.and_(Bill.compound_id == BillingPeriod.compound_id, Bill.period_id == BillingPeriod.id))
            .where(BillingPeriod.compound_id == compound_id, where)
        )
        if status:
            q = q.where(Bill.status == status)
        found = session.execute(q.limit(1)).scalar()
        return month_label(found) if found else None

    if issued := has(BillingPeriod.id == period.id, BillStatus.issued):
        raise BillsIssued(
            _(
                "The bills of %(month)s are issued and never change. To correct one, make an adjustment (a credit or "
                "debit note) in an open period.",
                month=issued,
            ),
            field="period",
        )
    if later := has(BillingPeriod.month > period.month):
        raise RunOutOfOrder(
            _(
                "%(later)s already has bills, and they start where %(month)s ends: %(month)s cannot be run again.",
                later=later,
                month=month_label(period.month),
            ),
            field="period",
        )
    if earlier := has(BillingPeriod.month < period.month, BillStatus.draft):
        raise RunOutOfOrder(
            _(
                "The bills of %(earlier)s are still a draft: issue them before running %(month)s.",
                earlier=earlier,
                month=month_label(period.month),
            ),
            field="period",
        )


def run_draft(
    session: Session,
    *,
    compound: Compound,
    month: date,
    cutoff_day: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """(Re)make the period's draft: one bill per account and utility, with its lines and the exceptions."""
    settings = ensure_setup(session, compound_id=compound.id)
    period = claim_period(
        session,
        compound_id=compound.id,
        month=month,
        cutoff_day=cutoff_day if cutoff_day is not None else settings.cutoff_day,
    )
    if cutoff_day is not None and period.cutoff_day != cutoff_day:
        period.cutoff_day = cutoff_day
    _refuse_if_out_of_order(session, compound_id=compound.id, period=period)
    win = window(compound, month, period.cutoff_day)
    d = run_sql.Dialect(session.get_bind().dialect.name)
    params = {
        "c": compound.id,
        "m": month,
        "pid": period.id,
        "fb": settings.finance_bureau_account_id,
        "wstart": win.start,
        "wend": win.end,
        "wdays": win.days,
        "cutoff": win.end_at,
        "spike": "%spike%",
    }
    steps = [*run_sql.gather(d), *run_sql.price(d), *run_sql.write(d), *run_sql.exceptions()]
    _drop_temp(session)
    for stmt in run_sql.CREATE_INPUTS:
        session.execute(sa.text(stmt))
    _load_tariffs(session, compound_id=compound.id, month=month, win=win)
    for i, (stage, stmt) in enumerate(steps, start=1):
        session.execute(_typed(stmt, params))
        if progress and stage:
            progress(stage, i, len(steps))
    _drop_temp(session)
    period.run_at = clock.now()
    session.flush()
    return _result(session, period)


def _drop_temp(session: Session) -> None:
    for name in run_sql.TEMP_TABLES:
        session.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


def _year_start(month: date, ys_month: int, ys_day: int) -> date:
    start = date(month.year, ys_month, ys_day)
    return start if start <= month else date(month.year - 1, ys_month, ys_day)


def _milli(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 1000).to_integral_value())


def _load_tariffs(session: Session, *, compound_id: int, month: date, win: Window) -> None:
    """The versions that touch the window, with their figures as integers, into the run's input tables."""
    tariffs = list(
        session.execute(
            sa.select(Tariff).where(Tariff.compound_id == compound_id).order_by(Tariff.valid_from)
        ).scalars()
    )
    ends: dict[int, date] = {}
    last: dict[tuple[str, int], Tariff] = {}
    for t in tariffs:
        if (prev := last.get((t.utility, t.class_id))) is not None:
            ends[prev.id] = t.valid_from
        last[(t.utility, t.class_id)] = t
    touching = [t for t in tariffs if t.valid_from < win.end and ends.get(t.id, FAR) > win.start]
    if not touching:
        return
    versions = [
        {
            "tariff_id": t.id,
            "class_id": t.class_id,
            "utility": t.utility,
            "vfrom": t.valid_from,
            "vto": ends.get(t.id, FAR),
            "basis": t.block_basis,
            "year_start": _year_start(month, t.year_start_month, t.year_start_day),
            "min_milli": _milli(t.minimum_quantity),
            "base_persons": t.base_persons,
            "step_milli": _milli(t.threshold_step_per_person),
        }
        for t in touching
    ]
    ids = [t.id for t in touching]
    comps = list(
        session.execute(
            sa.select(TariffComponent).where(
                TariffComponent.compound_id == compound_id, TariffComponent.tariff_id.in_(ids)
            )
        ).scalars()
    )
    by_comp = {c.id: c for c in comps}
    blocks = sorted(
        session.execute(
            sa.select(TariffBlock).where(
                TariffBlock.compound_id == compound_id, TariffBlock.component_id.in_(list(by_comp))
            )
        ).scalars(),
        key=lambda b: (b.component_id, b.number),
    )
    rows, lo = [], 0
    for b in blocks:
        c = by_comp[b.component_id]
        lo = 0 if b.number == 1 else lo
        hi = _milli(b.up_to) if b.up_to is not None else run_sql.INF_MILLI
        rows.append(
            {
                "tariff_id": c.tariff_id,
                "component": c.code,
                "cname": c.name,
                "cpos": c.position,
                "number": b.number,
                "lo": lo,
                "hi": hi,
                "price_e4": int((b.price * 10000).to_integral_value()),
            }
        )
        lo = hi
    charges = [
        {
            "tariff_id": ch.tariff_id,
            "code": ch.code,
            "cname": ch.name,
            "fen": int((ch.amount * 100).to_integral_value()),
        }
        for ch in session.execute(
            sa.select(TariffCharge).where(TariffCharge.compound_id == compound_id, TariffCharge.tariff_id.in_(ids))
        ).scalars()
    ]
    _insert(session, "t_version", versions)
    _insert(session, "t_tblock", rows)
    _insert(session, "t_tcharge", charges)


def _insert(session: Session, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    stmt = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
    types = {c: sa.Date() for c in cols if isinstance(rows[0][c], date)}
    session.execute(sa.text(stmt).bindparams(*(sa.bindparam(c, type_=t) for c, t in types.items())), rows)


def _result(session: Session, period: BillingPeriod) -> RunResult:
    count, amounts = session.execute(
        sa.select(sa.func.count(Bill.id), sa.func.count(Bill.id)).where(
            Bill.compound_id == period.compound_id, Bill.period_id == period.id
        )
    ).one()
    total = sum(
        session.execute(
            sa.select(Bill.amount).where(Bill.compound_id == period.compound_id, Bill.period_id == period.id)
        ).scalars(),
        Decimal("0.00"),
    )
    exceptions = session.execute(
        sa.select(sa.func.count(BillException.id)).where(
            BillException.compound_id == period.compound_id, BillException.period_id == period.id
        )
    ).scalar_one()
    return RunResult(period=period, bills=count, exceptions=exceptions, amount=total)


def issue_period(session: Session, *, compound: Compound, month: date, now: datetime | None = None) -> RunResult:
    """Issue the period's draft bills: from now on they never change."""
    settings = ensure_setup(session, compound_id=compound.id)
    period = claim_period(session, compound_id=compound.id, month=month, cutoff_day=settings.cutoff_day)
    now = now or clock.now()
    due = clock.local_date(now, clock.tz_of(compound)) + timedelta(days=settings.due_days)
    done = session.execute(
        sa.update(Bill)
        .where(Bill.compound_id == compound.id, Bill.period_id == period.id, Bill.status == BillStatus.draft)
        .values(status=BillStatus.issued, issued_at=now, due_on=due)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise BillingError(
            _("There is no draft of %(month)s to issue: run the draft first.", month=month_label(month)),
            field="period",
        )
    period.issued_at = now
    session.flush()
    return _result(session, period)


def close_period(session: Session, *, compound: Compound, month: date, now: datetime | None = None) -> BillingPeriod:
    """Close an issued period: no run, issue or adjustment in it any more."""
    period = claim_period(session, compound_id=compound.id, month=month, cutoff_day=None)
    drafts = session.execute(
        sa.select(sa.func.count(Bill.id)).where(
            Bill.compound_id == compound.id, Bill.period_id == period.id, Bill.status == BillStatus.draft
        )
    ).scalar_one()
    if drafts or period.issued_at is None:
        raise BillingError(
            _("Issue the bills of %(month)s before closing it.", month=month_label(month)), field="period"
        )
    period.status = PeriodStatus.closed
    period.closed_at = now or clock.now()
    session.flush()
    return period


def refuse_if_closed(period: BillingPeriod) -> None:
    if period.status == PeriodStatus.closed:
        raise PeriodClosed(
            _(
                "The period %(month)s is closed: nothing in it can change. Make an adjustment in an open period.",
                month=month_label(period.month),
            ),
            field="period",
        )
