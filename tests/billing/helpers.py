"""Tariffs and readings for billing tests: the Beijing residential water ladder, a household's monthly reads."""

from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from billing.models import Bill, BillLine
from billing.periods import parse_month
from billing.run import issue_period, run_draft
from billing.tariff_schemas import TariffIn
from billing.tariffs import save_tariff
from tests.factories import add_reading

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Beijing residential water, 京发改〔2014〕865号 (in force from 2014-05-01, unchanged through 2018 and after):
# yearly use 0–180 m³ 5.00 yuan/m³, 181–260 m³ 7.00, above 260 m³ 9.00; each price is the water fee (2.07, 4.07,
# 6.07) plus the water resource fee 1.57 plus the sewage treatment fee 1.36. Households of more than five
# registered persons get 30 m³ more on every threshold for each further person (the notice's household rule,
# as recalled here: the tests exercise the rule, whichever exact wording the notice used).
BEIJING_WATER = {
    "utility": "water",
    "class": "household",
    "valid_from": "2014-05-01",
    "name": "北京市居民用水阶梯水价",
    "basis": "tariff_year",
    "year_start": "01-01",
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
    "source": "京发改〔2014〕865号",
}


def load(session, compound, body: dict):
    return save_tariff(session, compound_id=compound.id, data=TariffIn.model_validate(body))


def local(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime.combine(datetime(y, m, d).date(), time(hour), SHANGHAI)


def read(session, compound, meter, value, y, m, d, **kw):
    return add_reading(session, compound=compound, meter=meter, value=str(value), at=local(y, m, d), **kw)


def bill_of(session, account, month: str, utility: str = "water") -> Bill | None:
    return session.execute(
        sa.select(Bill).where(
            Bill.compound_id == account.compound_id,
            Bill.account_id == account.id,
            Bill.utility == utility,
            Bill.period_id == _period_id(session, account.compound_id, month),
        )
    ).scalar_one_or_none()


def _period_id(session, compound_id: int, month: str) -> int | None:
    from billing.models import BillingPeriod

    return session.execute(
        sa.select(BillingPeriod.id).where(
            BillingPeriod.compound_id == compound_id, BillingPeriod.month == parse_month(month)
        )
    ).scalar()


def lines_of(session, bill: Bill) -> list[tuple]:
    """(kind, component, block, quantity, price, amount) of each line, in the bill's order."""
    rows = session.execute(
        sa.select(BillLine.kind, BillLine.component, BillLine.block, BillLine.quantity, BillLine.price, BillLine.amount)
        .where(BillLine.compound_id == bill.compound_id, BillLine.bill_id == bill.id)
        .order_by(BillLine.position, BillLine.id)
    ).all()
    return [tuple(r) for r in rows]


def priced(session, bill: Bill) -> list[tuple]:
    """The money lines: (kind, component, block, quantity, price, amount) without the usage lines."""
    return [r for r in lines_of(session, bill) if r[0] not in ("usage", "correction")]


def run_and_issue(session, compound, month: str, **kw):
    run_draft(session, compound=compound, month=parse_month(month), **kw)
    return issue_period(session, compound=compound, month=parse_month(month))


def D(x: str | int) -> Decimal:
    return Decimal(str(x))


# Beijing's non-residential water price (京发改〔2014〕865号, the six central districts): 9.50 yuan/m³ flat.
OFFICE_WATER_BODY = {
    "utility": "water",
    "class": "office",
    "valid_from": "2014-05-01",
    "name": "非居民用水",
    "components": [{"code": "water", "name": "水费（含水资源费、污水处理费）", "blocks": [{"price": "9.50"}]}],
    "fixed_charges": [{"code": "meter_rent", "name": "水表租金", "amount": "3.10"}],
}
