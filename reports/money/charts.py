"""Charts of the money view: matplotlib's object-oriented Figure API, PNG and SVG, each with its numbers as CSV.

They draw Chinese with the CJK font of the balance charts (reports/charts.py, shipped by mplfonts), hatch what rests
on an estimate, and take plain figures (yuan as Decimal), so a test can draw them without a database. Amounts
become floats only to be drawn; the CSV carries the exact decimal strings.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from matplotlib.figure import Figure

from compound.kit.i18n import gettext as _
from meters.readings.charts import font_family
from reports.charts import (
    ESTIMATED_EDGE,
    LOSS,
    MEASURED,
    PALETTE,
    Chart,
    MonthPoint,
    _empty,
    _legend,
    _style,
    _text,
    _yes,
    loss_rate,
)
from reports.money.labels import cause_label, total_label
from reports.money.waterfall import CODES, COLLECTION_CAUSES, Waterfall

GAIN = "#2e8b57"
ARREARS = "#7dcea0"
ZERO = Decimal(0)
CAUSE_COLORS = dict(zip(CODES, (*PALETTE, "#5d6d7e", "#d35400"), strict=True))


def yuan(value: Decimal) -> str:
    return f"{value:,.0f}"


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _yuan_axis(ax: Any) -> None:
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")


# The waterfall of a period


def waterfall(w: Waterfall, *, title: str = "") -> Chart:
    """Charges, the causes stepping down (or up), billed, the unpaid, collected; the arrears beside, apart."""
    fig = _figure(10.5, 4.8)
    rows = [["step", "code", "label", "amount", "estimated", "running_total"]]
    ax = fig.add_subplot()
    steps: list[tuple[str, str, Decimal, Decimal, bool, str]] = []  # code, label, bottom, height, estimated, kind
    running = w.utility_charges
    steps.append(("utility_charges", total_label("utility_charges"), ZERO, running, w.charges_estimated, "total"))
    rows.append(["total", "utility_charges", total_label("utility_charges"), str(running), _yes(w.charges_estimated),
                 str(running)])  # fmt: skip
    for bar in w.causes:
        if bar.code == COLLECTION_CAUSES[0]:
            steps.append(("billed", total_label("billed"), ZERO, w.billed, w.billed_estimated, "total"))
            rows.append(["total", "billed", total_label("billed"), str(w.billed), _yes(w.billed_estimated),
                         str(running)])  # fmt: skip
        after = running - bar.amount
        rows.append(["cause", bar.code, cause_label(bar.code), str(bar.amount), _yes(bar.estimated), str(after)])
        if bar.amount:
            steps.append((bar.code, cause_label(bar.code, short=True), min(running, after), abs(bar.amount),
                          bar.estimated, "loss" if bar.amount > 0 else "gain"))  # fmt: skip
        running = after
    steps.append(("collected", total_label("collected"), ZERO, w.collected, False, "total"))
    rows.append(["total", "collected", total_label("collected"), str(w.collected), "no", str(running)])
    steps.append(("collected_arrears", _("Arrears collected"), ZERO, w.collected_arrears, False, "arrears"))
    rows.append(["apart", "collected_arrears", total_label("collected_arrears"), str(w.collected_arrears), "no", ""])
    if not w.utility_charges and not w.billed:
        ax.remove()
        _empty(fig, _("No charges or bills in this period."))
        return Chart(fig, rows)
    colors = {"total": MEASURED, "loss": LOSS, "gain": GAIN, "arrears": ARREARS}
    top = max(float(max(s[2] + s[3] for s in steps)), 1.0)
    for x, (_code, _label, bottom, height, estimated, kind) in enumerate(steps):
        ax.bar(x + (0.35 if kind == "arrears" else 0), float(height), bottom=float(bottom), width=0.62,
               color=colors[kind], alpha=0.5 if estimated else 1.0, hatch="//" if estimated else None,
               edgecolor=ESTIMATED_EDGE if estimated else "white", linewidth=0.8)  # fmt: skip
        sign = "−" if kind == "loss" else ("+" if kind == "gain" else "")
        shown = f"{sign}{yuan(height)}" + ("*" if estimated else "")
        _text(ax, x + (0.35 if kind == "arrears" else 0), float(bottom + height) + top * 0.01, shown, ha="center",
              va="bottom", fontsize=7)  # fmt: skip
    ax.axvline(len(steps) - 1.5 + 0.2, color="#99a3a4", linestyle=":", linewidth=0.8)
    ax.set_xticks([x + (0.35 if s[5] == "arrears" else 0) for x, s in enumerate(steps)], [s[1] for s in steps],
                  rotation=30, ha="right")  # fmt: skip
    ax.set_ylim(0, top * 1.1)
    _yuan_axis(ax)
    _style(ax, title=title, ylabel=_("yuan"))
    if any(s[4] for s in steps):
        _text(ax, 0.99, 0.98, _("* hatched: rests on an estimate"), transform=ax.transAxes, ha="right", va="top",
              fontsize=7, color=ESTIMATED_EDGE)  # fmt: skip
    return Chart(fig, rows)


# The causes, month by month


def causes_trend(months: list[tuple[str, Waterfall]], *, title: str = "") -> Chart:
    """Each month's causes stacked (losses up, gains down) and charges − collected as a line through them."""
    fig = _figure(10.5, 4.6)
    rows = [["month", *CODES, "charges_minus_collected"]]
    for label, w in months:
        rows.append([label, *(str(w.amount(c)) for c in CODES), str(w.utility_charges - w.collected)])
    if not months:
        _empty(fig, _("No months to show."))
        return Chart(fig, rows)
    ax = fig.add_subplot()
    xs = list(range(len(months)))
    up = [0.0] * len(months)
    down = [0.0] * len(months)
    for code in CODES:
        values = [float(w.amount(code)) for _m, w in months]
        if not any(values):
            continue
        estimated = any(w.cause(code).estimated for _m, w in months)
        bottoms = [u if v >= 0 else d for v, u, d in zip(values, up, down, strict=True)]
        ax.bar(xs, values, bottom=bottoms, width=0.75, color=CAUSE_COLORS[code], hatch="//" if estimated else None,
               edgecolor="white", linewidth=0.4,
               label=cause_label(code, short=True) + (f" ({_('estimated')})" if estimated else ""))  # fmt: skip
        up = [u + max(v, 0) for u, v in zip(up, values, strict=True)]
        down = [d + min(v, 0) for d, v in zip(down, values, strict=True)]
    gap = [float(w.utility_charges - w.collected) for _m, w in months]
    ax.plot(xs, gap, color="black", marker="o", ms=3, linewidth=1, label=_("Charges − collected"))
    ax.axhline(0, color="#555", linewidth=0.6)
    step = max(1, -(-len(months) // 12))
    ax.set_xticks(xs[::step], [m for m, _w in months][::step], rotation=45, ha="right")
    _yuan_axis(ax)
    _style(ax, title=title, ylabel=_("yuan"))
    _legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return Chart(fig, rows)


# The loss rate with the maintenance events


@dataclass(frozen=True)
class Event:
    month: str  # 2025-03
    day: str  # 2025-03-14
    kind: str  # leak_repaired, meter_sealed, meter_replaced, master_installed, ...
    text: str  # in the reader's language


def loss_rate_events(points: list[MonthPoint], events: list[Event], *, utility: str, title: str = "") -> Chart:
    """The balance's loss-rate chart, each maintenance event a dashed line with its name at the top."""
    chart = loss_rate(points, utility=utility, title=title)
    chart.rows[0].append("events")
    index = {p.month: i for i, p in enumerate(points)}
    by_month: dict[str, list[Event]] = {}
    for e in events:
        if e.month in index:
            by_month.setdefault(e.month, []).append(e)
    for row in chart.rows[1:]:
        row.append("; ".join(f"{e.day} {e.text}" for e in by_month.get(row[0], [])))
    if not points or not chart.figure.axes:
        return chart
    ax = chart.figure.axes[0]
    for n, (month, happened) in enumerate(sorted(by_month.items())):
        x = index[month]
        ax.axvline(x, color="#6c3483", linestyle="--", linewidth=0.9)
        text = "\n".join(e.text for e in happened[:3]) + ("…" if len(happened) > 3 else "")
        box = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1}
        _text(ax, x + 0.1, 0.97 - 0.16 * (n % 3), text, transform=ax.get_xaxis_transform(), fontsize=7,
              va="top", color="#6c3483", bbox=box)  # fmt: skip
    return chart


# Collection efficiency by month and by class


def collection(
    months: list[tuple[str, Decimal | None, Decimal | None]],
    classes: list[tuple[str, Decimal | None]],
    *,
    title: str = "",
) -> Chart:
    """CE of each month's own bills and with the arrears it brought in (percent); beside it, CE by class."""
    fig = _figure(10.5, 4.0)
    rows = [["month_or_class", "collection_pct", "with_arrears_pct"]]
    rows += [[m, _p(a), _p(b)] for m, a, b in months]
    rows += [[c, _p(a), ""] for c, a in classes]
    if not months:
        _empty(fig, _("No months to show."))
        return Chart(fig, rows)
    ax, side = fig.subplots(1, 2, width_ratios=[3, 1.3])
    xs = list(range(len(months)))
    own = [float(a) if a is not None else float("nan") for _m, a, _b in months]
    cash = [float(b) if b is not None else float("nan") for _m, _a, b in months]
    ax.plot(xs, own, color=MEASURED, marker="o", ms=3, label=_("Of the month's own bills"))
    ax.plot(xs, cash, color=GAIN, marker="s", ms=3, linestyle="--", label=_("With the arrears collected"))
    ax.axhline(100, color="#99a3a4", linewidth=0.6)
    step = max(1, -(-len(months) // 12))
    ax.set_xticks(xs[::step], [m for m, _a, _b in months][::step], rotation=45, ha="right")
    _style(ax, title=title, ylabel="%")
    _legend(ax, loc="lower left")
    ys = list(range(len(classes)))[::-1]
    side.barh(ys, [float(a or 0) for _c, a in classes], color=PALETTE[1])
    for y, (_c, a) in zip(ys, classes, strict=True):
        _text(side, float(a or 0), y, f" {_p(a)}%", va="center", fontsize=7)
    side.set_yticks(ys, [c for c, _a in classes])
    side.set_xlim(0, 115)
    _style(side, title=_("By class"), xlabel="%")
    return Chart(fig, rows)


def _p(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


# Arrears ageing


def ageing(buckets: list[str], groups: list[tuple[str, list[Decimal]]], *, title: str = "") -> Chart:
    """What is owed by how long it has been owed, one bar per group (class or payer), the buckets stacked."""
    fig = _figure(9.0, 0.5 * max(3, len(groups)) + 1.4)
    rows = [["group", *buckets, "total"]]
    rows += [[g, *(str(v) for v in values), str(sum(values, ZERO))] for g, values in groups]
    if not groups or not any(v for _g, values in groups for v in values):
        _empty(fig, _("Nothing is owed."))
        return Chart(fig, rows)
    ax = fig.add_subplot()
    ys = list(range(len(groups)))[::-1]
    left = [0.0] * len(groups)
    shades = ("#f9e79f", "#f5b041", "#eb984e", "#dc7633", "#a04000")
    for i, bucket in enumerate(buckets):
        values = [float(v[i]) for _g, v in groups]
        ax.barh(ys, values, left=left, color=shades[i % len(shades)], edgecolor="white", label=bucket)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in zip(ys, left, strict=True):
        _text(ax, total, y, f" {total:,.0f}", va="center", fontsize=7)
    ax.set_yticks(ys, [g for g, _v in groups])
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    _style(ax, title=title, xlabel=_("yuan"))
    _legend(ax, loc="lower right", title=_("Days overdue"), title_fontproperties={"family": font_family(), "size": 8})
    return Chart(fig, rows)


# The finance bureau's unfunded official use


def unfunded(months: list[tuple[str, Decimal, Decimal, Decimal]], *, title: str = "") -> Chart:
    """At each month's end: official use billed and not yet funded; the month's official use billed and funded."""
    fig = _figure(10.0, 3.8)
    rows = [["month", "outstanding_at_month_end", "billed_in_month", "funded_in_month"]]
    rows += [[m, str(o), str(b), str(f)] for m, o, b, f in months]
    if not months:
        _empty(fig, _("No months to show."))
        return Chart(fig, rows)
    ax = fig.add_subplot()
    xs = list(range(len(months)))
    ax.bar(xs, [float(o) for _m, o, _b, _f in months], color=LOSS, alpha=0.85, width=0.7,
           label=_("Awaiting the finance bureau at month end"))  # fmt: skip
    ax.plot(xs, [float(b) for _m, _o, b, _f in months], color=MEASURED, marker="o", ms=3,
            label=_("Official use billed in the month"))  # fmt: skip
    ax.plot(xs, [float(f) for _m, _o, _b, f in months], color=GAIN, marker="^", ms=4, linestyle="none",
            label=_("Funds received in the month"))  # fmt: skip
    step = max(1, -(-len(months) // 12))
    ax.set_xticks(xs[::step], [m for m, *_r in months][::step], rotation=45, ha="right")
    _yuan_axis(ax)
    _style(ax, title=title, ylabel=_("yuan"))
    _legend(ax, loc="upper left")
    return Chart(fig, rows)
