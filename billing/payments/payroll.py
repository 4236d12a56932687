"""Payroll deduction (工资代扣): the month's deduction list for the payroll office, and its confirmation back.

The list holds every enrolled household that owes something when it is made (the ledger's balance), once per
month: making it again gives the same list. The confirmation says per row whether the amount was deducted; each
deducted row becomes one payment (method `payroll`), allocated like any other. A row's payment is unique in the
database (payment.payroll_row_id), so a confirmation imported twice records nothing twice: the second time each
row is reported as already recorded.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from billing.ledger.entries import AsOf, from_fen, signed_entries
from billing.payments.models import (
    BatchStatus,
    PaymentSource,
    PayrollBatch,
    PayrollEnrolment,
    PayrollRow,
    RowOutcome,
)
from billing.payments.service import NewPayment, record_payment
from billing.payments.tables import read_rows
from compound.kit import clock, lookups
from compound.kit.errors import InvalidInput
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Compound

# The export's columns, Chinese first; the import finds its two columns by any of these names.
HEADER = ("行号 row", "户号 account", "户主 name", "工号 staff number", "金额 amount", "已扣款 deducted")
ROW_NAMES = {"行号", "row", "行号 row", "row_id"}
RESULT_NAMES = {"已扣款", "deducted", "已扣款 deducted", "扣款结果", "result"}
YES = {"是", "已扣", "已扣款", "yes", "y", "1", "true", "deducted", "✓", "√"}
NO = {"否", "未扣", "未扣款", "no", "n", "0", "false", "not deducted", "not_deducted", "×", "x"}


def enrol(session: Session, *, compound: Compound, account_id: int, staff_no: str = "") -> PayrollEnrolment:
    """Put a household on payroll deduction (or change its staff number)."""
    lookups.get_or_raise(
        session,
        Account,
        compound_id=compound.id,
        id=account_id,
        error=InvalidInput,
        message=_("There is no such account in this compound."),
        field="account_id",
    )
    row = session.exec(
        select(PayrollEnrolment).where(
            PayrollEnrolment.compound_id == compound.id, PayrollEnrolment.account_id == account_id
        )
    ).first()
    if row is None:
        row = PayrollEnrolment(compound_id=compound.id, account_id=account_id, since_date=clock.today(compound))
    row.staff_no, row.active = staff_no.strip()[:32], True
    session.add(row)
    session.flush()
    return row


def make_batch(session: Session, *, compound: Compound, month: date) -> PayrollBatch:
    """The month's deduction list: every enrolled household owing something today, with that amount (set-based).

    Asked again, the same list (it may already be with the payroll office)."""
    month = month.replace(day=1)
    batch = _batch(session, compound.id, month, for_update=True)
    if batch is not None:
        return batch
    batch = PayrollBatch(compound_id=compound.id, month=month)
    session.add(batch)
    session.flush()
    entries = signed_entries(compound.id, AsOf.of(compound, clock.today(compound))).subquery("e")
    owed = (
        sa.select(entries.c.payer_id, sa.func.sum(entries.c.fen).label("fen"))
        .group_by(entries.c.payer_id)
        .subquery("o")
    )
    e = PayrollEnrolment.__table__
    rows = (
        sa.select(
            e.c.compound_id,
            sa.literal(batch.id),
            e.c.account_id,
            e.c.staff_no,
            from_fen(owed.c.fen),
            sa.literal(RowOutcome.pending.value),
            sa.literal(""),
        )
        .join(owed, owed.c.payer_id == e.c.account_id)
        .where(e.c.compound_id == compound.id, e.c.active, owed.c.fen > 0)
    )
    cols = ["compound_id", "batch_id", "payer_id", "staff_no", "amount", "outcome", "note"]
    session.execute(sa.insert(PayrollRow.__table__).from_select(cols, rows))
    return batch


def _batch(session: Session, compound_id: int, month: date, *, for_update: bool = False) -> PayrollBatch | None:
    q = select(PayrollBatch).where(PayrollBatch.compound_id == compound_id, PayrollBatch.month == month)
    return session.exec(q.with_for_update() if for_update else q).first()


def get_batch(session: Session, *, compound: Compound, batch_id: int, for_update: bool = False) -> PayrollBatch:
    return lookups.get_or_raise(
        session,
        PayrollBatch,
        compound_id=compound.id,
        id=batch_id,
        message=_("No such payroll batch."),
        field="batch_id",
        for_update=for_update,
    )


def batches(session: Session, *, compound: Compound) -> list[PayrollBatch]:
    q = select(PayrollBatch).where(PayrollBatch.compound_id == compound.id).order_by(PayrollBatch.month.desc())
    return list(session.exec(q))


def batch_rows(session: Session, *, compound: Compound, batch: PayrollBatch) -> list[tuple[PayrollRow, Account]]:
    q = (
        select(PayrollRow, Account)
        .join(Account, sa.and_(Account.compound_id == PayrollRow.compound_id, Account.id == PayrollRow.payer_id))
        .where(PayrollRow.compound_id == compound.id, PayrollRow.batch_id == batch.id)
        .order_by(PayrollRow.id)
    )
    return list(session.exec(q))


def export_rows(session: Session, *, compound: Compound, batch: PayrollBatch) -> list[list[Any]]:
    """The list for the payroll office: row, household, name, staff number, amount, and an empty answer column."""
    return [
        [row.id, account.code, account.name, row.staff_no, row.amount, ""]
        for row, account in batch_rows(session, compound=compound, batch=batch)
    ]


@dataclass(frozen=True)
class ConfirmLine:
    line: int  # the file's row number (the header is 1)
    row_id: int | None
    account: str
    status: str  # recorded | already | not_deducted | refused
    message: str
    receipt_no: str = ""


STATUS_LABELS = {
    "recorded": N_("payment recorded"),
    "already": N_("already recorded"),
    "not_deducted": N_("not deducted"),
    "refused": N_("refused"),
}


def _column(header: list[Any], names: set[str]) -> int | None:
    for i, cell in enumerate(header):
        if isinstance(cell, str) and cell.strip().lower() in names:
            return i
    return None


def _answer(value: Any) -> bool | None:
    text = str(value).strip().lower() if value is not None else ""
    if text in YES:
        return True
    return False if text in NO else None


def import_confirmation(
    session: Session, *, compound: Compound, batch_id: int, data: bytes, filename: str, by: str = ""
) -> list[ConfirmLine]:
    """Read the payroll office's answer and record one payment per deducted row; a report line per file row."""
    batch = get_batch(session, compound=compound, batch_id=batch_id, for_update=True)  # one import at a time
    table = read_rows(data, filename)
    if not table:
        raise InvalidInput(_("The file is empty."), field="file")
    row_col, result_col = _column(table[0], ROW_NAMES), _column(table[0], RESULT_NAMES)
    if row_col is None or result_col is None:
        raise InvalidInput(
            _("The file needs the columns “行号 row” and “已扣款 deducted” of the exported list."), field="file"
        )
    rows = {r.id: (r, a) for r, a in batch_rows(session, compound=compound, batch=batch)}
    report = [
        _confirm_one(session, compound, rows, n, cells, row_col, result_col, by)
        for n, cells in enumerate(table[1:], start=2)
        if any(c not in (None, "") for c in cells)
    ]
    if all(r.outcome != RowOutcome.pending for r, _a in rows.values()) and rows:
        batch.status, batch.confirmed_at = BatchStatus.confirmed, clock.now()
        session.add(batch)
    session.flush()
    return report


def _confirm_one(
    session: Session, compound: Compound, rows: dict, n: int, cells: list[Any], row_col: int, result_col: int, by: str
) -> ConfirmLine:
    raw_id = cells[row_col] if row_col < len(cells) else None
    try:
        row_id = int(str(raw_id).strip().removesuffix(".0"))
    except ValueError:
        return ConfirmLine(n, None, "", "refused", _("“%(text)s” is not a row number of this list.", text=raw_id))
    if row_id not in rows:
        return ConfirmLine(n, row_id, "", "refused", _("Row %(id)s is not on this list.", id=row_id))
    row, account = rows[row_id]
    deducted = _answer(cells[result_col] if result_col < len(cells) else None)
    if deducted is None:
        return ConfirmLine(n, row_id, account.code, "refused", _("Say 是 (deducted) or 否 (not deducted)."))
    wanted = RowOutcome.deducted if deducted else RowOutcome.not_deducted
    if row.outcome != RowOutcome.pending:
        if row.outcome == wanted:
            return ConfirmLine(n, row_id, account.code, "already", _("Already confirmed; nothing recorded again."))
        return ConfirmLine(
            n,
            row_id,
            account.code,
            "refused",
            _("This row was already confirmed the other way; reverse the payment instead."),
        )
    row.outcome = wanted
    session.add(row)
    if not deducted:
        return ConfirmLine(n, row_id, account.code, "not_deducted", _("Not deducted: the household still owes."))
    with session.begin_nested():
        payment = record_payment(
            session,
            compound=compound,
            data=NewPayment(
                payer_id=row.payer_id,
                method="payroll",
                amount=Decimal(row.amount),
                note=_("Payroll deduction, row %(id)s", id=row.id),
            ),
            source=PaymentSource.payroll,
            recorded_by=by,
            payroll_row_id=row.id,
        )
    return ConfirmLine(n, row_id, account.code, "recorded", _("Payment recorded."), payment.receipt_no)
