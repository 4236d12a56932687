"""JSON API of billing: tariffs, bill runs (draft, issue, close), bills with their lines, exceptions, adjustments.

Quantities and money are decimal strings, the same bodies as `compound bills show --json` and `tariffs load`.
"""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from billing import adjustments, bills
from billing.periods import parse_month
from billing.run import close_period, issue_period, run_draft
from billing.tariff_schemas import TariffIn, TariffOut
from billing.tariffs import describe, list_tariffs, save_tariff
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["billing"], route_class=UnitOfWorkRoute)
VIEW, EDIT = [Require(Perm.billing_view)], [Require(Perm.billing_edit)]
PeriodPath = Annotated[str, Path(max_length=7, description="The month: 2026-10")]
PeriodQuery = Annotated[str, Query(max_length=7, description="The month: 2026-10")]


class RunRead(BaseModel):
    period: str
    status: str
    bills: int
    amount: str
    exceptions: int


class LineRead(BaseModel):
    kind: str
    component: str | None
    quantity: str | None
    price: str | None
    amount: str | None
    label: str = ""
    block: int | None = None
    days: int | None = None
    tariff_id: int | None = None
    meter: str | None = None
    previous_reading: str | None = None
    previous_estimated: bool | None = None
    current_reading: str | None = None
    current_estimated: bool | None = None
    multiplier: int | None = None


class BillRead(BaseModel):
    id: int
    account_code: str
    payer_code: str
    utility: str
    period: str
    status: str
    quantity: str
    amount: str
    official_use: bool
    due_on: str | None
    lines: list[LineRead]
    adjustments: list[dict[str, Any]] | None = None


class ExceptionRead(BaseModel):
    code: str
    account_code: str | None
    account_name: str | None
    meter: str | None
    utility: str | None
    account_id: int | None
    detail: str


class AdjustmentCreate(BaseModel):
    amount: Annotated[
        Decimal,
        Field(max_digits=14, decimal_places=2, description="Yuan: positive a debit note, negative a credit note"),
    ]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class AdjustmentRead(BaseModel):
    id: int
    bill_id: int
    payer_id: int
    period: str
    amount: str
    reason: str


def _run_read(result, state: str) -> RunRead:
    return RunRead(
        period=f"{result.period.month:%Y-%m}",
        status=state,
        bills=result.bills,
        amount=str(result.amount),
        exceptions=result.exceptions,
    )


@router.get("/tariffs", dependencies=VIEW, response_model=list[TariffOut], response_model_by_alias=True)
def get_tariffs(session: SessionDep, compound: CompoundDep) -> list[TariffOut]:
    """Every tariff version of the compound."""
    return list_tariffs(session, compound_id=compound.id)


@router.post(
    "/tariffs",
    dependencies=EDIT,
    response_model=TariffOut,
    response_model_by_alias=True,
    status_code=status.HTTP_201_CREATED,
)
def post_tariff(session: SessionDep, compound: CompoundDep, body: TariffIn) -> TariffOut:
    """Add a tariff version (the body of `compound tariffs load`); the same utility, class and date replaces it."""
    tariff = save_tariff(session, compound_id=compound.id, data=body)
    return describe(session, compound_id=compound.id, tariffs=[tariff])[0]


@router.post("/bill-runs/{period}", dependencies=EDIT, response_model=RunRead)
def post_run(session: SessionDep, compound: CompoundDep, period: PeriodPath, issue: bool = False) -> RunRead:
    """Run (or run again) the period's draft; `issue=true` issues it as well."""
    month = parse_month(period)
    result = run_draft(session, compound=compound, month=month)
    if issue:
        return _run_read(issue_period(session, compound=compound, month=month), "issued")
    return _run_read(result, "draft")


@router.post("/bill-runs/{period}/issue", dependencies=EDIT, response_model=RunRead)
def post_issue(session: SessionDep, compound: CompoundDep, period: PeriodPath) -> RunRead:
    """Issue the period's draft bills: they never change afterwards."""
    return _run_read(issue_period(session, compound=compound, month=parse_month(period)), "issued")


@router.post("/bill-runs/{period}/close", dependencies=EDIT, response_model=RunRead)
def post_close(session: SessionDep, compound: CompoundDep, period: PeriodPath) -> RunRead:
    """Close an issued period."""
    month = parse_month(period)
    close_period(session, compound=compound, month=month)
    listed = bills.bills_of_period(session, compound_id=compound.id, month=month)
    total = sum((Decimal(b["amount"]) for b in listed), Decimal("0.00"))
    return RunRead(period=period, status="closed", bills=len(listed), amount=str(total), exceptions=0)


@router.get("/bill-runs/{period}/exceptions", dependencies=VIEW, response_model=list[ExceptionRead])
def get_exceptions(session: SessionDep, compound: CompoundDep, period: PeriodPath) -> list[dict[str, Any]]:
    """What the draft asks a clerk to look at: no reading, estimates, spikes, replacements, moves, changes."""
    return bills.exceptions_of_period(session, compound_id=compound.id, month=parse_month(period))


@router.get("/bills", dependencies=VIEW, response_model=list[BillRead])
def get_bills(session: SessionDep, compound: CompoundDep, period: PeriodQuery) -> list[dict[str, Any]]:
    """Every bill of the period with its lines (the shape of `compound bills show --json`)."""
    return bills.bills_of_period(session, compound_id=compound.id, month=parse_month(period))


@router.get("/bills/{bill_id}", dependencies=VIEW, response_model=BillRead)
def get_bill(session: SessionDep, compound: CompoundDep, bill_id: IdPath) -> dict[str, Any]:
    """One bill, its lines and its adjustments."""
    return bills.one_bill(session, compound_id=compound.id, bill_id=bill_id)


@router.post(
    "/bills/{bill_id}/adjustments",
    dependencies=EDIT,
    response_model=AdjustmentRead,
    status_code=status.HTTP_201_CREATED,
)
def post_adjustment(
    session: SessionDep, compound: CompoundDep, bill_id: IdPath, body: AdjustmentCreate, principal: PrincipalDep
) -> AdjustmentRead:
    """A credit (−) or debit (+) note against an issued bill, in the open period, to the bill's payer."""
    a = adjustments.make_adjustment(
        session,
        compound_id=compound.id,
        bill_id=bill_id,
        amount=body.amount,
        reason=body.reason,
        by=principal.user.username,
    )
    period = adjustments.period_of(session, a)
    return AdjustmentRead(
        id=a.id,
        bill_id=a.bill_id,
        payer_id=a.payer_id,
        period=f"{period.month:%Y-%m}",
        amount=str(a.amount),
        reason=a.reason,
    )
