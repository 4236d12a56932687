"""Meter accuracy tests, and the customer-meter under-registration they measure for the balance.

A test records a meter's error, (registered − true) / true. The balance's apparent losses take the under-
registration of each kind of customer meter (office or household account) and age (under 5, 5 to 10, over 10
years at the period's end) from the latest test of every tested meter of that kind and age, averaged; a kind and
age nobody tested keeps the compound's configured rate. With no test at all the configured rate holds alone
(`MeterError.source` says which: "tests", "tests and configured", or "configured").
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock, lookups
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Compound
from meters.models import Meter, MeterRole
from reports.balance.usage import Window, meter_use
from reports.findings.models import MeterTest
from reports.formulas.water import MeterErrorBasis

BANDS = ((0, 5), (5, 10), (10, None))  # years of age
LIMIT_PCT = Decimal(50)


def record_test(
    session: Session,
    *,
    compound: Compound,
    meter_id: int,
    test_date: date | None,
    error_pct: Decimal,
    tested_by: str,
    note: str = "",
    work_order_id: int | None = None,
) -> MeterTest:
    """One accuracy test of a meter (error in percent, negative when it registers less than flows)."""
    lookups.get_or_raise(
        session,
        Meter,
        compound_id=compound.id,
        id=meter_id,
        error=InvalidInput,
        message=_("No such meter."),
        field="meter_id",
    )
    if not -LIMIT_PCT < Decimal(error_pct) < LIMIT_PCT:
        raise InvalidInput(_("A measured error is between -50 % and +50 %."), field="error_pct")
    test = MeterTest(
        compound_id=compound.id,
        meter_id=meter_id,
        work_order_id=work_order_id,
        test_date=test_date or clock.today(compound),
        error_pct=Decimal(error_pct),
        tested_by=tested_by,
        note=note,
    )
    session.add(test)
    session.flush()
    return test


def list_tests(session: Session, *, compound: Compound, meter_id: int | None = None) -> list[MeterTest]:
    q = sa.select(MeterTest).where(MeterTest.compound_id == compound.id)
    if meter_id is not None:
        q = q.where(MeterTest.meter_id == meter_id)
    return list(session.execute(q.order_by(MeterTest.test_date.desc(), MeterTest.id.desc())).scalars())


def _years_before(on: date, years: int) -> date:
    return on - timedelta(days=round(years * 365.25))


def _band(installed: date | None, on: date) -> str:
    if installed is None:
        return "unknown"
    years = (on - installed).days / 365.25
    for low, high in BANDS:
        if high is None or years < high:
            return f"{low}-{high or ''}"
    return "unknown"


@dataclass
class MeterError:
    """The under-registration u to use in place of the configured rate, and where it came from."""

    fraction: Decimal
    source: str  # "tests", "tests and configured", "configured"
    buckets: dict[str, Decimal] = field(default_factory=dict)  # "household 10-" → measured u
    tests: int = 0


def _measured(session: Session, compound_id: int, utility: str) -> dict[tuple[str, str], list[Fraction]]:
    """Latest test of each tested billing meter of the utility: u by (account kind, age band at the test)."""
    t, m, a = MeterTest.__table__.c, Meter.__table__.c, Account.__table__.c
    rows = session.execute(
        sa.select(t.meter_id, t.test_date, t.error_pct, t.id, m.installed_date, a.kind)
        .select_from(
            MeterTest.__table__.join(
                Meter.__table__, sa.and_(m.compound_id == t.compound_id, m.id == t.meter_id)
            ).outerjoin(Account.__table__, sa.and_(a.compound_id == m.compound_id, a.id == m.account_id))
        )
        .where(t.compound_id == compound_id, m.utility == utility, m.role == MeterRole.billing.value)
        .order_by(t.meter_id, t.test_date, t.id)
    ).all()
    latest = {r[0]: r for r in rows}
    out: dict[tuple[str, str], list[Fraction]] = {}
    for _meter, on, error, _id, installed, kind in latest.values():
        # Error as a fraction of the true volume; under-registration is its opposite.
        out.setdefault((kind or "none", _band(installed, on)), []).append(-Fraction(Decimal(error)) / 100)
    return out


def _volumes(session: Session, compound_id: int, utility: str, window: Window, on: date) -> dict[tuple[str, str], int]:
    """What the billing meters registered in the window, by account kind and age band (one grouped query)."""
    use = meter_use(compound_id=compound_id, window=window, dialect=session.get_bind().dialect.name, utility=utility)
    m, a = Meter.__table__.c, Account.__table__.c
    band = sa.case(
        (m.installed_date.is_(None), "unknown"),
        (m.installed_date > _years_before(on, 5), "0-5"),
        (m.installed_date > _years_before(on, 10), "5-10"),
        else_="10-",
    ).label("band")
    kind = sa.func.coalesce(a.kind, "none").label("kind")
    rows = session.execute(
        sa.select(kind, band, sa.func.sum(use.c.use_milli))
        .select_from(
            Meter.__table__.join(use, use.c.meter_id == m.id).outerjoin(
                Account.__table__, sa.and_(a.compound_id == m.compound_id, a.id == m.account_id)
            )
        )
        .where(m.compound_id == compound_id, m.role == MeterRole.billing.value)
        .group_by(kind, band)
    ).all()
    return {(k, b): int(v or 0) for k, b, v in rows}


def meter_error(
    session: Session,
    *,
    compound_id: int,
    utility: str,
    window: Window,
    end: date,
    configured: Decimal,
    basis: MeterErrorBasis,
) -> MeterError:
    """The one fraction that, on the balance's basis, gives the under-registration of every kind and age.

    Each kind and age band's volume V_b with its u_b: under-registration V_b·u_b/(1−u_b) (of the true volume, as
    a test measures it); a band nobody tested takes the configured rate on the configured basis. The sum U over the
    whole metered volume V is then written back as the balance's fraction: U/(V+U) on the true basis (so that
    V/(1−u) − V = U), U/V on the registered one.
    """
    measured = _measured(session, compound_id, utility)
    if not measured:
        return MeterError(configured, "configured")
    volumes = _volumes(session, compound_id, utility, window, end)
    total, under, used_tests, fell_back = 0, Fraction(0), 0, False
    conf = Fraction(configured)
    for key, v in volumes.items():
        total += v
        if key in measured:
            u = sum(measured[key], Fraction(0)) / len(measured[key])
            u = max(Fraction(0), min(u, Fraction(49, 100)))  # over-registering meters lose nothing
            under += v * u / (1 - u)
            used_tests += len(measured[key])
        else:
            fell_back = fell_back or v > 0
            under += v * conf / (1 - conf) if basis is MeterErrorBasis.TRUE else v * conf
    if not total or not used_tests:
        return MeterError(configured, "configured")
    fraction = under / (total + under) if basis is MeterErrorBasis.TRUE else under / total
    buckets = {f"{k} {b}": _dec(sum(us, Fraction(0)) / len(us)) for (k, b), us in measured.items()}
    source = "tests and configured" if fell_back else "tests"
    return MeterError(_dec(min(fraction, Fraction(99, 100))), source, buckets, used_tests)


def _dec(f: Fraction) -> Decimal:
    return (Decimal(f.numerator) / Decimal(f.denominator)).quantize(Decimal("1e-12"))
