"""Maintenance events for the loss-rate chart: the work orders done (reports/findings: a leak repaired, meters
sealed, ...) and what the meter register itself records (seals, replacements, master and check meters installed).

Several of one kind on one day are one event ("12 meters sealed"). A day and kind that a done work order already
names is not named again from the register.
"""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Meter, MeterRole, Seal, Utility
from reports.findings.events import events as findings_events
from reports.money.charts import Event

LABELS = {
    "meters_sealed": (N_("Meter sealed"), N_("%(n)s meters sealed")),
    "meter_replaced": (N_("Meter replaced"), N_("%(n)s meters replaced")),
    "meter_installed": (N_("Master or check meter installed"), N_("%(n)s master or check meters installed")),
}


def _label(kind: str, n: int) -> str:
    one, many = LABELS[kind]
    return _(one) if n == 1 else _(many, n=n)


def maintenance_events(
    session: Session, *, compound: Compound, utility: Utility, start: date, end: date
) -> list[Event]:
    """The register's events of the utility's meters with a date in [start, end), oldest first."""
    m, s = Meter.__table__.c, Seal.__table__.c
    mine = sa.and_(m.compound_id == compound.id, m.utility == utility.value)
    counts: dict[tuple[date, str], int] = {}
    sealed = (
        sa.select(s.sealed_date, sa.func.count())
        .select_from(Seal.__table__.join(Meter.__table__, sa.and_(m.compound_id == s.compound_id, m.id == s.meter_id)))
        .where(mine, s.sealed_date >= start, s.sealed_date < end)
        .group_by(s.sealed_date)
    )
    for day, n in session.execute(sealed).all():
        counts[(day, "meters_sealed")] = n
    kind = sa.case((m.replaces_id.is_not(None), "meter_replaced"), else_="meter_installed")
    installed = (
        sa.select(m.installed_date, kind, sa.func.count())
        .where(
            mine,
            m.installed_date >= start,
            m.installed_date < end,
            sa.or_(m.replaces_id.is_not(None), m.role.in_((MeterRole.utility.value, MeterRole.check.value))),
        )
        .group_by(m.installed_date, kind)
    )
    for day, kind, n in session.execute(installed).all():
        counts[(day, kind)] = counts.get((day, kind), 0) + n
    out = [
        Event(month=f"{e.on:%Y-%m}", day=e.on.isoformat(), kind=e.kind, text=e.label)
        for e in findings_events(session, compound.id, start, end, utility=utility.value)
    ]
    done = {(e.day, e.kind) for e in out}
    out += [
        Event(month=f"{day:%Y-%m}", day=day.isoformat(), kind=kind, text=_label(kind, n))
        for (day, kind), n in sorted(counts.items())
        if (day.isoformat(), kind) not in done
    ]
    return sorted(out, key=lambda e: (e.day, e.kind))
