"""Worked examples from Beijing's residential water ladder (京发改〔2014〕865号), computed by hand in the comments."""

from tests.billing.helpers import BEIJING_WATER, D, bill_of, lines_of, load, priced, read, run_and_issue
from tests.factories import make_account, make_compound, make_meter


def _household(session):
    c = make_compound(session)
    home = make_account(session, compound=c)
    meter = make_meter(session, compound=c, account=home)
    load(session, c, BEIJING_WATER)
    return c, home, meter


def test_the_month_a_household_crosses_the_yearly_threshold_is_billed_partly_at_each_price(session):
    c, home, meter = _household(session)
    read(session, c, meter, 0, 2025, 12, 31)
    for month in range(1, 9):  # 25 m³ a month, read on the 28th
        read(session, c, meter, 25 * month, 2026, month, 28)
        run_and_issue(session, c, f"2026-{month:02d}")
    # January to July: 7 × 25 = 175 m³, all in the first block: each month 25 × 5.00 = 125.00 yuan.
    july = bill_of(session, home, "2026-07")
    assert july.amount == D("125.00")
    # August: 175 → 200 m³. The first block has 180 − 175 = 5 m³ left: water fee 5 × 2.07 = 10.35;
    # the other 20 m³ at the second block's water fee: 20 × 4.07 = 81.40; resource fee 25 × 1.57 = 39.25;
    # sewage fee 25 × 1.36 = 34.00. Total 10.35 + 81.40 + 39.25 + 34.00 = 165.00 = 5 × 5.00 + 20 × 7.00.
    august = bill_of(session, home, "2026-08")
    assert priced(session, august) == [
        ("block", "water", 1, D("5.000"), D("2.0700"), D("10.35")),
        ("block", "water", 2, D("20.000"), D("4.0700"), D("81.40")),
        ("block", "resource", 1, D("25.000"), D("1.5700"), D("39.25")),
        ("block", "sewage", 1, D("25.000"), D("1.3600"), D("34.00")),
    ]
    assert august.amount == D("165.00") and august.quantity == D("25.000")
    usage = [r for r in lines_of(session, august) if r[0] == "usage"]
    assert usage == [("usage", None, None, D("25.000"), None, D("0.00"))]


def test_a_household_of_seven_gets_sixty_more_cubic_metres_on_every_threshold(session):
    from datetime import date

    from billing.models import HouseholdSize

    c, home, meter = _household(session)
    session.add(HouseholdSize(compound_id=c.id, account_id=home.id, persons=7, from_date=date(2025, 1, 1)))
    read(session, c, meter, 0, 2025, 12, 31)
    read(session, c, meter, 250, 2026, 1, 28)
    run_and_issue(session, c, "2026-01")
    # Seven persons, two above five: every threshold + 2 × 30 = 60 m³, so the first block ends at 240 m³.
    # 250 m³: water fee 240 × 2.07 = 496.80 and 10 × 4.07 = 40.70; resource fee 250 × 1.57 = 392.50; sewage
    # 250 × 1.36 = 340.00. Total 1270.00 = 240 × 5.00 + 10 × 7.00. (A household of five would have paid
    # 180 × 5.00 + 70 × 7.00 = 1390.00.)
    january = bill_of(session, home, "2026-01")
    assert priced(session, january) == [
        ("block", "water", 1, D("240.000"), D("2.0700"), D("496.80")),
        ("block", "water", 2, D("10.000"), D("4.0700"), D("40.70")),
        ("block", "resource", 1, D("250.000"), D("1.5700"), D("392.50")),
        ("block", "sewage", 1, D("250.000"), D("1.3600"), D("340.00")),
    ]
    assert january.amount == D("1270.00")


# Beijing's non-residential water price (京发改〔2014〕865号, the six central districts): 9.50 yuan/m³ flat. The
# rise to 10.50 from 16 March 2026 and the 3.10 yuan meter rent are invented for the example.
OFFICE_WATER = {
    "utility": "water",
    "class": "office",
    "valid_from": "2014-05-01",
    "name": "非居民用水",
    "components": [{"code": "water", "name": "水费（含水资源费、污水处理费）", "blocks": [{"price": "9.50"}]}],
    "fixed_charges": [{"code": "meter_rent", "name": "水表租金", "amount": "3.10"}],
}


def test_a_price_change_inside_the_month_splits_the_bill_by_days(session):
    from compound.register.models import AccountKind

    c = make_compound(session)
    office = make_account(session, compound=c, kind=AccountKind.office, name="区统计局")
    meter = make_meter(session, compound=c, account=office)
    load(session, c, OFFICE_WATER)
    load(
        session,
        c,
        {
            **OFFICE_WATER,
            "valid_from": "2026-03-16",
            "components": [{"code": "water", "name": "水费（含水资源费、污水处理费）", "blocks": [{"price": "10.50"}]}],
        },
    )
    read(session, c, meter, 100, 2026, 2, 27)
    read(session, c, meter, 131, 2026, 3, 30)
    run_and_issue(session, c, "2026-03")
    # March has 31 days: 1–15 March (15 days) at the old price, 16–31 March (16 days) at the new one.
    # 31 m³ split by days: 31 × 15/31 = 15 m³ at 9.50 = 142.50; 16 m³ at 10.50 = 168.00. The meter rent of
    # 3.10 a month, by days: 3.10 × 15/31 = 1.50 and 3.10 × 16/31 = 1.60. Total 142.50 + 1.50 + 168.00 + 1.60 = 313.60.
    march = bill_of(session, office, "2026-03")
    assert [(k, comp, q, p, a) for k, comp, _b, q, p, a in priced(session, march)] == [
        ("block", "water", D("15.000"), D("9.5000"), D("142.50")),
        ("fixed", "meter_rent", None, None, D("1.50")),
        ("block", "water", D("16.000"), D("10.5000"), D("168.00")),
        ("fixed", "meter_rent", None, None, D("1.60")),
    ]
    assert march.amount == D("313.60")


def test_an_estimate_billed_last_month_is_corrected_on_the_next_bill(session):
    from billing.models import BillException
    from compound.register.models import AccountKind
    from meters.models import Reading, ReadingSource

    c = make_compound(session)
    office = make_account(session, compound=c, kind=AccountKind.office)
    meter = make_meter(session, compound=c, account=office)
    load(session, c, OFFICE_WATER)
    read(session, c, meter, 100, 2026, 1, 30)
    read(session, c, meter, 130, 2026, 2, 27)
    run_and_issue(session, c, "2026-02")
    # March's read was missed: an estimate of 160 (30 m³) is billed in March.
    from tests.billing.helpers import local

    session.add(
        Reading(
            compound_id=c.id,
            meter_id=meter.id,
            read_at=local(2026, 3, 30),
            value_milli=160_000,
            consumption_milli=30_000,
            period_seconds=31 * 86400,
            source=ReadingSource.estimated,
        )
    )
    session.flush()
    run_and_issue(session, c, "2026-03")
    assert bill_of(session, office, "2026-03").quantity == D("30.000")
    # The real reading in April is 170: 40 m³ since February's 130, of which the 30 m³ estimate was billed.
    # April's bill: usage 40 m³ from 130 (the last real reading), correction −30 m³, so 10 m³ × 9.50 = 95.00
    # plus the meter rent 3.10: 98.10. March and April together charge 40 m³: exactly the real use.
    read(session, c, meter, 170, 2026, 4, 28)
    run_and_issue(session, c, "2026-04")
    april = bill_of(session, office, "2026-04")
    kinds = [(k, q) for k, _c, _b, q, _p, _a in lines_of(session, april)]
    assert kinds[:2] == [("usage", D("40.000")), ("correction", D("-30.000"))]
    assert april.quantity == D("10.000") and april.amount == D("98.10")
    codes = {e.code for e in session.query(BillException).filter_by(compound_id=c.id).all()}
    assert "estimate_corrected" in codes and "estimated" in codes
