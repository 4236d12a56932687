"""What a period's balance gives away: each detector turns figures into candidate findings (pure but for reads).

Every candidate names what it is about (its subject), what it rests on (its basis: the figures, worded later in
the reader's language) and its worth per average month in thousandths of a unit. The thresholds are the
compound's finding settings (reports/findings/models.py: FindingSettings).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock
from compound.register.models import Account, AccountKind, Compound
from meters.models import Meter, MeterRole, MeterStatus, Seal
from reports.balance import settings as balance_settings
from reports.balance.components import vol
from reports.balance.service import PeriodBalance
from reports.balance.tree import Node
from reports.balance.usage import Window, meter_use
from reports.findings.models import FindingKind, FindingSettings
from reports.findings.settings import min_volume
from reports.findings.worth import MONTH_DAYS, per_month
from reports.formulas import night_flow as nf
from reports.models import NightFlowTest
from reports.night_flow import load_readings, night_day_factor

MILLI = 1000


@dataclass
class Candidate:
    kind: FindingKind
    subject: str
    basis: dict[str, Any]
    volume_milli_per_month: int | None
    estimated: bool
    meter_id: int | None = None
    zone_id: int | None = None
    building_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _pct(part: int | Decimal, whole: int | Decimal) -> str:
    return f"{Decimal(part) * 100 / Decimal(whole):.1f}" if whole else "—"


def _m(milli: int | Fraction) -> str:
    return str(vol(int(milli)))


# Zones: a loss rate high, or rising; children above their check meter; unmetered use above its estimate


def _node_candidate(b: PeriodBalance, n: Node, s: FindingSettings) -> Candidate | None:
    days = b.period.days
    monthly = per_month(n.loss, days)
    zone = b.tree.zones.get(n.zone_id) if n.zone_id else None
    basis = {
        "serial": n.serial,
        "zone": zone or "",
        "input": _m(n.use),
        "children": _m(n.children),
        "loss": _m(n.loss),
        "pct": _pct(n.loss, n.use),
        "days": days,
    }
    floor = min_volume(s, b.utility.value) * MILLI
    if n.use > 0 and n.loss < 0 and -n.loss > Decimal(s.check_excess_fraction) * n.use and -monthly >= floor:
        basis["limit"] = f"{Decimal(s.check_excess_fraction) * 100:.1f}"
        return Candidate(FindingKind.check_exceeded, f"meter:{n.id}", basis, -monthly, True, n.id, n.zone_id)
    if n.use <= 0 or n.loss <= Decimal(s.zone_loss_high_fraction) * n.use or monthly < floor:
        return None
    basis["limit"] = f"{Decimal(s.zone_loss_high_fraction) * 100:.1f}"
    unmetered = sum(u.use for u in n.unmetered)
    if n.role == MeterRole.check.value and unmetered and 2 * unmetered >= n.children:
        basis["estimate"] = _m(unmetered)
        basis["names"] = ", ".join(u.name for u in n.unmetered)
        return Candidate(FindingKind.unmetered_over, f"meter:{n.id}", basis, monthly, True, n.id, n.zone_id)
    return Candidate(FindingKind.zone_loss_high, f"meter:{n.id}", basis, monthly, n.rests_on_estimates, n.id, n.zone_id)


def zone_candidates(b: PeriodBalance, s: FindingSettings, earlier: list[PeriodBalance]) -> list[Candidate]:
    """Every master and check meter against what hangs under it; `earlier`: the months before, for a rise."""
    out = []
    for n in b.nodes:
        c = _node_candidate(b, n, s)
        if c is not None:
            out.append(c)
            continue
        if rising := _rising(b, n, s, earlier):
            out.append(rising)
    return out


def _rising(b: PeriodBalance, n: Node, s: FindingSettings, earlier: list[PeriodBalance]) -> Candidate | None:
    """The loss rate well above its average of the months before (each of them measured, not partial)."""
    before = [e.tree.node(n.id) for e in earlier]
    if not earlier or n.use <= 0 or any(p is None or p.use <= 0 for p in before) or any(e.starts for e in earlier):
        return None
    rates = [Fraction(p.loss, p.use) for p in before]  # type: ignore[union-attr]
    average = sum(rates, Fraction(0)) / len(rates)
    now = Fraction(n.loss, n.use)
    if now - average <= Fraction(Decimal(s.zone_loss_rising_fraction)):
        return None
    usual = sum(
        (Fraction(per_month(p.loss, e.period.days)) for p, e in zip(before, earlier, strict=True)), Fraction(0)
    ) / len(before)  # type: ignore[union-attr]
    extra = per_month(n.loss, b.period.days) - int(usual)
    if extra < min_volume(s, b.utility.value) * MILLI:
        return None
    basis = {
        "serial": n.serial,
        "zone": b.tree.zones.get(n.zone_id, "") if n.zone_id else "",
        "pct": f"{float(now) * 100:.1f}",
        "before_pct": f"{float(average) * 100:.1f}",
        "months": len(earlier),
        "loss": _m(n.loss),
    }
    return Candidate(FindingKind.zone_loss_rising, f"meter:{n.id}", basis, extra, True, n.id, n.zone_id)


# The utility's bills against the compound's own reading


def bill_candidates(b: PeriodBalance) -> list[Candidate]:
    tolerance = Decimal(b.settings.utility_tolerance_fraction)
    out = []
    for m in b.masters:
        for check in m.bills:
            bill = check.bill
            if not (b.period.start <= bill.period_start_date < b.period.end) or not check.beyond(tolerance):
                continue
            days = (bill.period_end_date - bill.period_start_date).days + 1
            diff = check.difference_milli() or 0
            basis = {
                "serial": m.node.serial,
                "start": bill.period_start_date.isoformat(),
                "end": bill.period_end_date.isoformat(),
                "billed": _m(bill.quantity_milli),
                "own": _m(check.own_milli or 0),
                "pct": str(check.difference_pct()),
                "tolerance": f"{tolerance * 100:.1f}",
            }
            monthly = per_month(abs(diff), days)
            out.append(
                Candidate(
                    FindingKind.utility_disagrees,
                    f"bill:{bill.id}",
                    basis,
                    monthly,
                    check.own_estimated,
                    m.node.id,
                    m.node.zone_id,
                )
            )
    return out


# Night-flow tests pointing to leakage


def night_candidates(session: Session, b: PeriodBalance, s: FindingSettings) -> list[Candidate]:
    if b.utility.value != "water":
        return []
    bs = b.settings
    tests = session.execute(
        sa.select(NightFlowTest).where(
            NightFlowTest.compound_id == b.compound.id,
            NightFlowTest.test_date >= b.period.start,
            NightFlowTest.test_date < b.period.end,
        )
    ).scalars()
    factor = night_day_factor(bs)
    out = []
    for test in tests:
        meter = session.get(Meter, test.meter_id)
        readings = load_readings(session, compound=b.compound, test=test)
        points = [nf.MeterReading(at, Decimal(v * meter.multiplier).scaleb(-3)) for at, v in readings]
        try:
            e = nf.estimate_leakage(
                points,
                allowances=balance_settings.allowances(bs),
                night_day_factor=factor.hours,
                window=balance_settings.night_window(bs),
            )
        except nf.NightFlowError:
            continue
        if e.daily_leakage <= Decimal(s.night_leak_per_day):
            continue
        basis = {
            "serial": meter.serial,
            "date": test.test_date.isoformat(),
            "minimum": f"{e.minimum.rate:.3f}",
            "legitimate": f"{e.legitimate_use:.3f}",
            "factor": f"{e.night_day_factor:.1f}",
            "daily": f"{e.daily_leakage:.3f}",
            "limit": f"{Decimal(s.night_leak_per_day):.3f}",
        }
        monthly = int(e.daily_leakage * MILLI * Decimal(MONTH_DAYS.numerator) / Decimal(MONTH_DAYS.denominator))
        out.append(
            Candidate(FindingKind.night_flow_leak, f"meter:{meter.id}", basis, monthly, True, meter.id, meter.zone_id)
        )
    return out


# Billing meters: stopped or tampered (use near zero, the account occupied), broken seals


def _local_window(compound: Compound, start: date, end: date) -> Window:
    tz = clock.tz_of(compound)
    return Window(datetime.combine(start, time(), tzinfo=tz), datetime.combine(end, time(), tzinfo=tz))


def _uses(session: Session, compound: Compound, utility: str, start: date, end: date) -> dict[int, int]:
    use = meter_use(
        compound_id=compound.id,
        window=_local_window(compound, start, end),
        dialect=session.get_bind().dialect.name,
        utility=utility,
    )
    return {mid: int(u) for mid, u in session.execute(sa.select(use.c.meter_id, use.c.use_milli)).all()}


def _occupied_billing_meters(
    session: Session, compound: Compound, utility: str, start: date, end: date, history_start: date
) -> list[tuple[int, str, int | None, int | None]]:
    """(id, serial, zone, building) of billing meters in service, installed before the history began, their account
    occupied the whole period (an office always; a household moved in before and not out)."""
    m, a = Meter.__table__.c, Account.__table__.c
    occupied = sa.or_(
        a.kind == AccountKind.office.value,
        sa.and_(
            sa.or_(a.move_in_date.is_(None), a.move_in_date <= history_start),
            sa.or_(a.move_out_date.is_(None), a.move_out_date >= end),
        ),
    )
    rows = session.execute(
        sa.select(m.id, m.serial, m.zone_id, m.building_id)
        .select_from(
            Meter.__table__.join(Account.__table__, sa.and_(a.compound_id == m.compound_id, a.id == m.account_id))
        )
        .where(
            m.compound_id == compound.id,
            m.utility == utility,
            m.role == MeterRole.billing.value,
            # In service all the period (a meter since removed was in service until its removal).
            sa.or_(m.status == MeterStatus.active.value, m.removed_date >= end),
            sa.or_(m.installed_date.is_(None), m.installed_date <= history_start),
            occupied,
        )
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def stopped_candidates(session: Session, b: PeriodBalance, s: FindingSettings) -> list[Candidate]:
    """Billing meters whose use fell below the set share of their own average, while their account is occupied."""
    start, end, utility = b.period.start, b.period.end, b.utility.value
    history_start = start - timedelta(days=int(s.stopped_history_days))
    meters = _occupied_billing_meters(session, b.compound, utility, start, end, history_start)
    if not meters:
        return []
    now = _uses(session, b.compound, utility, start, end)
    before = _uses(session, b.compound, utility, history_start, start)
    # A meter stopped for some weeks already has them in its history: the window before that one says what it
    # used while it still ran.
    earlier = _uses(session, b.compound, utility, history_start - (start - history_start), history_start)
    floor = min_volume(s, utility) * MILLI
    out = []
    for meter_id, serial, zone_id, building_id in meters:
        usual = max(before.get(meter_id, 0), earlier.get(meter_id, 0))
        expected = Fraction(usual, int(s.stopped_history_days)) * b.period.days
        used = now.get(meter_id, 0)
        if expected <= 0 or used > Fraction(Decimal(s.stopped_fraction)) * expected:
            continue
        missing = per_month(expected - used, b.period.days)
        if missing < floor:
            continue
        basis = {
            "serial": serial,
            "used": _m(used),
            "expected": _m(expected),
            "days": int(s.stopped_history_days),
            "limit": f"{Decimal(s.stopped_fraction) * 100:.0f}",
        }
        out.append(
            Candidate(
                FindingKind.stopped_meter, f"meter:{meter_id}", basis, missing, True, meter_id, zone_id, building_id
            )
        )
    return out


def seal_candidates(session: Session, b: PeriodBalance, s: FindingSettings) -> list[Candidate]:
    """Seals found broken in the period: the set share of the meter's use is taken to be at risk (an estimate)."""
    seal, m = Seal.__table__.c, Meter.__table__.c
    rows = session.execute(
        sa.select(seal.id, seal.number, seal.broken_date, seal.broken_note, m.id, m.serial, m.zone_id, m.building_id)
        .select_from(
            Seal.__table__.join(Meter.__table__, sa.and_(m.compound_id == seal.compound_id, m.id == seal.meter_id))
        )
        .where(
            seal.compound_id == b.compound.id,
            m.utility == b.utility.value,
            seal.broken_date >= b.period.start,
            seal.broken_date < b.period.end,
        )
    ).all()
    if not rows:
        return []
    year_before = b.period.start - timedelta(days=365)
    uses = _uses(session, b.compound, b.utility.value, year_before, b.period.start)
    out = []
    for seal_id, number, broken, note, meter_id, serial, zone_id, building_id in rows:
        at_risk = per_month(Fraction(uses.get(meter_id, 0)) * Fraction(Decimal(s.seal_risk_fraction)), 365)
        basis = {
            "serial": serial,
            "number": number,
            "date": broken.isoformat(),
            "note": note or "",
            "share": f"{Decimal(s.seal_risk_fraction) * 100:.0f}",
            "use": _m(per_month(uses.get(meter_id, 0), 365)),
        }
        out.append(
            Candidate(FindingKind.broken_seal, f"seal:{seal_id}", basis, at_risk, True, meter_id, zone_id, building_id)
        )
    return out
