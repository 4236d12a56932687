"""The demo compound's bills: 24 months issued on realistic tariffs, with a price change and a few adjustments.

- Households: Beijing's residential water ladder (yearly, 180 / 260 m³ at 5 / 7 / 9 yuan, five persons and more get
  30 m³ per further person) and Beijing's residential electricity ladder (yearly, 2880 / 4800 kWh at 0.4883 /
  0.5383 / 0.7883 yuan). Persons per household from the register's plan, from the day they moved in.
- Offices: a flat non-residential water price (9.50 yuan/m³, with a 3.00 meter rent), raised to 10.00 from
  16 July 2025 — inside a period, so July 2025's office bills are split by days — and a flat 0.80 yuan/kWh.
- The four leading bodies and their conference account are billed to the finance bureau's payer account (CZJ),
  marked as official use; the logistics centre's own boiler house is not billed.
- Every month is run as a draft, issued on the 3rd of the next month, and the month before is then closed; three
  adjustments (two credit notes, a debit note) are made in the open period of their month.

Set-based: each month is one run of the real bill run (a handful of SQL statements), so the demo stays fast.
`build_billing` is the one function to call once the readings exist; payment history comes after it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from billing.adjustments import make_adjustment
from billing.models import Bill, BillingAccount, BillingPeriod, HouseholdSize
from billing.run import close_period, issue_period, run_draft
from billing.setup import ensure_setup
from billing.tariff_schemas import TariffIn
from billing.tariffs import save_tariff
from compound.register.models import Account, Compound
from compound.shell.demo import names
from compound.shell.demo.consumption import TZ, add_months
from compound.shell.demo.plan import HouseholdPlan

SOURCE_WATER = "京发改〔2014〕865号（北京市居民用水阶梯水价；非居民用水城六区 9.50 元/立方米）"
SOURCE_POWER = "京发改〔2012〕1024号（北京市居民阶梯电价，按年累计）"
FIRST_MONTH = date(2024, 11, 1)
MONTHS = 24
PRICE_CHANGE = date(2025, 7, 16)  # the demo's own: non-residential water 9.50 → 10.00

TARIFFS: list[dict] = [
    {
        "utility": "water",
        "class": "household",
        "valid_from": "2014-05-01",
        "name": "居民用水阶梯水价",
        "basis": "tariff_year",
        "household_rule": {"base_persons": 5, "step_per_person": "30"},
        "components": [
            {
                "code": "water",
                "name": "水费",
                "blocks": [{"up_to": "180", "price": "2.07"}, {"up_to": "260", "price": "4.07"}, {"price": "6.07"}],
            },
            {"code": "resource", "name": "水资源费", "blocks": [{"price": "1.57"}]},
            {"code": "sewage", "name": "污水处理费", "blocks": [{"price": "1.36"}]},
        ],
        "source": SOURCE_WATER,
    },
    {
        "utility": "water",
        "class": "office",
        "valid_from": "2014-05-01",
        "name": "非居民用水",
        "components": [{"code": "water", "name": "水费（含水资源费、污水处理费）", "blocks": [{"price": "9.50"}]}],
        "fixed_charges": [{"code": "meter_rent", "name": "水表租金", "amount": "3.00"}],
        "source": SOURCE_WATER,
    },
    {
        "utility": "water",
        "class": "office",
        "valid_from": PRICE_CHANGE.isoformat(),
        "name": "非居民用水（调价）",
        "components": [{"code": "water", "name": "水费（含水资源费、污水处理费）", "blocks": [{"price": "10.00"}]}],
        "fixed_charges": [{"code": "meter_rent", "name": "水表租金", "amount": "3.00"}],
        "source": "演示数据：非居民水价自 2025-07-16 起上调",
    },
    {
        "utility": "electricity",
        "class": "household",
        "valid_from": "2012-07-01",
        "name": "居民阶梯电价",
        "basis": "tariff_year",
        "components": [
            {
                "code": "power",
                "name": "电费",
                "blocks": [
                    {"up_to": "2880", "price": "0.4883"},
                    {"up_to": "4800", "price": "0.5383"},
                    {"price": "0.7883"},
                ],
            }
        ],
        "source": SOURCE_POWER,
    },
    {
        "utility": "electricity",
        "class": "office",
        "valid_from": "2012-07-01",
        "name": "非居民用电（平段）",
        "components": [{"code": "power", "name": "电费", "blocks": [{"price": "0.80"}]}],
        "source": "演示数据：一般工商业平段电价（简化为单一电价）",
    },
]

# (month index 1..24 it is made in, account code, utility, amount, reason): each corrects the month before.
ADJUSTMENTS = (
    (6, names.OFFICE_UNITS[7].code, "water", Decimal("-38.00"), "水表计量误差经检定属实，退还多收水费"),
    (15, names.OFFICE_UNITS[0].code, "electricity", Decimal("126.40"), "会议期间临时用电未计入，补收电费"),
    (MONTHS, names.OFFICE_UNITS[12].code, "water", Decimal("-19.00"), "漏水维修期间用水核减"),
)


@dataclass(frozen=True)
class BillingDemo:
    periods: int
    bills: int
    adjustments: int


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), TZ)


def _setup(session: Session, *, compound_id: int, households: list[HouseholdPlan]) -> None:
    ensure_setup(session, compound_id=compound_id)
    for body in TARIFFS:
        save_tariff(session, compound_id=compound_id, data=TariffIn.model_validate(body))
    ids = dict(session.execute(sa.select(Account.code, Account.id).where(Account.compound_id == compound_id)).all())
    session.execute(
        sa.insert(HouseholdSize),
        [
            {"compound_id": compound_id, "account_id": ids[h.code], "persons": h.persons, "from_date": h.move_in}
            for h in households
            if h.code in ids
        ],
    )
    session.execute(
        sa.update(BillingAccount)
        .where(BillingAccount.compound_id == compound_id, BillingAccount.account_id == ids[names.CENTRE_ACCOUNT.code])
        .values(exempt=True)
    )


def _bill_id(session: Session, compound_id: int, month: date, code: str, utility: str) -> int | None:
    return session.execute(
        sa.select(Bill.id)
        .join(BillingPeriod, sa.and_(BillingPeriod.compound_id == Bill.compound_id, BillingPeriod.id == Bill.period_id))
        .join(Account, sa.and_(Account.compound_id == Bill.compound_id, Account.id == Bill.account_id))
        .where(
            Bill.compound_id == compound_id, BillingPeriod.month == month, Account.code == code, Bill.utility == utility
        )
    ).scalar()


def build_billing(
    session: Session, *, compound_id: int, households: list[HouseholdPlan], on_progress=None
) -> BillingDemo:
    """Tariffs, household sizes and 24 issued months of bills (all but the last closed), with adjustments."""
    step = on_progress or (lambda _stage, _done, _total: None)
    if not sa.inspect(session.connection()).has_table(Bill.__tablename__):
        return BillingDemo(periods=0, bills=0, adjustments=0)  # a database migrated only as far as before billing
    _setup(session, compound_id=compound_id, households=households)
    compound = session.get(Compound, compound_id)
    made = 0
    for k in range(1, MONTHS + 1):
        month = add_months(FIRST_MONTH, k - 1)
        issued = _at(add_months(month, 1) + timedelta(days=2))
        run_draft(session, compound=compound, month=month)
        issue_period(session, compound=compound, month=month, now=issued)
        for when, code, utility, amount, reason in ADJUSTMENTS:
            if when == k and (bill := _bill_id(session, compound_id, add_months(month, -1), code, utility)):
                make_adjustment(
                    session,
                    compound_id=compound_id,
                    bill_id=bill,
                    amount=amount,
                    reason=reason,
                    by="demo-finance",
                    now=issued + timedelta(hours=2),
                )
                made += 1
        if k > 1:
            close_period(session, compound=compound, month=add_months(month, -1), now=issued + timedelta(hours=3))
        step("bills", k, MONTHS)
    bills = session.execute(sa.select(sa.func.count()).select_from(Bill).where(Bill.compound_id == compound_id))
    return BillingDemo(periods=MONTHS, bills=bills.scalar_one(), adjustments=made)
