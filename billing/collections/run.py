"""The collection run for a date: each payer's level computed afresh from the ledger, cases opened and closed,
the actions that are due made — a handful of set-based statements whatever the number of accounts.

1. One snapshot of the arrears (billing/ledger: arrears_query) per payer, with the payer's policy and its level —
   the deepest level whose conditions hold: the oldest unpaid bill at least `days_overdue` past its due date and
   the balance at least the minimum — into a temporary table, so every later step sees the same ledger even
   while payments go on being posted.
2. Promises whose date has passed: kept (the payer paid the amount between the promise and its date) closes the
   case; broken, the chase goes on from where the balance now stands.
3. Cases of payers that no level holds any more close (paid, or below the levels); their open tasks are
   cancelled. Open cases take their new level, balance, age and late fee; payers newly in arrears get a case.
4. Open tasks of another level than the case's are superseded; the action of the case's level is made unless the
   case already has it (unique key: case, level), so no run ever makes the same action twice. A case with a
   promise still running gets none.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from billing.collections.models import (
    ActionStatus,
    CloseReason,
    CollectionAction,
    CollectionCase,
    CollectionLevel,
    CollectionPolicy,
)
from billing.collections.policies import FINANCE_BUREAU, ensure_policies
from billing.ledger import arrears_query, open_items_query
from billing.ledger.entries import AsOf, fen, reversed_by
from billing.models import BillingAccount
from billing.payments.models import Payment
from compound.register.models import Account, AccountKind, Compound

FOLLOW_UP_DAYS = 30  # the window of a level's collection rate
STEPS = 6

case_t = CollectionCase.__table__
action_t = CollectionAction.__table__
level_t = CollectionLevel.__table__
policy_t = CollectionPolicy.__table__
account_t = Account.__table__
billing_account_t = BillingAccount.__table__
payment_t = Payment.__table__

# The run's snapshot: one row per payer in arrears who has a policy.
_scratch = sa.MetaData()
TARGET = sa.Table(
    "tmp_collection_target",
    _scratch,
    sa.Column("payer_id", sa.BigInteger, primary_key=True),
    sa.Column("policy_id", sa.BigInteger, nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("owed_fen", sa.BigInteger, nullable=False),
    sa.Column("oldest_due_on", sa.Date),
    sa.Column("late_fee_fen", sa.BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)
T = TARGET.c


@dataclass
class RunCounts:
    in_arrears: int = 0  # payers with a level
    opened: int = 0
    closed: dict[str, int] = field(default_factory=dict)  # by reason
    promises_kept: int = 0
    promises_broken: int = 0
    superseded: int = 0
    cancelled: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # made by this run, by kind

    def as_dict(self) -> dict[str, int]:
        out = {"in_arrears": self.in_arrears, "cases_opened": self.opened, "promises_kept": self.promises_kept,
               "promises_broken": self.promises_broken, "tasks_superseded": self.superseded,
               "tasks_cancelled": self.cancelled}
        out.update({f"closed_{k}": v for k, v in self.closed.items()})
        out.update({f"made_{k}": v for k, v in self.actions.items()})
        return out


def run_collections(
    session: Session, *, compound: Compound, as_of: date, progress: Callable[[int, int], None] | None = None
) -> RunCounts:
    """Compute every payer's level as of the date and make the actions that are due. Never commits."""
    step = progress or (lambda _done, _total: None)
    ensure_policies(session, compound_id=compound.id)
    conn = session.connection()
    counts = RunCounts()
    _make_target(conn, compound, as_of)
    step(1, STEPS)
    counts.in_arrears = conn.execute(sa.select(sa.func.count()).where(T.level > 0)).scalar_one()
    counts.promises_kept, counts.promises_broken = _promises(conn, compound, as_of)
    step(2, STEPS)
    counts.closed, counts.cancelled = _close(conn, compound.id, as_of)
    step(3, STEPS)
    _update_open(conn, compound.id, as_of)
    counts.opened = _open_new(conn, compound.id, as_of)
    step(4, STEPS)
    counts.superseded = _supersede(conn, compound.id, as_of)
    step(5, STEPS)
    counts.actions = _make_actions(conn, compound.id, as_of)
    TARGET.drop(conn)
    step(6, STEPS)
    return counts


def _levels(conn: sa.Connection, compound_id: int, as_of: date) -> sa.Subquery:
    """Every level as (policy_id, position, cutoff, min_fen): due when the oldest due date is on or before cutoff."""
    rows = conn.execute(
        sa.select(level_t.c.policy_id, level_t.c.position, level_t.c.days_overdue, level_t.c.min_balance_fen)
        .where(level_t.c.compound_id == compound_id)
    ).all()
    selects = [
        sa.select(sa.literal(r.policy_id, sa.BigInteger).label("policy_id"),
                  sa.literal(r.position, sa.Integer).label("position"),
                  sa.literal(as_of - timedelta(days=r.days_overdue), sa.Date).label("cutoff"),
                  sa.literal(r.min_balance_fen, sa.BigInteger).label("min_fen"))
        for r in rows
    ] or [sa.select(sa.literal(0, sa.BigInteger).label("policy_id"), sa.literal(0).label("position"),
                    sa.literal(as_of, sa.Date).label("cutoff"), sa.literal(0, sa.BigInteger).label("min_fen"))
          .where(sa.false())]
    return sa.union_all(*selects).subquery("lv") if len(selects) > 1 else selects[0].subquery("lv")


def _payer_policies(compound: Compound, as_of: date) -> sa.Subquery:
    """Each payer in arrears with its policy: the finance bureau's for the payer account, else its class's."""
    ar = arrears_query(compound, as_of).subquery("ar")
    bureau = policy_t.alias("fb")
    by_class = policy_t.alias("cp")
    policy_id = sa.case((account_t.c.kind == AccountKind.payer.value, bureau.c.id), else_=by_class.c.id)
    return (
        sa.select(ar.c.payer_id, policy_id.label("policy_id"), ar.c.owed_fen, ar.c.oldest_due_on)
        .select_from(ar)
        .join(account_t, sa.and_(account_t.c.compound_id == compound.id, account_t.c.id == ar.c.payer_id))
        .outerjoin(billing_account_t, sa.and_(billing_account_t.c.compound_id == account_t.c.compound_id,
                                              billing_account_t.c.account_id == account_t.c.id))
        .outerjoin(by_class, sa.and_(by_class.c.compound_id == account_t.c.compound_id,
                                     by_class.c.class_id == billing_account_t.c.class_id))
        .outerjoin(bureau, sa.and_(bureau.c.compound_id == account_t.c.compound_id, bureau.c.key == FINANCE_BUREAU))
        .subquery("pp")
    )


def days_since(day: date, column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """Whole days from `column` (a date) to `day`, in SQL (each database has its own date arithmetic)."""
    if dialect == "sqlite":
        return sa.cast(sa.func.julianday(day.isoformat()) - sa.func.julianday(column), sa.BigInteger)
    return sa.cast(sa.literal(day, sa.Date) - column, sa.BigInteger)


FEES = sa.Table(
    "tmp_collection_fee",
    _scratch,
    sa.Column("payer_id", sa.BigInteger, primary_key=True),
    sa.Column("fen_days", sa.BigInteger, nullable=False),
    sa.Column("principal", sa.BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)


def _late_fees(conn: sa.Connection, compound: Compound, as_of: date) -> None:
    """Per payer of a policy with a late fee: ppm × Σ (overdue principal × days overdue), rounded once, at most
    the principal. On the bills' own amounts only, never on a fee: it does not compound."""
    enabled = conn.execute(
        sa.select(sa.func.count()).where(policy_t.c.compound_id == compound.id, policy_t.c.late_fee_enabled)
    ).scalar_one()
    if not enabled:
        return
    items = open_items_query(compound, as_of).subquery("oi")
    overdue = items.c.due_on < as_of
    days = days_since(as_of, items.c.due_on, conn.dialect.name)
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {FEES.name}"))
    FEES.create(conn)
    # PostgreSQL sums BIGINT as NUMERIC: cast back, so the division below is an integer one on both.
    conn.execute(FEES.insert().from_select(
        ["payer_id", "fen_days", "principal"],
        sa.select(items.c.payer_id,
                  sa.cast(sa.func.sum(sa.case((overdue, items.c.open_fen * days), else_=0)), sa.BigInteger),
                  sa.cast(sa.func.sum(sa.case((overdue, items.c.open_fen), else_=0)), sa.BigInteger))
        .where(items.c.payer_id.in_(sa.select(T.payer_id)))
        .group_by(items.c.payer_id),
    ))
    f = FEES.c
    ppm = (sa.select(policy_t.c.late_fee_ppm_per_day)
           .where(policy_t.c.compound_id == compound.id, policy_t.c.id == T.policy_id, policy_t.c.late_fee_enabled)
           .scalar_subquery())
    raw = (sa.select((f.fen_days * ppm + 500_000) // 1_000_000).where(f.payer_id == T.payer_id).scalar_subquery())
    principal = sa.select(f.principal).where(f.payer_id == T.payer_id).scalar_subquery()
    conn.execute(
        sa.update(TARGET).where(ppm.is_not(None))
        .values(late_fee_fen=sa.func.coalesce(sa.case((raw > principal, principal), else_=raw), 0))
    )
    FEES.drop(conn)


def _make_target(conn: sa.Connection, compound: Compound, as_of: date) -> None:
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {TARGET.name}"))
    TARGET.create(conn)
    pp = _payer_policies(compound, as_of)
    lv = _levels(conn, compound.id, as_of)
    level = sa.func.coalesce(sa.func.max(lv.c.position), 0)
    joined = pp.outerjoin(lv, sa.and_(lv.c.policy_id == pp.c.policy_id, pp.c.oldest_due_on <= lv.c.cutoff,
                                      pp.c.owed_fen >= lv.c.min_fen))
    conn.execute(
        TARGET.insert().from_select(
            ["payer_id", "policy_id", "level", "owed_fen", "oldest_due_on", "late_fee_fen"],
            sa.select(pp.c.payer_id, pp.c.policy_id, level, pp.c.owed_fen, pp.c.oldest_due_on,
                      sa.literal(0, sa.BigInteger))
            .select_from(joined)
            .where(pp.c.policy_id.is_not(None))
            .group_by(pp.c.payer_id, pp.c.policy_id, pp.c.owed_fen, pp.c.oldest_due_on),
        )
    )
    _late_fees(conn, compound, as_of)


def _open(compound_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(case_t.c.compound_id == compound_id, case_t.c.closed_on.is_(None))


def _promises(conn: sa.Connection, compound: Compound, as_of: date) -> tuple[int, int]:
    """Promises whose date has passed: kept closes the case, broken lets the chase go on."""
    paid = (
        sa.select(sa.func.coalesce(sa.func.sum(fen(payment_t.c.amount)), 0))
        .where(payment_t.c.compound_id == case_t.c.compound_id, payment_t.c.payer_id == case_t.c.payer_id,
               payment_t.c.received_on >= case_t.c.promise_made_on, payment_t.c.received_on <= case_t.c.promise_date,
               ~reversed_by(AsOf.of(compound, as_of)))
        .scalar_subquery()
    )
    due = sa.and_(_open(compound.id), case_t.c.promise_date < as_of)
    cleared = {"promise_date": None, "promise_fen": None, "promise_made_on": None, "updated_on": as_of}
    kept = conn.execute(
        sa.update(case_t).where(due, paid >= case_t.c.promise_fen)
        .values(closed_on=as_of, close_reason=CloseReason.promise_kept.value,
                promises_kept=case_t.c.promises_kept + 1, **cleared)
    ).rowcount
    broken = conn.execute(
        sa.update(case_t).where(due).values(promises_broken=case_t.c.promises_broken + 1, **cleared)
    ).rowcount
    return kept, broken


def _target_of(column: sa.Column) -> sa.ScalarSelect:
    return sa.select(column).where(T.payer_id == case_t.c.payer_id).scalar_subquery()


def _close(conn: sa.Connection, compound_id: int, as_of: date) -> tuple[dict[str, int], int]:
    still = sa.select(T.payer_id).where(T.payer_id == case_t.c.payer_id, T.level > 0).exists()
    owed = sa.func.coalesce(_target_of(T.owed_fen), 0)
    reason = sa.case((owed <= 0, CloseReason.paid.value), else_=CloseReason.below_levels.value)
    conn.execute(
        sa.update(case_t).where(_open(compound_id), ~still)
        .values(closed_on=as_of, close_reason=reason, level=0, owed_fen=owed, updated_on=as_of)
    )
    closed = dict(conn.execute(
        sa.select(case_t.c.close_reason, sa.func.count())
        .where(case_t.c.compound_id == compound_id, case_t.c.closed_on == as_of)
        .group_by(case_t.c.close_reason)
    ).all())
    closed_case = (
        sa.select(case_t.c.id)
        .where(case_t.c.compound_id == action_t.c.compound_id, case_t.c.id == action_t.c.case_id,
               case_t.c.closed_on.is_not(None))
        .exists()
    )
    cancelled = conn.execute(
        sa.update(action_t)
        .where(action_t.c.compound_id == compound_id, action_t.c.status == ActionStatus.open.value, closed_case)
        .values(status=ActionStatus.cancelled.value, done_on=as_of)
    ).rowcount
    return closed, cancelled


def _update_open(conn: sa.Connection, compound_id: int, as_of: date) -> None:
    conn.execute(
        sa.update(case_t).where(_open(compound_id)).values(
            level=_target_of(T.level), owed_fen=_target_of(T.owed_fen), oldest_due_on=_target_of(T.oldest_due_on),
            late_fee_fen=_target_of(T.late_fee_fen), policy_id=_target_of(T.policy_id), updated_on=as_of,
        )
    )


def _open_new(conn: sa.Connection, compound_id: int, as_of: date) -> int:
    has_case = sa.select(case_t.c.id).where(_open(compound_id), case_t.c.payer_id == T.payer_id).exists()
    before = _max_id(conn, case_t, compound_id)
    conn.execute(
        case_t.insert().from_select(
            ["compound_id", "payer_id", "policy_id", "opened_on", "level", "owed_fen", "oldest_due_on",
             "late_fee_fen", "updated_on", "promises_kept", "promises_broken"],
            sa.select(sa.literal(compound_id, sa.BigInteger), T.payer_id, T.policy_id, sa.literal(as_of, sa.Date),
                      T.level, T.owed_fen, T.oldest_due_on, T.late_fee_fen, sa.literal(as_of, sa.Date),
                      sa.literal(0), sa.literal(0))
            .where(T.level > 0, ~has_case),
        )
    )
    # Counted, not rowcount: psycopg answers -1 for an INSERT … SELECT.
    return conn.execute(
        sa.select(sa.func.count()).where(case_t.c.compound_id == compound_id, case_t.c.id > before)
    ).scalar_one()


def _max_id(conn: sa.Connection, table: sa.Table, compound_id: int) -> int:
    return conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)).where(table.c.compound_id == compound_id)
    ).scalar_one()


def _supersede(conn: sa.Connection, compound_id: int, as_of: date) -> int:
    moved = (
        sa.select(case_t.c.id)
        .where(case_t.c.compound_id == action_t.c.compound_id, case_t.c.id == action_t.c.case_id,
               case_t.c.closed_on.is_(None), case_t.c.promise_date.is_(None), case_t.c.level != action_t.c.position)
        .exists()
    )
    return conn.execute(
        sa.update(action_t)
        .where(action_t.c.compound_id == compound_id, action_t.c.status == ActionStatus.open.value, moved)
        .values(status=ActionStatus.superseded.value, done_on=as_of)
    ).rowcount


def _make_actions(conn: sa.Connection, compound_id: int, as_of: date) -> dict[str, int]:
    before = _max_id(conn, action_t, compound_id)
    done = (
        sa.select(action_t.c.id)
        .where(action_t.c.compound_id == case_t.c.compound_id, action_t.c.case_id == case_t.c.id,
               action_t.c.position == case_t.c.level)
        .exists()
    )
    due = (
        sa.select(case_t.c.compound_id, case_t.c.id, case_t.c.payer_id, case_t.c.level, level_t.c.action,
                  sa.literal(as_of, sa.Date), sa.literal(as_of + timedelta(days=FOLLOW_UP_DAYS), sa.Date),
                  sa.literal(ActionStatus.open.value), case_t.c.owed_fen, account_t.c.building_id, level_t.c.assignee)
        .select_from(case_t)
        .join(level_t, sa.and_(level_t.c.compound_id == case_t.c.compound_id, level_t.c.policy_id == case_t.c.policy_id,
                               level_t.c.position == case_t.c.level))
        .join(account_t, sa.and_(account_t.c.compound_id == case_t.c.compound_id, account_t.c.id == case_t.c.payer_id))
        .where(_open(compound_id), case_t.c.promise_date.is_(None), case_t.c.level > 0, ~done)
    )
    conn.execute(action_t.insert().from_select(
        ["compound_id", "case_id", "payer_id", "position", "action", "created_on", "follow_up_by", "status",
         "owed_fen", "building_id", "assignee"], due))
    return dict(conn.execute(
        sa.select(action_t.c.action, sa.func.count())
        .where(action_t.c.compound_id == compound_id, action_t.c.id > before)
        .group_by(action_t.c.action)
    ).all())
