"""API input and output of payments. Money travels as decimal strings ("123.45"), never floats."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from billing.payments.models import Payment, PaymentReversal
from compound.kit.params import RowId, in_years

Money = Annotated[Decimal, Field(gt=0, max_digits=11, decimal_places=2, description='Yuan, e.g. "123.45"')]
Day = Annotated[date, AfterValidator(in_years)]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PaymentCreate(Input):
    payer_id: RowId = Field(description="The paying account")
    method: str = Field(max_length=32, description="A payment method's code: GET …/payment-methods")
    # Quantised, so "100", "100.0" and "100.00" are the same body for the Idempotency-Key.
    amount: Annotated[Money, AfterValidator(_cents)]
    received_on: Day | None = Field(default=None, description="Default: today in the compound")
    reference: str = Field(default="", max_length=100, description="The bank's or WeChat's transaction number")
    note: str = Field(default="", max_length=500)
    bill_ids: list[RowId] = Field(
        default_factory=list,
        max_length=100,
        description="Pay these bills first, in this order; the rest goes "
        "to the oldest bills; what is left is credit for the next bill",
    )


class ReversalCreate(Input):
    reason: str = Field(min_length=1, max_length=500)


class AllocationRead(BaseModel):
    bill_id: int
    account_id: int
    utility: str
    month: date
    amount: Decimal


class ReversalRead(BaseModel):
    id: int
    reason: str
    reversed_on: date
    reversed_by: str

    @classmethod
    def of(cls, row: PaymentReversal) -> "ReversalRead":
        return cls(id=row.id, reason=row.reason, reversed_on=row.reversed_on, reversed_by=row.reversed_by)


class PaymentRead(BaseModel):
    id: int
    receipt_no: str
    payer_id: int
    method: str
    amount: Decimal
    received_on: date
    reference: str
    note: str
    source: str
    recorded_by: str
    allocations: list[AllocationRead]
    credit: Decimal = Field(description="What of the payment is not allocated to a bill (yet)")
    reversal: ReversalRead | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, p: Payment, allocations: list, reversal: PaymentReversal | None) -> "PaymentRead":
        allocated = sum((a.amount for a in allocations), Decimal("0.00"))
        return cls(
            id=p.id,
            receipt_no=p.receipt_no,
            payer_id=p.payer_id,
            method=p.method,
            amount=p.amount,
            received_on=p.received_on,
            reference=p.reference,
            note=p.note,
            source=p.source,
            recorded_by=p.recorded_by,
            created_at=p.created_at,
            allocations=[AllocationRead(**a.__dict__) for a in allocations],
            credit=Decimal(0) if reversal else (p.amount - allocated).quantize(Decimal("0.01")),
            reversal=ReversalRead.of(reversal) if reversal else None,
        )


class PaymentPage(BaseModel):
    items: list[PaymentRead]
    limit: int
    offset: int


class MethodRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str


class BalanceRead(BaseModel):
    payer_id: int
    as_of: date
    balance: Decimal = Field(description="Owed (> 0) or credit (< 0): the sum of the ledger's entries")


class StatementLineRead(BaseModel):
    on: date
    kind: str  # bill | adjustment | payment | reversal
    ref: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


class StatementRead(BaseModel):
    payer_id: int
    from_date: date
    to_date: date
    opening: Decimal
    lines: list[StatementLineRead]
    closing: Decimal


class AgeingRowRead(BaseModel):
    key: int | None
    code: str
    name: str
    buckets: dict[str, Decimal]
    total: Decimal
    accounts: int


class AgeingRead(BaseModel):
    as_of: date
    by: str
    rows: list[AgeingRowRead]
    totals: AgeingRowRead
