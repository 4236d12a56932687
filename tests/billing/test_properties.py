"""Invariants of the bill run for any readings and tariff (hypothesis)."""

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.errors import BillsIssued
from billing.models import Bill, BillLine
from billing.periods import parse_month
from billing.run import issue_period, run_draft
from tests.billing.helpers import bill_of, load, read
from tests.factories import make_account, make_compound, make_meter

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
milli = st.integers(min_value=0, max_value=60_000)  # up to 60 m³ a month, to the litre
price = st.integers(min_value=1, max_value=99_999).map(lambda e4: Decimal(e4).scaleb(-4))


@st.composite
def tariffs(draw, basis: str):
    """A one- to three-block component and a flat one, thresholds in whole m³ (yearly or monthly)."""
    n = draw(st.integers(1, 3))
    ups = sorted(draw(st.lists(st.integers(1, 400), min_size=n - 1, max_size=n - 1, unique=True)))
    blocks = [{"up_to": str(u), "price": str(draw(price))} for u in ups] + [{"price": str(draw(price))}]
    return {
        "utility": "water",
        "class": "household",
        "valid_from": "2020-01-01",
        "name": "t",
        "basis": basis,
        "components": [
            {"code": "a", "name": "A", "blocks": blocks},
            {"code": "b", "name": "B", "blocks": [{"price": str(draw(price))}]},
        ],
    }


def _fill(x: int, lo: int, hi: int | None, first: bool) -> int:
    """How much of x falls in the block (lo, hi]; the first block also takes anything below zero."""
    top = x if hi is None else min(x, hi)
    return top if first else max(top, lo) - lo


def _rhu(q: Decimal, p: Decimal) -> Decimal:
    return (q * p).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _lines(session, bill):
    return (
        session.execute(
            sa.select(BillLine).where(BillLine.compound_id == bill.compound_id, BillLine.bill_id == bill.id)
        )
        .scalars()
        .all()
    )


def _bill_months(session, tariff, uses):
    c = make_compound(session)
    home = make_account(session, compound=c)
    meter = make_meter(session, compound=c, account=home, dials=6)
    load(session, c, tariff)
    value = 0
    read(session, c, meter, "0", 2025, 12, 31)
    bills = []
    for month, use in enumerate(uses, start=1):
        value += use
        read(session, c, meter, Decimal(value).scaleb(-3), 2026, month, 20, confirm=["spike"])
        run_draft(session, compound=c, month=parse_month(f"2026-{month:02d}"))
        issue_period(session, compound=c, month=parse_month(f"2026-{month:02d}"))
        bills.append(bill_of(session, home, f"2026-{month:02d}"))
    return c, home, bills


@SETTINGS
@given(data=st.data())
def test_each_line_is_quantity_times_price_rounded_and_the_bill_is_their_sum(session, data):
    tariff = data.draw(tariffs(data.draw(st.sampled_from(["month", "tariff_year"]))))
    uses = data.draw(st.lists(milli, min_size=1, max_size=4))
    _c, _home, bills = _bill_months(session, tariff, uses)
    for bill, use in zip(bills, uses, strict=True):
        lines = _lines(session, bill)
        priced = [x for x in lines if x.kind == "block"]
        for x in priced:
            assert x.amount == _rhu(x.quantity, x.price)
        assert bill.amount == sum((x.amount for x in lines), Decimal("0.00"))
        for code in ("a", "b"):  # the block quantities of each component sum to the bill's quantity
            assert sum((x.quantity for x in priced if x.component == code), Decimal(0)) == Decimal(use).scaleb(-3)


@SETTINGS
@given(data=st.data())
def test_a_years_bills_charge_each_block_as_one_bill_for_the_years_total_would(session, data):
    tariff = data.draw(tariffs("tariff_year"))
    uses = data.draw(st.lists(milli, min_size=2, max_size=5))
    _c, _home, bills = _bill_months(session, tariff, uses)
    total = sum(uses)
    blocks = tariff["components"][0]["blocks"]
    lo = 0
    for number, block in enumerate(blocks, start=1):
        hi = int(block["up_to"]) * 1000 if "up_to" in block else None
        one_bill_q = Decimal(_fill(total, lo, hi, number == 1)).scaleb(-3)
        lines = [x for b in bills for x in _lines(session, b) if x.component == "a" and x.block == number]
        assert sum((x.quantity for x in lines), Decimal(0)) == one_bill_q
        one_bill_amount = _rhu(one_bill_q, Decimal(block["price"]))
        # Each month rounds its own line once: together within half a fen per bill of the one bill.
        assert abs(sum((x.amount for x in lines), Decimal(0)) - one_bill_amount) <= Decimal("0.005") * len(bills)
        lo = hi or lo


def _snapshot(session, compound_id):
    rows = session.execute(
        sa.select(
            Bill.account_id,
            Bill.utility,
            Bill.quantity,
            Bill.amount,
            Bill.status,
            BillLine.kind,
            BillLine.component,
            BillLine.block,
            BillLine.quantity,
            BillLine.amount,
        )
        .join(BillLine, sa.and_(BillLine.compound_id == Bill.compound_id, BillLine.bill_id == Bill.id))
        .where(Bill.compound_id == compound_id)
    ).all()
    return sorted(tuple(str(v) for v in r) for r in rows)


@SETTINGS
@given(data=st.data())
def test_running_a_draft_again_gives_the_same_bills_and_never_a_second_one(session, data):
    tariff = data.draw(tariffs(data.draw(st.sampled_from(["month", "tariff_year"]))))
    c = make_compound(session)
    homes = [make_account(session, compound=c) for _ in range(data.draw(st.integers(1, 3)))]
    load(session, c, tariff)
    for home in homes:
        meter = make_meter(session, compound=c, account=home, dials=6)
        read(session, c, meter, "0", 2026, 9, 28)
        read(session, c, meter, Decimal(data.draw(milli)).scaleb(-3), 2026, 10, 28, confirm=["spike"])
    run_draft(session, compound=c, month=parse_month("2026-10"))
    first = _snapshot(session, c.id)
    for _ in range(data.draw(st.integers(1, 3))):
        run_draft(session, compound=c, month=parse_month("2026-10"))
    assert _snapshot(session, c.id) == first
    count = session.execute(sa.select(sa.func.count()).select_from(Bill).where(Bill.compound_id == c.id)).scalar()
    assert count == len(homes)


@SETTINGS
@given(use=milli)
def test_an_issued_bill_refuses_a_new_run_and_stays_as_it_was(session, use):
    import pytest

    c = make_compound(session)
    home = make_account(session, compound=c)
    meter = make_meter(session, compound=c, account=home, dials=6)
    load(
        session,
        c,
        {
            "utility": "water",
            "class": "household",
            "valid_from": "2020-01-01",
            "name": "t",
            "components": [{"code": "a", "name": "A", "blocks": [{"price": "5"}]}],
        },
    )
    read(session, c, meter, "0", 2026, 9, 28)
    read(session, c, meter, Decimal(use).scaleb(-3), 2026, 10, 28, confirm=["spike"])
    run_draft(session, compound=c, month=parse_month("2026-10"))
    issue_period(session, compound=c, month=parse_month("2026-10"))
    before = _snapshot(session, c.id)
    read(
        session, c, meter, Decimal(use + 5000).scaleb(-3), 2026, 10, 30, confirm=["spike"]
    )  # a later reading inside the period
    with pytest.raises(BillsIssued):
        run_draft(session, compound=c, month=parse_month("2026-10"))
    assert _snapshot(session, c.id) == before
