"""JSON API of the balance: the period balance, the quick balance, the utility's bills, night-flow tests, settings.

Volumes and money are decimal strings, as on the command line.
"""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit import lookups
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath, PlausibleDate, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep
from meters.models import Meter
from reports import night_flow, utility_bills, views
from reports.balance import settings as balance_settings
from reports.balance.components import vol
from reports.balance.output import reconcile_json
from reports.balance.service import period_balance
from reports.cli import _plain, quick
from reports.formulas.numbers import round_volume
from reports.models import NightFlowTest, UtilityBill
from reports.money.output import money_json
from reports.money.schemas import MoneyRead
from reports.money.service import period_money
from reports.schemas import (
    BalanceSettingsRead,
    BalanceSettingsUpdate,
    BillLineRead,
    LossCableCreate,
    LossCableRead,
    NightFlowCreate,
    NightFlowRead,
    UtilityBillCreate,
    UtilityBillRead,
)

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["reports"], route_class=UnitOfWorkRoute)
CREATED = {"status_code": status.HTTP_201_CREATED}
PeriodText = Annotated[str, Query(max_length=40, description="2025-03, 2025-Q1, 2025 or 2025-01-15..2025-02-14")]
CLEARABLE = frozenset({"mains_km", "connections", "service_km", "pressure_m", "pressure_profile"})
UtilityText = Annotated[str, Query(max_length=20, description="water or electricity")]


class ZoneRow(BaseModel):
    code: str
    input: str
    children: str
    loss: str
    estimated: bool


class BalanceRead(BaseModel):
    """The keys of `compound reconcile --json`; `details` has every other figure, the alignment and the bills."""

    period: str
    utility: str
    system_input: str
    billed_metered: str
    billed_unmetered: str
    unbilled_metered: str
    unbilled_unmetered: str
    apparent_losses: str
    real_losses: str
    non_revenue: str
    zones: list[ZoneRow]
    estimated: list[str]
    money: MoneyRead
    details: dict[str, Any] | None = None


@router.get("/balance", dependencies=[Require(Perm.reports_view)], response_model=BalanceRead)
def get_balance(
    session: SessionDep, compound: CompoundDep, period: PeriodText = "", utility: UtilityText = "water",
    details: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The volume balance of one utility over a period (the latest covered month when none is given)."""
    span, chosen = views.choose(session, compound, period, utility)
    b = period_balance(session, compound=compound, utility=chosen, period=span)
    out = reconcile_json(b, details=details)
    out["money"] = money_json(period_money(session, compound=compound, utility=chosen, period=span, balance=b))
    return _plain(out)


QUICK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
    }
}


@router.post("/balance/quick/{utility}", dependencies=[Require(Perm.reports_view)], openapi_extra=QUICK_BODY)
async def quick_balance(request: Request, compound: CompoundDep, utility: Annotated[str, Path(max_length=20)]) -> dict:
    """The balance from totals (the keys of `compound balance ... --from FILE.json`); a refusal names the key."""
    return _plain(quick(views.utility_of(utility).value, (await request.body()).decode("utf-8", "replace")))


# The utility's bills


def _bill_read(bill: UtilityBill, serial: str, lines: list, check: utility_bills.BillCheck | None, tolerance) -> dict:
    diff = check.difference_milli() if check else None
    return UtilityBillRead(
        id=bill.id,
        meter_id=bill.meter_id,
        serial=serial,
        period_start_date=bill.period_start_date,
        period_end_date=bill.period_end_date,
        quantity=vol(bill.quantity_milli),
        amount=utility_bills.to_yuan(bill.amount_fen),
        bill_number=bill.bill_number,
        issued_date=bill.issued_date,
        note=bill.note,
        lines=[
            BillLineRead(
                label=line.label,
                quantity=None if line.quantity_milli is None else vol(line.quantity_milli),
                unit_price=line.unit_price,
                amount=utility_bills.to_yuan(line.amount_fen),
            )
            for line in lines
        ],
        own_quantity=None if check is None or check.own_milli is None else vol(check.own_milli),
        difference=None if diff is None else vol(diff),
        difference_pct=check.difference_pct() if check else None,
        beyond_tolerance=bool(check and check.beyond(tolerance)),
    ).model_dump(mode="json")


def _bills_read(session, compound, bills: list[UtilityBill]) -> list[dict]:
    serials = dict(
        session.execute(
            Meter.__table__.select()
            .with_only_columns(Meter.__table__.c.id, Meter.__table__.c.serial)
            .where(Meter.__table__.c.compound_id == compound.id)
        ).all()
    )
    lines = utility_bills.bill_lines(session, compound=compound, bill_ids=[b.id for b in bills])
    checks = utility_bills.check_bills(session, compound=compound, bills=bills)
    tolerance = utility_bills.tolerance(session, compound=compound)
    return [
        _bill_read(b, serials.get(b.meter_id, ""), lines.get(b.id, []), c, tolerance)
        for b, c in zip(bills, checks, strict=True)
    ]


@router.get("/utility-bills", dependencies=[Require(Perm.reports_view)], response_model=list[UtilityBillRead])
def list_bills(
    session: SessionDep, compound: CompoundDep, meter_id: RefId = None, start: PlausibleDate | None = None,
    end: PlausibleDate | None = None,
) -> list[dict]:  # fmt: skip
    """The utility's bills (of one meter; those meeting [start, end)), each beside the compound's own reading."""
    bills = utility_bills.list_bills(
        session, compound=compound, meter_ids=None if meter_id is None else [meter_id], start=start, end=end
    )
    return _bills_read(session, compound, bills[:500])


@router.post("/utility-bills", dependencies=[Require(Perm.billing_edit)], response_model=UtilityBillRead, **CREATED)
def create_bill(session: SessionDep, compound: CompoundDep, body: UtilityBillCreate) -> dict:
    """Record one of the utility's bills with its printed lines (which must add up to the amount)."""
    bill = utility_bills.create_bill(session, compound=compound, data=body)
    return _bills_read(session, compound, [bill])[0]


# Night-flow tests


def _night_read(session, compound, test: NightFlowTest) -> dict:
    result = night_flow.work_out(session, compound=compound, test=test)
    e = result.estimate
    return NightFlowRead(
        id=test.id,
        meter_id=test.meter_id,
        serial=result.meter.serial,
        test_date=test.test_date,
        read_by=test.read_by,
        note=test.note,
        readings=[(at, value) for at, value in result.readings],
        minimum_night_flow_m3_per_hour=_q(e.minimum.rate),
        legitimate_night_use_m3_per_hour=_q(e.legitimate_use),
        net_night_flow_m3_per_hour=_q(e.net_night_flow),
        night_day_factor_hours=_q(result.factor.hours),
        night_day_factor_from=result.factor.source,
        daily_leakage_m3=_q(e.daily_leakage),
        month_real_losses_per_day_m3=None
        if result.month_real_losses_per_day is None
        else _q(result.month_real_losses_per_day),
    ).model_dump(mode="json")


def _q(value: Decimal) -> Decimal:
    return round_volume(value)


@router.get("/night-flow-tests", dependencies=[Require(Perm.readings_write)], response_model=list[NightFlowRead])
def list_night_flow_tests(session: SessionDep, compound: CompoundDep) -> list[dict]:
    """The compound's night-flow tests, newest first, each worked out with the current allowances."""
    return [_night_read(session, compound, t) for t, _serial in night_flow.list_tests(session, compound=compound)]


@router.post("/night-flow-tests", dependencies=[Require(Perm.readings_write)], response_model=NightFlowRead, **CREATED)
def create_night_flow_test(session: SessionDep, compound: CompoundDep, body: NightFlowCreate) -> dict:
    """Two or more readings of a water master or zone meter in the night window; the daily leakage they show."""
    test = night_flow.create_test(session, compound=compound, data=body)
    return _night_read(session, compound, test)


@router.get("/night-flow-tests/{test_id}", dependencies=[Require(Perm.readings_write)], response_model=NightFlowRead)
def get_night_flow_test(session: SessionDep, compound: CompoundDep, test_id: IdPath) -> dict:
    test = lookups.get_or_raise(
        session, NightFlowTest, compound_id=compound.id, id=test_id, message=_("No such night-flow test."),
        field="test_id",
    )  # fmt: skip
    return _night_read(session, compound, test)


# Settings


@router.get("/balance-settings", dependencies=[Require(Perm.reports_view)], response_model=BalanceSettingsRead)
def get_settings(session: SessionDep, compound: CompoundDep) -> Any:
    return balance_settings.get_settings(session, compound=compound)


@router.patch("/balance-settings", dependencies=[Require(Perm.billing_edit)], response_model=BalanceSettingsRead)
def update_settings(session: SessionDep, compound: CompoundDep, body: BalanceSettingsUpdate) -> Any:
    """Change the fields sent; the others keep their values (or defaults)."""
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in CLEARABLE:
            raise InvalidInput(_("Only the network figures and the pressure profile may be cleared."), field=name)
    return balance_settings.update_settings(session, compound=compound, changes=changes)


# Loss cables


@router.get("/loss-cables", dependencies=[Require(Perm.reports_view)], response_model=list[LossCableRead])
def list_loss_cables(session: SessionDep, compound: CompoundDep) -> Any:
    return balance_settings.loss_cables(session, compound=compound)


@router.post("/loss-cables", dependencies=[Require(Perm.billing_edit)], response_model=LossCableRead, **CREATED)
def add_loss_cable(session: SessionDep, compound: CompoundDep, body: LossCableCreate) -> Any:
    """A cable (Ω/km, km, voltage) carrying what one electricity meter measures: its 3·I²·R loss replaces the
    configured line-loss rate of the master meter above it."""
    return balance_settings.add_loss_cable(session, compound=compound, data=body)
