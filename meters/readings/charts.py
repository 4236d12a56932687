"""Small PNG charts of a meter's use: matplotlib's object-oriented Figure API only (no pyplot state).

Text is drawn in Noto Sans CJK SC, shipped inside the mplfonts package, so Chinese labels render on any
server without system fonts. Quantities become floats only here, to be drawn.
"""

from functools import lru_cache
from io import BytesIO
from pathlib import Path

import mplfonts
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from meters.readings.history import MonthUse

FONT_FILE = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
UNITS = {"water": N_("m³"), "electricity": N_("kWh")}
MEASURED_COLOR = "#1f4e79"
ESTIMATED_COLOR = "#c98a00"


@lru_cache(maxsize=1)
def font_family() -> str:
    """Register the CJK font with matplotlib once per process; its family name."""
    font_manager.fontManager.addfont(str(FONT_FILE))
    return font_manager.FontProperties(fname=str(FONT_FILE)).get_name()


def consumption_chart(months: list[MonthUse], *, utility: str, title: str = "") -> bytes:
    """Monthly use as bars, the estimated part hatched on top and named in the legend; a PNG."""
    return _png(consumption_figure(months, utility=utility, title=title))


def consumption_figure(months: list[MonthUse], *, utility: str, title: str = "") -> Figure:
    family = font_family()
    fig = Figure(figsize=(5.2, 2.8), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    unit = _(UNITS.get(utility, N_("units")))
    if not months:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            _("No consumption recorded yet."),
            ha="center",
            va="center",
            fontfamily=family,
            transform=ax.transAxes,
        )
        return fig
    xs = list(range(len(months)))
    measured = [m.measured_milli / 1000 for m in months]
    estimated = [m.estimated_milli / 1000 for m in months]
    ax.bar(xs, measured, color=MEASURED_COLOR, label=_("measured"))
    if est := [i for i in xs if estimated[i]]:
        ax.bar(
            est,
            [estimated[i] for i in est],
            bottom=[measured[i] for i in est],
            facecolor="#fff4d6",
            edgecolor=ESTIMATED_COLOR,
            hatch="///",
            label=_("estimated"),
        )
    step = max(1, -(-len(months) // 6))  # at most six labels fit side by side
    ax.set_xticks(xs[::step], [m.month for m in months][::step])
    ax.tick_params(labelsize=9, labelfontfamily=family)
    ax.set_xlabel(_("Month"), fontfamily=family, fontsize=10)
    ax.set_ylabel(_("Use (%(unit)s)", unit=unit), fontfamily=family, fontsize=10)
    if title:
        ax.set_title(title, fontfamily=family, fontsize=10, loc="left")
    # Above the plot, right of the title: never over a bar.
    ax.legend(
        prop={"family": family, "size": 9},
        frameon=False,
        loc="lower right",
        bbox_to_anchor=(1, 1),
        ncols=2,
        borderaxespad=0.2,
    )
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _png(fig: Figure) -> bytes:
    buf = BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
