"""The managers' dashboard: this month against last month and the same month last year, the largest causes, the
zones that lose most, the key defaulters' total, and links into each chart's page.

Its figures are computed once per period and kept in `money_cache` with the fingerprint of what they rest on
(reports/money/fingerprint.py); a visit recomputes only when a reading, bill, payment or the register behind one
of the three months has changed. The figures are plain JSON (yuan and percents as decimal strings), so the page
renders them in either language.
"""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from compound.kit import clock
from compound.register.models import Compound
from reports.balance.output import zone_rows
from reports.formulas.numbers import ZERO, ratio
from reports.money import series
from reports.money.fingerprint import fingerprint
from reports.money.models import MoneyCache
from reports.money.service import CompoundMoney, compound_money
from reports.money.waterfall import CODES, COLLECTION_CAUSES
from reports.periods import Period, add_months, month

KIND = "dashboard"
KEY_DEFAULTER_DAYS = 90  # owed this long past the due date: on the key defaulters' list (the seed's 重点欠费户)


def periods_of(period: Period) -> dict[str, Period]:
    first = period.start.replace(day=1)
    return {"this": period, "last": month(add_months(first, -1)), "year_ago": month(add_months(first, -12))}


def _s(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal(places)))


def _loss_pct(pm: Any) -> Decimal | None:
    t = pm.balance.total
    return None if not t["system_input"] else ratio(t["non_revenue"] * 100, t["system_input"])


def _column(m: CompoundMoney) -> dict[str, Any]:
    w = m.combined
    return {
        "period": m.period.label,
        "water_loss_pct": _s(_loss_pct(m.water)),
        "electricity_loss_pct": _s(_loss_pct(m.electricity)),
        "utility_charges": _s(w.utility_charges),
        "billed": _s(w.billed),
        "collected": _s(w.collected),
        "collected_arrears": _s(w.collected_arrears),
        "gap": _s(w.utility_charges - w.collected),
        "collection_pct": _s(None if w.own_collection_efficiency is None else w.own_collection_efficiency * 100),
        "atc_pct": _s(None if w.efficiencies.atc_loss is None else w.efficiencies.atc_loss * 100),
        "causes": {c: _s(w.amount(c)) for c in CODES},
        "estimated": sorted(b.code for b in w.causes if b.estimated),
    }


def _zones(m: CompoundMoney, top: int = 5) -> list[dict[str, Any]]:
    out = []
    for pm in (m.water, m.electricity):
        cost = pm.waterfall.unit_cost
        for r in zone_rows(pm.balance):
            if r["kind"] == "master" or r["loss"] <= 0:
                continue
            loss = Decimal(r["loss"]).scaleb(-3)
            out.append({"utility": pm.utility.value, "code": r["code"], "zone": r["zone"], "loss": _s(loss, "0.001"),
                        "loss_pct": r["loss_pct"], "value": _s(None if cost is None else loss * cost),
                        "estimated": r["estimated"]})  # fmt: skip
    out.sort(key=lambda z: -Decimal(z["value"] or 0))
    return out[:top]


def _defaulters(session: Session, compound: Compound, period: Period) -> dict[str, Any]:
    """Payers owing more than KEY_DEFAULTER_DAYS past the due date at the period's end; the finance bureau apart."""
    as_of = period.end - timedelta(days=1)
    rows = series.overdue_by_payer(session, compound=compound, as_of=as_of, days=KEY_DEFAULTER_DAYS)
    payers = [(payer, owed) for payer, official, owed in rows if not official and owed > 0]
    bureau = sum((owed for _payer, official, owed in rows if official and owed > 0), ZERO)
    return {"count": len(payers), "total": _s(sum((o for _p, o in payers), ZERO)), "finance_bureau": _s(bureau),
            "days": KEY_DEFAULTER_DAYS}  # fmt: skip


def compute(session: Session, *, compound: Compound, period: Period) -> dict[str, Any]:
    """Every figure of the dashboard, as plain JSON."""
    columns = {key: compound_money(session, compound=compound, period=p) for key, p in periods_of(period).items()}
    this = columns["this"].combined
    largest = sorted((b for b in this.causes if b.code not in COLLECTION_CAUSES and b.amount > 0),
                     key=lambda b: -b.amount)[:5]  # fmt: skip
    unpaid = [b for b in this.causes if b.code in COLLECTION_CAUSES]
    return {
        "columns": {key: _column(m) for key, m in columns.items()},
        "largest": [{"code": b.code, "amount": _s(b.amount), "estimated": b.estimated} for b in largest],
        "unpaid": [{"code": b.code, "amount": _s(b.amount)} for b in unpaid],
        "zones": _zones(columns["this"]),
        "defaulters": _defaulters(session, compound, period),
        "warnings": [
            [pm.utility.value, c, p]
            for pm in (columns["this"].water, columns["this"].electricity)
            for c, p in pm.warnings
        ],  # fmt: skip
    }


def dashboard(session: Session, *, compound: Compound, period: Period) -> tuple[dict[str, Any], bool]:
    """The dashboard's figures and whether they came from the cache (recomputed when the fingerprint moved)."""
    stamp = fingerprint(session, compound=compound, periods=list(periods_of(period).values()))
    c = MoneyCache.__table__.c
    row = session.execute(
        sa.select(c.id, c.fingerprint, c.payload).where(c.compound_id == compound.id, c.kind == KIND,
                                                        c.period == period.label)
    ).first()  # fmt: skip
    if row is not None and row.fingerprint == stamp:
        return json.loads(row.payload), True
    data = compute(session, compound=compound, period=period)
    values = {"fingerprint": stamp, "payload": json.dumps(data, ensure_ascii=False), "computed_at": clock.now()}
    if row is None:
        try:  # two first visits at once: the second one's figures are the same, keep the first's row
            with session.begin_nested():
                session.execute(sa.insert(MoneyCache.__table__).values(compound_id=compound.id, kind=KIND,
                                                                       period=period.label, **values))  # fmt: skip
        except IntegrityError:
            pass
    else:
        session.execute(sa.update(MoneyCache.__table__).where(c.compound_id == compound.id, c.id == row.id)
                        .values(**values))  # fmt: skip
    return data, False
