"""Charts of the balance: matplotlib's object-oriented Figure API only, PNG and SVG, each with its numbers as CSV.

Chinese text is drawn in the Noto Sans CJK SC font the meter charts use (shipped by mplfonts), so the charts are
right on a server without system fonts. Estimated parts are hatched and say so. Quantities become floats only
here, to be drawn; the CSV carries the exact decimal strings.
"""

import csv
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO, StringIO
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from meters.readings.charts import FONT_FILE, font_family

__all__ = ["FONT_FILE", "Chart", "render"]

UNITS = {"water": N_("m³"), "electricity": N_("kWh")}
MEASURED = "#1f4e79"
MEASURED_FILL = "#eaf1f8"
ESTIMATED_EDGE = "#c98a00"
ESTIMATED_FILL = "#fff4d6"
LOSS = "#b03a2e"
PALETTE = ("#1f4e79", "#2e86c1", "#5dade2", "#48c9b0", "#f5b041", "#af7ac5", "#ec7063", "#99a3a4", "#7dcea0")
ZERO = Decimal(0)


@dataclass
class Chart:
    """A figure and the numbers it draws (header row first)."""

    figure: Figure
    rows: list[list[str]]

    def csv(self) -> str:
        buf = StringIO()
        csv.writer(buf).writerows(self.rows)
        return buf.getvalue()


def render(chart: Chart, fmt: str) -> tuple[bytes, str]:
    """The chart as png, svg or csv, with its media type."""
    if fmt == "csv":
        # A byte-order mark, so Excel opens the Chinese headers as UTF-8.
        return ("\ufeff" + chart.csv()).encode("utf-8"), "text/csv; charset=utf-8"
    buf = BytesIO()
    if fmt == "svg":
        FigureCanvasSVG(chart.figure)
        chart.figure.savefig(buf, format="svg")
        return buf.getvalue(), "image/svg+xml"
    FigureCanvasAgg(chart.figure)
    chart.figure.savefig(buf, format="png", dpi=110)
    return buf.getvalue(), "image/png"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _text(ax: Any, x: float, y: float, s: str, **kw: Any) -> None:
    ax.text(x, y, s, fontfamily=font_family(), **kw)


def _style(ax: Any, *, title: str = "", xlabel: str = "", ylabel: str = "") -> None:
    family = font_family()
    if title:
        ax.set_title(title, fontfamily=family, fontsize=10, loc="left")
    if xlabel:
        ax.set_xlabel(xlabel, fontfamily=family, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontfamily=family, fontsize=9)
    ax.tick_params(labelsize=8, labelfontfamily=family)
    ax.spines[["top", "right"]].set_visible(False)


def _legend(ax: Any, **kw: Any) -> None:
    ax.legend(prop={"family": font_family(), "size": 8}, frameon=False, **kw)


def _number(value: Decimal) -> str:
    return f"{value:,.1f}"


def unit(utility: str) -> str:
    return _(UNITS.get(utility, N_("units")))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _empty(fig: Figure, message: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    _text(ax, 0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)


# The IWA table


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    value: Decimal
    estimated: bool


def _cell(ax: Any, box: tuple[float, float, float, float], c: Cell, total: Decimal, u: str) -> None:
    x, y, w, h = box
    face, edge, hatch = (MEASURED_FILL, MEASURED, None) if not c.estimated else (ESTIMATED_FILL, ESTIMATED_EDGE, "//")
    ax.add_patch(Rectangle((x, y), w, h, facecolor=face, edgecolor=edge, hatch=hatch, linewidth=1))
    share = f" · {float(c.value * 100 / total):.1f}%" if total else ""
    lines = [c.label, f"{_number(c.value)} {u}{share}"]
    if c.estimated:
        lines.append(_("estimated"))
    style = "italic" if c.estimated else "normal"
    box = {"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5} if c.estimated else None
    _text(ax, x + w / 2, y + h / 2, "\n".join(lines), ha="center", va="center", fontsize=7.5, style=style, bbox=box)


def _leaves(f: dict[str, Decimal], est: set[str], utility: str) -> list[Cell]:
    def c(key: str, label: str, value: Decimal | None = None, estimated: bool | None = None) -> Cell:
        return Cell(
            key, label, f.get(key, ZERO) if value is None else value, key in est if estimated is None else estimated
        )

    if utility == "water":
        reads = f.get("data_handling_errors", ZERO) + f.get("estimated_read_error", ZERO)
        return [
            c("billed_metered", _("Billed metered")),
            c("billed_unmetered", _("Billed unmetered")),
            c("unbilled_metered", _("Unbilled metered")),
            c("unbilled_unmetered", _("Unbilled unmetered")),
            c("unauthorised", _("Unauthorised use")),
            c("customer_meter_error", _("Customer meter under-registration")),
            c("data_handling_errors", _("Data handling and estimated reads"), reads, reads != 0),
            c("real_losses", _("Real losses (leakage)")),
        ]
    in_gap = f["real_losses"] - f.get("line_losses", ZERO)
    return [
        c("billed_metered", _("Billed sub-meters")),
        c("billed_unmetered", _("Billed unmetered")),
        c("unbilled_metered", _("Own use and metered lighting")),
        c("unbilled_unmetered", _("Lamps and other unmetered use")),
        c("apparent_losses", _("Unexplained: theft, unmetered rooms, meter error")),
        c("transformer_losses", _("Transformer losses"), in_gap, in_gap != 0),
        c("line_losses", _("Line losses")),
    ]


def iwa_table(figures: dict[str, Decimal], estimated: set[str], *, utility: str, title: str = "") -> Chart:
    """The balance as the IWA table: input; authorised and losses; their parts; revenue and non-revenue."""
    f, est, u = figures, estimated, unit(utility)
    leaves = _leaves(f, est, utility)
    n, total = len(leaves), f["system_input"]
    water = utility == "water"
    billed = Cell("billed_authorised", _("Billed authorised"), f["billed_metered"] + f["billed_unmetered"],
                  "billed_metered" in est)  # fmt: skip
    unbilled = Cell("unbilled_authorised", _("Unbilled authorised"), f["unbilled_metered"] + f["unbilled_unmetered"],
                    bool(est & {"unbilled_metered", "unbilled_unmetered"}))  # fmt: skip
    apparent = Cell("apparent_losses", _("Apparent losses") if water else _("Commercial losses"), f["apparent_losses"],
                    "apparent_losses" in est)  # fmt: skip
    real = Cell("real_losses", _("Real losses") if water else _("Technical losses"), f["real_losses"],
                "real_losses" in est)  # fmt: skip
    groups = [(billed, 2), (unbilled, 2), (apparent, 3 if water else 1), (real, 1 if water else 2)]
    losses = Cell("losses", _("Water losses") if water else _("Losses"), apparent.value + real.value,
                  apparent.estimated or real.estimated)  # fmt: skip
    authorised = Cell("authorised", _("Authorised consumption"), billed.value + unbilled.value,
                      billed.estimated or unbilled.estimated)  # fmt: skip
    fig = _figure(9.6, 0.62 * n + 0.8)
    ax = fig.add_subplot()
    ax.set_xlim(0, 5)
    ax.set_ylim(0, n)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontfamily=font_family(), fontsize=10, loc="left")
    system = Cell("system_input", _("System input"), total, "system_input" in est)
    _cell(ax, (0, 0, 1, n), system, total, u)
    _cell(ax, (1, n - 4, 1, 4), authorised, total, u)
    _cell(ax, (1, 0, 1, n - 4), losses, total, u)
    top = n
    for group, size in groups:
        _cell(ax, (2, top - size, 1, size), group, total, u)
        top -= size
    for i, leaf in enumerate(leaves):
        _cell(ax, (3, n - 1 - i, 1, 1), leaf, total, u)
    revenue = Cell("revenue", _("Revenue"), billed.value, billed.estimated)
    non_revenue = Cell("non_revenue", _("Non-revenue"), f["non_revenue"], "non_revenue" in est)
    _cell(ax, (4, n - 2, 1, 2), revenue, total, u)
    _cell(ax, (4, 0, 1, n - 2), non_revenue, total, u)
    cells = [system, authorised, losses, *(g for g, _size in groups), *leaves, revenue, non_revenue]
    rows = [["figure", "label", "volume", "estimated"]]
    rows += [[c.key, c.label, str(c.value), _yes(c.estimated)] for c in cells]
    return Chart(fig, rows)


# The flow of a period: master meter → zones → uses and losses


def flow(
    *,
    system_input: Decimal,
    zones: list[tuple[str, Decimal, bool]],
    uses: list[tuple[str, Decimal, bool]],
    utility: str,
    title: str = "",
) -> Chart:
    """Three stacked bars of the same height: the input, where it went by zone, and what it became."""
    fig = _figure(10.5, 4.8)
    if not system_input:
        _empty(fig, _("No input in this period."))
        return Chart(fig, [["stage", "part", "volume", "estimated"]])
    ax = fig.add_subplot()
    bars = [(_("Master meter"), [(_("System input"), system_input, False)]), (_("Zones"), zones), (_("Uses"), uses)]
    rows = [["stage", "part", "volume", "estimated"]]
    for x, (stage, parts) in enumerate(bars):
        bottom = 0.0
        for i, (label, value, estimated) in enumerate(parts):
            height = float(value)
            color = PALETTE[(i + 3 * x) % len(PALETTE)] if x else MEASURED
            ax.bar(x, height, bottom=bottom, width=0.55, color=color, alpha=0.45 if estimated else 1.0,
                   edgecolor=ESTIMATED_EDGE if estimated else "white", hatch="//" if estimated else None,
                   linewidth=0.8, label=f"{label}: {_number(value)}" + (f" ({_('estimated')})" if estimated else "")
                   if x else None)  # fmt: skip
            if height > float(system_input) * 0.06:
                shown = f"{label}\n{_number(value)}"
                _text(ax, x, bottom + height / 2, shown, ha="center", va="center", fontsize=7,
                      bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})  # fmt: skip
            bottom += height
            rows.append([stage, label, str(value), _yes(estimated)])
    ax.set_xticks(range(3), [b[0] for b in bars])
    _style(ax, title=title, ylabel=unit(utility))
    _legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return Chart(fig, rows)


# The loss rate by month


@dataclass(frozen=True)
class MonthPoint:
    month: str
    system_input: Decimal
    non_revenue: Decimal
    real_losses: Decimal
    estimated: bool
    partial: bool = False  # the readings begin inside the month: not drawn


def _pct(part: Decimal, whole: Decimal, partial: bool = False) -> float | None:
    return None if not whole or partial else float(part * 100 / whole)


@dataclass(frozen=True)
class Annotation:
    """Work done in a month (a leak repaired, meters sealed): a dashed line and its label on the loss-rate chart."""

    month: str  # "2026-01"
    label: str
    day: str = ""  # "2026-01-08", for the CSV


def _annotate(ax: Any, xs: list[int], points: list[MonthPoint], notes: list[Annotation]) -> None:
    index = {p.month: x for x, p in zip(xs, points, strict=True)}
    shown: dict[int, int] = {}
    for note in notes:
        x = index.get(note.month)
        if x is None:
            continue
        level = shown.get(x, 0)
        shown[x] = level + 1
        ax.axvline(x, color=ESTIMATED_EDGE, linestyle="--", linewidth=0.9)
        box = {"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1}
        _text(ax, x + 0.08, 0.97 - 0.09 * level, note.label, transform=ax.get_xaxis_transform(), fontsize=7,
              va="top", color="#5b3d00", bbox=box)  # fmt: skip


def loss_rate(
    points: list[MonthPoint], *, utility: str, title: str = "", events: list[Annotation] | None = None
) -> Chart:
    """Non-revenue and real losses as % of the input, month by month; estimated months hollow; the work done
    (reports/findings/events.py) as dashed lines."""
    fig = _figure(9.0, 3.8)
    rows = [["month", "system_input", "non_revenue", "real_losses", "non_revenue_pct", "real_losses_pct", "estimated",
             "partial"]]  # fmt: skip
    if not points:
        _empty(fig, _("No months to show."))
        return Chart(fig, rows)
    ax = fig.add_subplot()
    xs = list(range(len(points)))
    nrw = [_pct(p.non_revenue, p.system_input, p.partial) for p in points]
    real = [_pct(p.real_losses, p.system_input, p.partial) for p in points]
    nrw_label = _("Non-revenue, % of input")
    real_label = _("Real losses, % of input") if utility == "water" else _("Technical losses, % of input")
    ax.plot(xs, [v if v is not None else float("nan") for v in nrw], color=MEASURED, marker="o", ms=4, label=nrw_label)
    ax.plot(xs, [v if v is not None else float("nan") for v in real], color=LOSS, marker="s", ms=4, label=real_label)
    for x, p in zip(xs, points, strict=True):
        if p.estimated:
            for series in (nrw, real):
                if series[x] is not None:
                    ax.plot([x], [series[x]], marker="o", ms=9, mfc="none", mec=ESTIMATED_EDGE)
    step = max(1, -(-len(points) // 12))
    ax.set_xticks(xs[::step], [p.month for p in points][::step], rotation=45, ha="right")
    ax.set_ylim(bottom=min([0.0, *(v for v in real if v is not None)]))
    _style(ax, title=title, ylabel="%")
    _legend(ax, loc="upper left")
    _annotate(ax, xs, points, events or [])
    for p, a, b in zip(points, nrw, real, strict=True):
        rows.append([p.month, str(p.system_input), str(p.non_revenue), str(p.real_losses),
                     "" if a is None else f"{a:.2f}", "" if b is None else f"{b:.2f}", _yes(p.estimated),
                     _yes(p.partial)])  # fmt: skip
    if events:
        rows.append([])
        rows.append(["event_date", "event"])
        rows += [[e.day or e.month, e.label] for e in events]
    return Chart(fig, rows)


# Zones ranked by loss


def zones_ranked(rows_in: list[dict[str, Any]], *, utility: str, title: str = "", top: int = 12) -> Chart:
    """Check meters and zones by loss, largest first; estimated shares hatched; the loss % beside each bar."""
    chosen = rows_in[:top]
    fig = _figure(8.4, 0.42 * max(3, len(chosen)) + 1.2)
    rows = [["code", "kind", "input", "children", "loss", "loss_pct", "estimated"]]
    rows += [[r["code"], r["kind"], str(_vol(r["input"])), str(_vol(r["children"])), str(_vol(r["loss"])),
              r.get("loss_pct") or "", _yes(r["estimated"])] for r in rows_in]  # fmt: skip
    if not chosen:
        _empty(fig, _("No check meters or zones."))
        return Chart(fig, rows)
    ax = fig.add_subplot()
    ys = list(range(len(chosen)))[::-1]
    for y, r in zip(ys, chosen, strict=True):
        value = float(_vol(r["loss"]))
        ax.barh(y, value, color=ESTIMATED_FILL if r["estimated"] else LOSS, edgecolor=ESTIMATED_EDGE if r["estimated"]
                else LOSS, hatch="//" if r["estimated"] else None)  # fmt: skip
        label = f"{r['loss_pct']}%" if r.get("loss_pct") else ""
        _text(ax, value, y, f" {label}", va="center", fontsize=7)
    ax.set_yticks(ys, [_zone_label(r) for r in chosen])
    _style(ax, title=title, xlabel=_("Loss (%(unit)s)", unit=unit(utility)))
    return Chart(fig, rows)


def _vol(milli: int) -> Decimal:
    return Decimal(milli).scaleb(-3)


def _zone_label(r: dict[str, Any]) -> str:
    if r["kind"] == "zone":
        return _("%(zone)s (not separately metered)", zone=r["code"])
    return f"{r['code']} · {r['zone']}" if r.get("zone") else r["code"]


# Night flow


def night_flow(
    *,
    intervals: list[tuple[str, Decimal]],
    minimum: Decimal,
    legitimate: Decimal,
    daily_leakage: Decimal,
    month_per_day: Decimal | None,
    title: str = "",
) -> Chart:
    """The flow between the night readings, the minimum and the legitimate use; the estimate beside the month."""
    fig = _figure(7.0, 3.6)
    rows = [["interval", "m3_per_hour"]] + [[label, str(rate)] for label, rate in intervals]
    rows += [["minimum_night_flow", str(minimum)], ["legitimate_night_use", str(legitimate)],
             ["daily_leakage_m3", str(daily_leakage)],
             ["month_real_losses_per_day_m3", "" if month_per_day is None else str(month_per_day)]]  # fmt: skip
    ax, side = fig.subplots(1, 2, width_ratios=[3, 1.4])
    xs = list(range(len(intervals)))
    ax.bar(xs, [float(r) for _label, r in intervals], color=MEASURED, width=0.6, label=_("Flow between readings"))
    ax.axhline(float(legitimate), color=ESTIMATED_EDGE, linestyle="--", label=_("Legitimate night use"))
    ax.axhline(float(minimum), color=LOSS, linestyle=":", label=_("Minimum night flow"))
    ax.set_xticks(xs, [label for label, _rate in intervals])
    _style(ax, title=title, ylabel=_("m³ per hour"))
    _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    values = [daily_leakage, month_per_day or ZERO]
    side.bar([0, 1], [float(v) for v in values], color=[ESTIMATED_FILL, LOSS], edgecolor=[ESTIMATED_EDGE, LOSS],
             hatch=["//", None])  # fmt: skip
    side.set_xticks([0, 1], [_("Night flow"), _("Balance")])
    for x, v in enumerate(values):
        _text(side, x, float(v), f"{v:.1f}", ha="center", va="bottom", fontsize=8)
    _style(side, ylabel=_("m³ per day"))
    return Chart(fig, rows)
