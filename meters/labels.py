"""Words for the values the meter tables hold, for people (pages, messages), translated where shown."""

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

LABELS: dict[str, str] = {
    "water": N_("water"),
    "electricity": N_("electricity"),
    "utility": N_("utility meter"),
    "check": N_("check meter"),
    "billing": N_("billing meter"),
    "active": N_("active"),
    "removed": N_("removed"),
    "manual": N_("manual"),
    "import": N_("import"),
    "estimated": N_("estimated"),
    "regular": N_("regular"),
    "initial": N_("first reading"),
    "final": N_("final reading"),
    "fixed": N_("fixed quantity per month"),
    "lamps": N_("lamps × watts × hours"),
    "area": N_("area × litres per m² per day"),
    "fixed_per_month": N_("quantity per month"),
    "lamp_count": N_("number of lamps"),
    "lamp_watts": N_("watts per lamp"),
    "hours_per_day": N_("hours lit per day"),
    "area_m2": N_("area (m²)"),
    "litres_per_m2_day": N_("litres per m² per day"),
}


def label(value: object) -> str:
    """The translated word for a stored value ('water' → '水'); the value itself when it has none."""
    key = getattr(value, "value", value)
    return _(LABELS[key]) if key in LABELS else str(key)
