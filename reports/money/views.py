"""What the money pages, chart endpoints and the report share: choosing the period, building each chart."""

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from billing.ledger.ageing import BUCKETS, AgeBy
from billing.ledger.ageing import ageing as ledger_ageing
from compound.kit.errors import InvalidInput
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.register.models import Compound
from meters.models import Utility
from reports import charts as balance_charts
from reports.balance.service import default_period, monthly_series
from reports.money import charts, series
from reports.money.events import maintenance_events
from reports.money.labels import utility_label
from reports.money.service import compound_money, period_money
from reports.periods import Period, months_ending, parse_period

CHARTS = {
    "waterfall": N_("From charges to collections"),
    "causes": N_("The causes, month by month"),
    "loss-events": N_("Loss rate and maintenance"),
    "collection": N_("Collection efficiency"),
    "ageing": N_("Arrears by age"),
    "unfunded": N_("Official use awaiting the finance bureau"),
}
FORMATS = ("png", "svg", "csv")
# Charts drawn for one utility, or both together; the others are the compound's whole money.
BY_UTILITY = {"waterfall": ("water", "electricity", "combined"), "causes": ("water", "electricity", "combined"),
              "loss-events": ("water", "electricity")}  # fmt: skip


def choose(session: Session, compound: Compound, period: str) -> Period:
    """The month asked for; the latest month the water master's readings cover when none is."""
    return parse_period(period) if period else default_period(session, compound=compound, utility=Utility.water)


def utility_for(name: str, utility: str) -> str:
    allowed = BY_UTILITY.get(name, ("combined",))
    if not utility:
        return allowed[-1] if name != "loss-events" else "water"
    if utility not in allowed:
        raise InvalidInput(
            _("This chart is drawn for %(allowed)s, not “%(text)s”.", allowed=", ".join(allowed), text=utility),
            field="utility",
        )
    return utility


def title(compound: Compound, period: Period, name: str, utility: str) -> str:
    return f"{compound.name} · {utility_label(utility)} · {period.label} · {_(CHARTS[name])}"


def chart(session: Session, compound: Compound, name: str, period: Period, utility: str) -> charts.Chart:
    """One money chart of the period (24 months ending with it for the trends)."""
    heading = title(compound, period, name, utility)
    if name == "waterfall":
        if utility == "combined":
            w = compound_money(session, compound=compound, period=period).combined
        else:
            w = period_money(session, compound=compound, utility=Utility(utility), period=period).waterfall
        return charts.waterfall(w, title=heading)
    if name == "causes":
        return charts.causes_trend(
            series.trend(session, compound=compound, utility=utility, last=period), title=heading
        )
    if name == "loss-events":
        return _loss_events(session, compound, period, Utility(utility), heading)
    if name == "collection":
        months = series.trend(session, compound=compound, utility="combined", last=period)
        points = [(m, _pct(w.own_collection_efficiency), _pct(w.efficiencies.collection_efficiency)) for m, w in months]
        classes = [(class_label(c), pct) for c, pct in series.collection_by_class(session, compound=compound,
                                                                                   period=period)]  # fmt: skip
        return charts.collection(points, classes, title=heading)
    if name == "ageing":
        rows = ledger_ageing(session, compound=compound, as_of=period.end - timedelta(days=1), by=AgeBy.customer_class)
        groups = [(r.name or class_label(""), r.buckets) for r in rows]
        return charts.ageing([label for label, _days in BUCKETS], groups, title=heading)
    return charts.unfunded(series.unfunded_months(session, compound=compound, last=period), title=heading)


def _pct(fraction: Decimal | None) -> Decimal | None:
    return None if fraction is None else fraction * 100


def class_label(code: str) -> str:
    return _("Official use (finance bureau)") if code == "official_use" else (code or _("No class"))


def _loss_events(session: Session, compound: Compound, period: Period, utility: Utility, heading: str) -> charts.Chart:
    months = monthly_series(session, compound=compound, utility=utility, last=period)
    points = [
        balance_charts.MonthPoint(m.period.label, m.total["system_input"], m.total["non_revenue"],
                                  m.total["real_losses"], m.estimated, m.partial)
        for m in months
    ]  # fmt: skip
    first = months_ending(period, 24)[0]
    events = maintenance_events(session, compound=compound, utility=utility, start=first.start, end=period.end)
    return charts.loss_rate_events(points, events, utility=utility.value, title=heading)
