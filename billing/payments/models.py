"""Payment tables: methods (data), payments, their allocations to bills, reversals, receipt counters,
idempotency keys of the API, payroll deduction (enrolment, monthly batches and their rows) and the finance
bureau's funding requests for official use.

Money is Numeric(14, 2) in yuan, as the bills'. SQLite keeps NUMERIC as REAL: every sum in SQL goes through
integer fen (billing/ledger/entries.py: fen()), never a float. Nothing here is ever updated or deleted but
the bookkeeping of a batch or request (its status); a wrong payment gets a reversal row.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import (
    REFERENCE,
    SCOPED_MAPPER,
    at_field,
    compound_field,
    created_at_field,
    placement,
    same_compound_fk,
    scoped,
    scoped_id_field,
)

MONEY = sa.Numeric(14, 2)


def _ref(*, nullable: bool = False, index: bool = False) -> object:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=nullable, index=index))


def _str(size: int, *, nullable: bool = False, default: str | None = None) -> object:
    return Field(default=default, sa_column=sa.Column(sa.String(size), nullable=nullable))


def _money() -> object:
    return Field(sa_column=sa.Column(MONEY, nullable=False))


class MethodKind(StrEnum):
    desk = "desk"  # taken at the counter or by transfer: cash, bank, WeChat Pay, Alipay
    payroll = "payroll"  # 工资代扣: deducted from a salary by the payroll office (billing/payments/payroll.py)
    finance_bureau = "finance_bureau"  # the finance bureau's transfer for official use (billing/payments/funding.py)


class PaymentSource(StrEnum):
    desk = "desk"  # a clerk's page
    api = "api"
    payroll = "payroll"
    funding = "funding"
    demo = "demo"


class PaymentMethod(SQLModel, table=True):
    """A way to pay, as data: the migration adds the usual ones; `compound payments methods add` adds more."""

    __tablename__ = "payment_method"
    __table_args__ = (placement(REFERENCE),)
    code: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    name_zh: str = _str(100)
    name_en: str = _str(100)
    kind: MethodKind = Field(default=MethodKind.desk, sa_column=sa.Column(sa.String(16), nullable=False))
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))


class Payment(SQLModel, table=True):
    """Money received from a payer. Never changed: a wrong one is reversed (PaymentReversal)."""

    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "receipt_no"),
        # One payment per confirmed payroll row and per funding request: importing twice records nothing twice.
        sa.UniqueConstraint("compound_id", "payroll_row_id"),
        sa.UniqueConstraint("compound_id", "funding_request_id"),
        same_compound_fk("payer_id", "account"),
        same_compound_fk("payroll_row_id", "payroll_row"),
        same_compound_fk("funding_request_id", "funding_request"),
        sa.ForeignKeyConstraint(["method"], ["payment_method.code"]),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_payment_compound_id_payer_id", "compound_id", "payer_id", "received_on"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    payer_id: int = _ref()
    method: str = _str(32)
    amount: Decimal = _money()
    received_on: date
    receipt_no: str = _str(20)
    reference: str = _str(100, default="")  # the bank's or WeChat's transaction number
    note: str = _str(500, default="")
    source: PaymentSource = Field(default=PaymentSource.desk, sa_column=sa.Column(sa.String(16), nullable=False))
    payroll_row_id: int | None = _ref(nullable=True)
    funding_request_id: int | None = _ref(nullable=True)
    recorded_by: str = _str(100, default="")
    created_at: datetime | None = created_at_field()


class PaymentAllocation(SQLModel, table=True):
    """Part of a payment applied to a bill. Void with its payment's reversal; never changed."""

    __tablename__ = "payment_allocation"
    __table_args__ = scoped(
        same_compound_fk("payment_id", "payment"),
        same_compound_fk("bill_id", "bill"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_payment_allocation_payment", "compound_id", "payment_id"),
        sa.Index("ix_payment_allocation_bill", "compound_id", "bill_id"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    payment_id: int = _ref()
    bill_id: int = _ref()
    amount: Decimal = _money()
    allocated_on: date
    created_at: datetime | None = created_at_field()


class PaymentReversal(SQLModel, table=True):
    """A payment undone, with the reason: the payment and its allocations stay, void from reversed_on."""

    __tablename__ = "payment_reversal"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "payment_id"), same_compound_fk("payment_id", "payment"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    payment_id: int = _ref()
    reason: str = _str(500)
    reversed_on: date
    reversed_by: str = _str(100, default="")
    created_at: datetime | None = created_at_field()


class ReceiptCounter(SQLModel, table=True):
    """The last receipt number of a compound's year: taken in the payment's transaction, so never a gap."""

    __tablename__ = "receipt_counter"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "year"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    last_number: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class IdempotencyKey(SQLModel, table=True):
    """The first answer to an API request sent with an Idempotency-Key, kept to answer its retries."""

    __tablename__ = "idempotency_key"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "key"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    key: str = _str(200)
    fingerprint: str = _str(64)  # sha256 of the method, path and body
    status_code: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    response: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime | None = created_at_field()


class PayrollEnrolment(SQLModel, table=True):
    """A household that pays through the payroll office (工资代扣), with the staff number if known."""

    __tablename__ = "payroll_enrolment"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "account_id"), same_compound_fk("account_id", "account"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    account_id: int = _ref()
    staff_no: str = _str(32, default="")
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    since_date: date | None = None


class BatchStatus(StrEnum):
    exported = "exported"  # the list went to the payroll office
    confirmed = "confirmed"  # its confirmation came back (every row deducted or not)


class PayrollBatch(SQLModel, table=True):
    """One month's deduction list for the payroll office."""

    __tablename__ = "payroll_batch"
    __table_args__ = scoped(sa.UniqueConstraint("compound_id", "month"))
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    month: date  # the first day of the month
    status: BatchStatus = Field(default=BatchStatus.exported, sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime | None = created_at_field()
    confirmed_at: datetime | None = at_field(nullable=True)


class RowOutcome(StrEnum):
    pending = "pending"
    deducted = "deducted"
    not_deducted = "not_deducted"


class PayrollRow(SQLModel, table=True):
    """One household on a month's list: the amount asked for and what the payroll office answered."""

    __tablename__ = "payroll_row"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "batch_id", "payer_id"),
        same_compound_fk("batch_id", "payroll_batch"),
        same_compound_fk("payer_id", "account"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    batch_id: int = _ref()
    payer_id: int = _ref()
    staff_no: str = _str(32, default="")
    amount: Decimal = _money()
    outcome: RowOutcome = Field(default=RowOutcome.pending, sa_column=sa.Column(sa.String(16), nullable=False))
    note: str = _str(200, default="")


class FundingStatus(StrEnum):
    requested = "requested"  # the letter went to the finance bureau
    received = "received"  # the transfer arrived and was allocated


class FundingRequest(SQLModel, table=True):
    """A request to the finance bureau for the official use of a period's bills, until the transfer arrives."""

    __tablename__ = "funding_request"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "letter_no"),
        same_compound_fk("payer_id", "account"),
        same_compound_fk("period_id", "billing_period"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    period_id: int = _ref()
    payer_id: int = _ref()  # the finance bureau's payer account
    letter_no: str = _str(32)
    amount: Decimal = _money()
    status: FundingStatus = Field(default=FundingStatus.requested, sa_column=sa.Column(sa.String(16), nullable=False))
    requested_on: date
    received_on: date | None = None
    created_by: str = _str(100, default="")
    created_at: datetime | None = created_at_field()


class FundingItem(SQLModel, table=True):
    """One bill a funding request asks the money for (a body's water or electricity of the period)."""

    __tablename__ = "funding_item"
    __table_args__ = scoped(
        # A bill is asked for once: a second request for the same period leaves out what the first asked for.
        sa.UniqueConstraint("compound_id", "bill_id"),
        same_compound_fk("request_id", "funding_request"),
        same_compound_fk("bill_id", "bill"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    request_id: int = _ref(index=True)
    bill_id: int = _ref()
    amount: Decimal = _money()


MODELS = (
    PaymentMethod,
    Payment,
    PaymentAllocation,
    PaymentReversal,
    ReceiptCounter,
    IdempotencyKey,
    PayrollEnrolment,
    PayrollBatch,
    PayrollRow,
    FundingRequest,
    FundingItem,
)
