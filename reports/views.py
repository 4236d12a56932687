"""What the balance pages, the chart endpoints and the API share: reading the query, building the charts."""

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from compound.kit.errors import InvalidInput
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.labels import label
from meters.models import Utility
from reports import charts
from reports.balance.components import vol
from reports.balance.output import zone_rows
from reports.balance.service import PeriodBalance, default_period, monthly_series, period_balance
from reports.periods import Period, parse_period

CHARTS = ("iwa", "flow", "loss-rate", "zones")
FORMATS = ("png", "svg", "csv")
USE_LABELS = {
    "billed_metered": N_("Billed metered"),
    "billed_unmetered": N_("Billed unmetered"),
    "unbilled_metered": N_("Unbilled metered"),
    "unbilled_unmetered": N_("Unbilled unmetered"),
    "apparent_losses": N_("Apparent losses"),
    "real_losses": N_("Real losses"),
}
ELECTRICITY_USE_LABELS = {
    **USE_LABELS,
    "unbilled_metered": N_("Own use and metered lighting"),
    "unbilled_unmetered": N_("Lamps and other unmetered use"),
    "apparent_losses": N_("Unexplained"),
    "real_losses": N_("Technical losses"),
}


def utility_of(text: str) -> Utility:
    if text not in ("water", "electricity"):
        raise InvalidInput(_("The utility is water or electricity, not “%(text)s”.", text=text), field="utility")
    return Utility(text)


def choose(session: Session, compound: Compound, period: str, utility: str) -> tuple[Period, Utility]:
    """The period and utility a page or chart asks for; the latest covered month when no period is given."""
    chosen = utility_of(utility or "water")
    span = parse_period(period) if period else default_period(session, compound=compound, utility=chosen)
    return span, chosen


def title(compound: Compound, utility: Utility, period: Period, what: str) -> str:
    return f"{compound.name} · {label(utility)} · {period.label} · {what}"


def use_parts(b: PeriodBalance) -> list[tuple[str, Decimal, bool]]:
    labels = USE_LABELS if b.utility is Utility.water else ELECTRICITY_USE_LABELS
    parts = []
    for key, text in labels.items():
        value = b.total[key]
        if value > 0:
            parts.append((_(text), value, key in b.total.estimated))
    return parts


def zone_parts(b: PeriodBalance) -> list[tuple[str, Decimal, bool]]:
    """Where the input went, by zone (its use and its losses), the unplaced losses, and what is in no zone."""
    parts: list[tuple[str, Decimal, bool]] = []
    for z in b.placement.zones.values():
        if z.input > 0:
            estimated = not z.separately_metered or z.estimated_share != 0
            parts.append((z.name, vol(z.input), estimated))
    if b.placement.unplaced > 0:
        parts.append((_("Losses not placed in a zone"), vol(b.placement.unplaced), True))
    rest = b.total["system_input"] - sum((p[1] for p in parts), Decimal(0))
    if rest > 0:
        parts.append((_("In no zone"), rest, False))
    return parts


def chart(session: Session, compound: Compound, name: str, period: Period, utility: Utility) -> charts.Chart:
    if name == "loss-rate":
        series = monthly_series(session, compound=compound, utility=utility, last=period)
        points = [
            charts.MonthPoint(m.period.label, m.total["system_input"], m.total["non_revenue"],
                              m.total["real_losses"], m.estimated, m.partial)
            for m in series
        ]  # fmt: skip
        return charts.loss_rate(points, utility=utility.value, title=title(compound, utility, period, _("Loss rate")),
                                events=_events(session, compound, series, utility))  # fmt: skip
    b = period_balance(session, compound=compound, utility=utility, period=period)
    if name == "iwa":
        what = _("Water balance") if utility is Utility.water else _("Electricity balance")
        return charts.iwa_table(
            b.total.figures, b.total.estimated, utility=utility.value, title=title(compound, utility, period, what)
        )
    if name == "flow":
        return charts.flow(
            system_input=b.total["system_input"],
            zones=zone_parts(b),
            uses=use_parts(b),
            utility=utility.value,
            title=title(compound, utility, period, _("Where it went")),
        )
    return charts.zones_ranked(
        zone_rows(b), utility=utility.value, title=title(compound, utility, period, _("Zones by loss"))
    )


def _events(session: Session, compound: Compound, series: list, utility: Utility) -> list[charts.Annotation]:
    """The work orders done over the chart's months (a leak repaired, meters sealed, a meter replaced)."""
    from reports.findings.events import events

    if not series:
        return []
    found = events(session, compound.id, series[0].period.start, series[-1].period.end, utility=utility.value)
    return [charts.Annotation(f"{e.on:%Y-%m}", e.label, e.on.isoformat()) for e in found]


def page_context(b: PeriodBalance) -> dict[str, Any]:
    rows = zone_rows(b)
    by_pct = sorted([r for r in rows if r["loss_pct"] is not None], key=lambda r: (-Decimal(r["loss_pct"]), r["code"]))
    return {"zones_by_volume": rows, "zones_by_pct": by_pct}
