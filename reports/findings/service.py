"""Findings: raised by the system after a period (idempotent), or by hand; dismissed with a reason.

    raise_period(session, compound=c, period=parse_period("2025-06"))

One finding stands for one thing (its kind and subject) while it is open: raising a later period in which it is
still there carries it forward (its figures and period become the later ones), raising the same period again
changes nothing but its figures, and an earlier period leaves it alone. A dismissed finding is not raised again;
a resolved one (its work order done) is raised anew only for a period that begins after the work was done.
"""

import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import clock, lookups
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Utility
from reports.balance.service import PeriodBalance, period_balance
from reports.findings import detect
from reports.findings.models import Finding, FindingKind, FindingStatus, OrderStatus, WorkOrder
from reports.findings.orders import check_place
from reports.findings.settings import get_settings
from reports.findings.worth import Cost, cost_per_unit
from reports.periods import Period, add_months, month

RISING_MONTHS = 3


@dataclass
class RaiseResult:
    period: Period
    raised: list[Finding] = field(default_factory=list)  # new
    updated: list[Finding] = field(default_factory=list)  # found again: figures brought up to date
    skipped: int = 0  # dismissed, or resolved after this period

    @property
    def counts(self) -> dict[str, int]:
        return {"raised": len(self.raised), "updated": len(self.updated), "skipped": self.skipped}


class Balances:
    """Period balances computed once per raise (a rise compares a month with the three before it)."""

    def __init__(self, session: Session, compound: Compound):
        self.session, self.compound, self.cache = session, compound, {}

    def get(self, utility: Utility, period: Period, *, summary: bool = True) -> PeriodBalance:
        key = (utility, period.label, summary)
        if summary and (utility, period.label, False) in self.cache:
            return self.cache[(utility, period.label, False)]  # the full balance holds the summary's figures
        if key not in self.cache:
            self.cache[key] = period_balance(
                self.session, compound=self.compound, utility=utility, period=period, summary=summary
            )
        return self.cache[key]


def candidates(session: Session, balances: Balances, utility: Utility, period: Period) -> list[detect.Candidate]:
    """Every detector over one utility's balance of the period."""
    s = get_settings(session, compound=balances.compound)
    b = balances.get(utility, period, summary=False)
    earlier = []
    if period.is_month:
        earlier = [balances.get(utility, month(add_months(period.start, -k))) for k in range(RISING_MONTHS, 0, -1)]
    return [
        *detect.zone_candidates(b, s, earlier),
        *detect.bill_candidates(b),
        *detect.night_candidates(session, b, s),
        *detect.stopped_candidates(session, b, s),
        *detect.seal_candidates(session, b, s),
    ]


def raise_period(
    session: Session, *, compound: Compound, period: Period, balances: Balances | None = None
) -> RaiseResult:
    """Raise (or bring up to date) the findings of every utility for the period. Flushes, never commits."""
    balances = balances or Balances(session, compound)
    result = RaiseResult(period)
    for utility in Utility:
        cost = cost_per_unit(session, compound=compound, utility=utility.value, start=period.start, end=period.end)
        for c in candidates(session, balances, utility, period):
            _upsert(session, compound, period, utility, c, cost, result)
    session.flush()
    return result


def _same(session: Session, compound: Compound, kind: FindingKind, subject: str) -> list[Finding]:
    return list(
        session.execute(
            sa.select(Finding)
            .where(Finding.compound_id == compound.id, Finding.kind == kind.value, Finding.subject == subject)
            .order_by(Finding.period_start_date.desc(), Finding.id.desc())
        ).scalars()
    )


def _done_after(session: Session, compound: Compound, finding: Finding) -> date | None:
    """When the work that resolved the finding was done: its own order, or one on its meter that resolves its kind."""
    from reports.findings.orders import RESOLVES

    w = WorkOrder.__table__.c
    kinds = sorted(k.value for k, resolved in RESOLVES.items() if str(finding.kind) in resolved)
    mine = w.finding_id == finding.id
    if finding.meter_id is not None and kinds:
        mine = sa.or_(mine, sa.and_(w.meter_id == finding.meter_id, w.kind.in_(kinds)))
    return session.execute(
        sa.select(sa.func.max(w.done_date)).where(
            w.compound_id == compound.id, w.status == OrderStatus.done.value, mine
        )
    ).scalar_one_or_none()


def _upsert(
    session: Session,
    compound: Compound,
    period: Period,
    utility: Utility,
    c: detect.Candidate,
    cost: Cost,
    result: RaiseResult,
) -> None:
    same = _same(session, compound, c.kind, c.subject)
    if any(f.status == FindingStatus.dismissed for f in same):
        result.skipped += 1
        return
    current = next((f for f in same if f.status == FindingStatus.open), None)
    if current is not None:
        if current.period_start_date is not None and current.period_start_date > period.start:
            result.skipped += 1  # already carried past this period
            return
        _fill(current, period, c, cost)
        session.add(current)
        result.updated.append(current)
        return
    for f in same:  # resolved: anew only after the work was done
        done = _done_after(session, compound, f)
        if f.period_label == period.label or done is None or period.start < done:
            result.skipped += 1
            return
    row = Finding(compound_id=compound.id, kind=c.kind, subject=c.subject, utility=utility.value)
    c.basis.setdefault("since", period.label)
    _fill(row, period, c, cost)
    session.add(row)
    result.raised.append(row)


def _fill(row: Finding, period: Period, c: detect.Candidate, cost: Cost) -> None:
    since = json.loads(row.basis).get("since") if row.basis and row.id else None
    basis = dict(c.basis)
    basis["since"] = since or basis.get("since") or period.label
    row.period_label, row.period_start_date, row.period_end_date = period.label, period.start, period.end
    row.meter_id, row.zone_id, row.building_id = c.meter_id, c.zone_id, c.building_id
    row.basis = json.dumps(basis, ensure_ascii=False, sort_keys=True)
    row.volume_milli_per_month = c.volume_milli_per_month
    row.cost_per_unit = cost.per_unit
    row.value_fen_per_month = cost.fen(c.volume_milli_per_month)
    row.estimated = c.estimated or cost.estimated


# By hand, and dismissing


def raise_by_hand(session: Session, *, compound: Compound, data: Any, by: str) -> Finding:
    """A finding a person raises: what it is, where, what it rests on and (if known) its worth per month."""
    if not data.note.strip():
        raise InvalidInput(_("Say what the finding is based on."), field="note")
    check_place(session, compound, data)  # a place of another compound, or none, is refused, not a broken key
    today = clock.today(compound)
    span = month(today)
    milli = None if data.volume_per_month is None else int(data.volume_per_month.scaleb(3))
    cost = cost_per_unit(session, compound=compound, utility=data.utility, start=span.start, end=span.end)
    row = Finding(
        compound_id=compound.id,
        kind=FindingKind(data.kind),
        utility=data.utility,
        subject=f"hand:{secrets.token_hex(8)}",
        period_label=span.label,
        period_start_date=span.start,
        period_end_date=span.end,
        meter_id=data.meter_id,
        zone_id=data.zone_id,
        building_id=data.building_id,
        basis=json.dumps({"since": span.label}),
        note=data.note.strip(),
        volume_milli_per_month=milli,
        cost_per_unit=cost.per_unit,
        value_fen_per_month=cost.fen(milli),
        estimated=milli is not None,
        raised_by=by,
    )
    session.add(row)
    session.flush()
    return row


def get_finding(session: Session, *, compound: Compound, finding_id: int, for_update: bool = False) -> Finding:
    return lookups.get_or_raise(
        session,
        Finding,
        compound_id=compound.id,
        id=finding_id,
        message=_("No such finding."),
        field="finding_id",
        for_update=for_update,
    )


def dismiss(session: Session, *, compound: Compound, finding: Finding, reason: str, by: str) -> Finding:
    """An open finding set aside, saying why; it is not raised again."""
    if not reason.strip():
        raise InvalidInput(_("Say why the finding is dismissed."), field="reason")
    if finding.status != FindingStatus.open:
        raise Conflict(_("Only an open finding can be dismissed."), field="status")
    finding.status = FindingStatus.dismissed
    finding.dismissed_reason, finding.dismissed_by, finding.dismissed_at = reason.strip(), by, clock.now()
    session.add(finding)
    session.flush()
    return finding


def list_findings(
    session: Session, *, compound: Compound, status: str | None = None, limit: int = 200
) -> list[Finding]:
    """The compound's findings, the most valuable first (volume where no yuan are known)."""
    q = sa.select(Finding).where(Finding.compound_id == compound.id)
    if status:
        q = q.where(Finding.status == status)
    value = sa.func.coalesce(Finding.value_fen_per_month, -1)
    volume = sa.func.coalesce(Finding.volume_milli_per_month, -1)
    return list(session.execute(q.order_by(value.desc(), volume.desc(), Finding.id.desc()).limit(limit)).scalars())
