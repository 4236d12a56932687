"""Events for the loss-trend charts: the work orders done, by day and kind (a leak repaired, meters sealed, ...).

    events(session, compound_id, start, end)  →  [Event(on=date(2026, 1, 8), kind="leak_repaired", count=1, ...)]

Orders of one kind done on the same day are one event ("12 meters sealed").
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from reports.findings.models import OrderKind, OrderStatus, WorkOrder

EVENT_OF = {
    OrderKind.repair_leak: "leak_repaired",
    OrderKind.seal_meter: "meters_sealed",
    OrderKind.replace_meter: "meter_replaced",
    OrderKind.install_check_meter: "meter_installed",
    OrderKind.test_meter: "meter_tested",
    OrderKind.remove_unmetered_wiring: "wiring_removed",
    OrderKind.other: "other",
}
LABELS = {
    "leak_repaired": (N_("Leak repaired"), N_("%(n)s leaks repaired")),
    "meters_sealed": (N_("Meter sealed"), N_("%(n)s meters sealed")),
    "meter_replaced": (N_("Meter replaced"), N_("%(n)s meters replaced")),
    "meter_installed": (N_("Master or check meter installed"), N_("%(n)s master or check meters installed")),
    "meter_tested": (N_("Meter tested"), N_("%(n)s meters tested")),
    "wiring_removed": (N_("Unmetered wiring removed"), N_("%(n)s unmetered wirings removed")),
    "other": (N_("Work done"), N_("%(n)s jobs done")),
}


@dataclass
class Event:
    on: date
    kind: str
    count: int
    utility: str
    order_ids: list[int] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        one, many = LABELS[self.kind]
        return _(one) if self.count == 1 else _(many, n=self.count)


def events(session: Session, compound_id: int, start: date, end: date, *, utility: str | None = None) -> list[Event]:
    """Done work orders with a done date in [start, end), as chart events, oldest first."""
    w = WorkOrder.__table__.c
    q = sa.select(w.id, w.kind, w.done_date, w.utility, w.title).where(
        w.compound_id == compound_id, w.status == OrderStatus.done.value, w.done_date >= start, w.done_date < end
    )
    if utility:
        q = q.where(sa.or_(w.utility == utility, w.utility == ""))
    found: dict[tuple[date, str, str], Event] = {}
    for order_id, kind, on, u, title in session.execute(q.order_by(w.done_date, w.id)).all():
        key = (on, EVENT_OF[OrderKind(kind)], u)
        e = found.setdefault(key, Event(on, key[1], 0, u))
        e.count += 1
        e.order_ids.append(order_id)
        e.titles.append(title)
    return list(found.values())
