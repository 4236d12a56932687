"""The printable monthly report for the leadership: a short written summary and the charts, on A4.

    html = report_html(session, compound=c, period=parse_period("2026-10"))     (in the current language)

One self-contained HTML document (the charts inline as SVG, the styles inside): it prints on A4 from any browser
and can be mailed as a file. The summary says the water loss rate and its change from last month, the three
largest causes in yuan, what was collected of the arrears and what the finance bureau still owes.
"""

import base64
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from fontTools import subset
from fontTools.ttLib import TTFont
from markupsafe import Markup
from sqlmodel import Session

from compound.kit import clock, i18n
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.web import env
from compound.register.models import Compound
from meters.models import Utility
from reports import charts as balance_charts
from reports.balance.service import monthly_series
from reports.charts import FONT_FILE
from reports.formulas.numbers import ZERO, ratio
from reports.money import charts, series
from reports.money.events import maintenance_events
from reports.money.labels import cause_label, total_label, utility_label
from reports.money.service import CompoundMoney, compound_money
from reports.money.views import CHARTS, class_label
from reports.money.waterfall import Waterfall
from reports.periods import Period, add_months, month, months_ending


@dataclass
class ReportFigures:
    period: Period
    this: CompoundMoney
    last: CompoundMoney
    water_loss: Decimal | None
    water_loss_last: Decimal | None
    largest: list[tuple[str, Decimal, bool]]
    arrears: Decimal
    bureau_owes: Decimal


def _loss(m: CompoundMoney) -> Decimal | None:
    t = m.water.balance.total
    return None if not t["system_input"] else ratio(t["non_revenue"] * 100, t["system_input"])


def figures(session: Session, *, compound: Compound, period: Period) -> ReportFigures:
    this = compound_money(session, compound=compound, period=period)
    last = compound_money(session, compound=compound, period=month(add_months(period.start, -1)))
    w = this.combined
    largest = sorted((b for b in w.causes if b.amount > 0), key=lambda b: -b.amount)[:3]
    owed = series.unfunded_months(session, compound=compound, last=period, months=1)
    return ReportFigures(
        period=period,
        this=this,
        last=last,
        water_loss=_loss(this),
        water_loss_last=_loss(last),
        largest=[(b.code, b.amount, b.estimated) for b in largest],
        arrears=w.collected_arrears,
        bureau_owes=owed[0][1] if owed else ZERO,
    )


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _pp(value: Decimal) -> str:
    return f"{value:.2f}"


HIGHER = N_("The water loss rate is %(rate)s %%, %(change)s percentage points higher than last month.")
LOWER = N_("The water loss rate is %(rate)s %%, %(change)s percentage points lower than last month.")


def summary(f: ReportFigures) -> list[str]:
    """The written summary, sentence by sentence, in the current language."""
    w = f.this.combined
    out = [
        _(
            "%(compound_period)s: the utilities charged %(charges)s yuan; %(billed)s yuan was billed and %(collected)s "
            "yuan of it collected.",
            compound_period=f.period.label,
            charges=_yuan(w.utility_charges),
            billed=_yuan(w.billed),
            collected=_yuan(w.collected),
        ),  # fmt: skip
    ]
    if f.water_loss is None:
        out.append(_("The water master meter has no input this month: no loss rate."))
    elif f.water_loss_last is None:
        out.append(_("The water loss rate is %(rate)s %%.", rate=_pp(f.water_loss)))
    else:
        change = f.water_loss - f.water_loss_last
        key = HIGHER if change > 0 else LOWER
        out.append(_(key, rate=_pp(f.water_loss), change=_pp(abs(change))))
    if f.largest:
        parts = [
            _("%(cause)s %(amount)s yuan", cause=cause_label(code), amount=_yuan(amount))
            + (_(" (estimated)") if estimated else "")
            for code, amount, estimated in f.largest
        ]
        out.append(_("The largest causes of the difference: %(causes)s.", causes=_("; ").join(parts)))
    out.append(_("Arrears of earlier months collected: %(arrears)s yuan.", arrears=_yuan(f.arrears)))
    out.append(_("The finance bureau still owes %(owed)s yuan for the official use of the leading bodies.",
                 owed=_yuan(f.bureau_owes)))  # fmt: skip
    return out


def _svg(chart: charts.Chart) -> Markup:
    body, _media = balance_charts.render(chart, "svg")
    text = body.decode("utf-8")
    return Markup(text[text.index("<svg") :])  # noqa: S704 - matplotlib's own SVG, no user text unescaped


def _charts(session: Session, compound: Compound, f: ReportFigures) -> list[tuple[str, Markup]]:
    period = f.period
    trend = series.trend(session, compound=compound, utility="combined", last=period, months=12)
    water = monthly_series(session, compound=compound, utility=Utility.water, last=period, months=12)
    points = [
        balance_charts.MonthPoint(m.period.label, m.total["system_input"], m.total["non_revenue"],
                                  m.total["real_losses"], m.estimated, m.partial)
        for m in water
    ]  # fmt: skip
    first = months_ending(period, 12)[0]
    events = maintenance_events(session, compound=compound, utility=Utility.water, start=first.start, end=period.end)
    collection = [(m, _pct(w.own_collection_efficiency), _pct(w.efficiencies.collection_efficiency)) for m, w in trend]
    return [
        (_(CHARTS["waterfall"]), _svg(charts.waterfall(f.this.combined))),
        (_(CHARTS["causes"]), _svg(charts.causes_trend(trend))),
        (
            _(CHARTS["loss-events"]) + " · " + utility_label("water"),
            _svg(charts.loss_rate_events(points, events, utility="water")),
        ),  # fmt: skip
        (_(CHARTS["collection"]), _svg(charts.collection(collection, collection_classes(session, compound, period)))),
        (
            _(CHARTS["unfunded"]),
            _svg(charts.unfunded(series.unfunded_months(session, compound=compound, last=period, months=12))),
        ),  # fmt: skip
    ]


def collection_classes(session: Session, compound: Compound, period: Period) -> list[tuple[str, Decimal | None]]:
    return [(class_label(c), pct) for c, pct in series.collection_by_class(session, compound=compound, period=period)]


def _pct(fraction: Decimal | None) -> Decimal | None:
    return None if fraction is None else fraction * 100


def _rows(w: Waterfall) -> list[tuple[str, Decimal, bool]]:
    return [(cause_label(b.code), b.amount, b.estimated) for b in w.causes]


def report_html(session: Session, *, compound: Compound, period: Period) -> str:
    """The whole report as one HTML document, in the current language."""
    f = figures(session, compound=compound, period=period)
    context: dict[str, Any] = {
        "compound": compound,
        "period": period,
        "f": f,
        "summary": summary(f),
        "charts": _charts(session, compound, f),
        "ws": (f.this.water.waterfall, f.this.electricity.waterfall, f.this.combined),
        "yuan": _yuan,
        "cause_label": cause_label,
        "total_label": total_label,
        "utility_label": utility_label,
        "made": clock.local_date(clock.now(), clock.tz_of(compound)),
        "last_day": period.end - timedelta(days=1),
        "locale": i18n.get_locale(),
        "font_face": "",
    }
    template = env.get_template("reports/money/report.html")
    # The text is drawn in a subset of the charts' CJK font carried inside the file, so a reader's machine without
    # Chinese fonts prints it right too.
    context["font_face"] = font_face(template.render(**context))
    return template.render(**context)


def font_face(text: str) -> Markup:
    """An @font-face rule with the CJK font cut down to the characters of `text` (a few hundred kB at most)."""
    wanted = {ord(ch) for ch in text if ord(ch) > 0x2000}
    if not wanted:
        return Markup("")
    font = TTFont(str(FONT_FILE), lazy=False)
    options = subset.Options()
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted | set(range(0x20, 0x7F)))
    subsetter.subset(font)
    buf = BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return Markup(
        f'@font-face {{ font-family: "CompoundReport"; src: url(data:font/otf;base64,{data}) format("opentype"); }}'
    )
