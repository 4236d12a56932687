"""Payments: methods (a reference table, the usual ones added here), payments, allocations, reversals, receipt
counters, the API's idempotency keys, payroll deduction (enrolments, batches, rows), funding requests and items.

Compound tables keyed as 0005 left them: (compound_id, id) on PostgreSQL, the rowid id with a UNIQUE
(compound_id, id) on SQLite.

Revision ID: 0010
Revises: 0015 (re-chained on main's head)
Create Date: 2026-12-01 19:10:05.847865
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compound.kit.db

revision: str = "0010"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


METHODS = [
    ("cash", "现金", "Cash", "desk", 10),
    ("bank_transfer", "银行转账", "Bank transfer", "desk", 20),
    ("wechat_pay", "微信支付", "WeChat Pay", "desk", 30),
    ("alipay", "支付宝", "Alipay", "desk", 40),
    ("payroll", "工资代扣", "Payroll deduction", "payroll", 50),
    ("finance_bureau", "财政划拨", "Finance bureau transfer", "finance_bureau", 60),
]


def _key(table: str) -> list[sa.Constraint]:
    """The compound table's key: (compound_id, id); SQLite's rowid key needs the unique pair beside it."""
    key: list[sa.Constraint] = [sa.PrimaryKeyConstraint("compound_id", "id", name=f"pk_{table}")]
    if op.get_bind().dialect.name == "sqlite":
        key.append(sa.UniqueConstraint("compound_id", "id", name=f"uq_{table}_compound_id_id"))
    return key


def upgrade() -> None:
    op.create_table(
        "payment_method",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_payment_method")),
        info={"citus": "reference"},
    )
    method = sa.table(
        "payment_method", *(sa.column(c) for c in ("code", "name_zh", "name_en", "kind", "position", "active"))
    )
    op.bulk_insert(
        method,
        [dict(code=c, name_zh=z, name_en=e, kind=k, position=p, active=True) for c, z, e, k, p in METHODS],
    )
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_idempotency_key_compound_id_compound")),
        *_key("idempotency_key"),
        sa.UniqueConstraint("compound_id", "key", name=op.f("uq_idempotency_key_compound_id_key")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "payroll_batch",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("confirmed_at", compound.kit.db.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_payroll_batch_compound_id_compound")),
        *_key("payroll_batch"),
        sa.UniqueConstraint("compound_id", "month", name=op.f("uq_payroll_batch_compound_id_month")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "receipt_counter",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_receipt_counter_compound_id_compound")),
        *_key("receipt_counter"),
        sa.UniqueConstraint("compound_id", "year", name=op.f("uq_receipt_counter_compound_id_year")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "funding_request",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("period_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("letter_no", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_funding_request_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "period_id"],
            ["billing_period.compound_id", "billing_period.id"],
            name=op.f("fk_funding_request_compound_id_period_id_billing_period"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_funding_request_compound_id_compound")),
        *_key("funding_request"),
        sa.UniqueConstraint("compound_id", "letter_no", name=op.f("uq_funding_request_compound_id_letter_no")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "payroll_enrolment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_no", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["compound_id", "account_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_payroll_enrolment_compound_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_payroll_enrolment_compound_id_compound")
        ),
        *_key("payroll_enrolment"),
        sa.UniqueConstraint("compound_id", "account_id", name=op.f("uq_payroll_enrolment_compound_id_account_id")),
        info={"citus": "distributed"},
    )
    op.create_table(
        "payroll_row",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_no", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payroll_row_amount_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id", "batch_id"],
            ["payroll_batch.compound_id", "payroll_batch.id"],
            name=op.f("fk_payroll_row_compound_id_batch_id_payroll_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_payroll_row_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_payroll_row_compound_id_compound")),
        *_key("payroll_row"),
        sa.UniqueConstraint(
            "compound_id", "batch_id", "payer_id", name=op.f("uq_payroll_row_compound_id_batch_id_payer_id")
        ),
        info={"citus": "distributed"},
    )
    op.create_table(
        "funding_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id", "bill_id"],
            ["bill.compound_id", "bill.id"],
            name=op.f("fk_funding_item_compound_id_bill_id_bill"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "request_id"],
            ["funding_request.compound_id", "funding_request.id"],
            name=op.f("fk_funding_item_compound_id_request_id_funding_request"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_funding_item_compound_id_compound")),
        *_key("funding_item"),
        sa.UniqueConstraint("compound_id", "bill_id", name=op.f("uq_funding_item_compound_id_bill_id")),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("funding_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_item_request_id"), ["request_id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("receipt_no", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("payroll_row_id", sa.BigInteger(), nullable=True),
        sa.Column("funding_request_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id", "funding_request_id"],
            ["funding_request.compound_id", "funding_request.id"],
            name=op.f("fk_payment_compound_id_funding_request_id_funding_request"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payer_id"],
            ["account.compound_id", "account.id"],
            name=op.f("fk_payment_compound_id_payer_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payroll_row_id"],
            ["payroll_row.compound_id", "payroll_row.id"],
            name=op.f("fk_payment_compound_id_payroll_row_id_payroll_row"),
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_payment_compound_id_compound")),
        sa.ForeignKeyConstraint(["method"], ["payment_method.code"], name=op.f("fk_payment_method_payment_method")),
        *_key("payment"),
        sa.UniqueConstraint(
            "compound_id", "funding_request_id", name=op.f("uq_payment_compound_id_funding_request_id")
        ),
        sa.UniqueConstraint("compound_id", "payroll_row_id", name=op.f("uq_payment_compound_id_payroll_row_id")),
        sa.UniqueConstraint("compound_id", "receipt_no", name=op.f("uq_payment_compound_id_receipt_no")),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_compound_id_payer_id", ["compound_id", "payer_id", "received_on"], unique=False
        )

    op.create_table(
        "payment_allocation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_allocation_amount_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id", "bill_id"],
            ["bill.compound_id", "bill.id"],
            name=op.f("fk_payment_allocation_compound_id_bill_id_bill"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payment_id"],
            ["payment.compound_id", "payment.id"],
            name=op.f("fk_payment_allocation_compound_id_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_payment_allocation_compound_id_compound")
        ),
        *_key("payment_allocation"),
        info={"citus": "distributed"},
    )
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.create_index("ix_payment_allocation_bill", ["compound_id", "bill_id"], unique=False)
        batch_op.create_index("ix_payment_allocation_payment", ["compound_id", "payment_id"], unique=False)

    op.create_table(
        "payment_reversal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("reversed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            compound.kit.db.AwareDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "payment_id"],
            ["payment.compound_id", "payment.id"],
            name=op.f("fk_payment_reversal_compound_id_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_payment_reversal_compound_id_compound")
        ),
        *_key("payment_reversal"),
        sa.UniqueConstraint("compound_id", "payment_id", name=op.f("uq_payment_reversal_compound_id_payment_id")),
        info={"citus": "distributed"},
    )


def downgrade() -> None:
    op.drop_table("payment_reversal")
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_allocation_payment")
        batch_op.drop_index("ix_payment_allocation_bill")

    op.drop_table("payment_allocation")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_compound_id_payer_id")

    op.drop_table("payment")
    with op.batch_alter_table("funding_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_item_request_id"))

    op.drop_table("funding_item")
    op.drop_table("payroll_row")
    op.drop_table("payroll_enrolment")
    op.drop_table("funding_request")
    op.drop_table("receipt_counter")
    op.drop_table("payroll_batch")
    op.drop_table("idempotency_key")
    op.drop_table("payment_method")
