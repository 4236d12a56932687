"""The money view as the command line, the API and the pages give it: yuan as decimal strings, to the fen.

`money_json(pm)` is the `money` key of `compound reconcile --json`: `utility_charges`, `billed`, `collected`,
`collected_arrears` and `causes` (`code`, `amount`, `estimated`, in the waterfall's order), then the average cost
per unit, the average billed price, the efficiencies (percent, two places) and the warnings.
"""

from decimal import Decimal
from typing import Any

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from reports.formulas.numbers import PERCENT, as_pct, round_to
from reports.money.service import PeriodMoney
from reports.money.waterfall import Waterfall

PRICE = Decimal("0.0001")
WARNINGS = {
    "no_utility_bill": N_(
        "No bill of the utility is recorded for this utility: there are no charges to value the losses at."
    ),
    "charges_estimated": N_(
        "No bill of the utility covers this period: the charges are the system input at the cost per unit of the "
        "nearest bill (estimated)."
    ),
    "partial_charges": N_("The utility's bills cover %(days)s of the period's %(of)s days."),
}


def money_text(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _pct(fraction: Decimal | None) -> str | None:
    return None if fraction is None else str(round_to(as_pct(fraction), PERCENT))


def _price(value: Decimal | None) -> str | None:
    return None if value is None else str(round_to(value, PRICE))


def waterfall_json(w: Waterfall) -> dict[str, Any]:
    e = w.efficiencies
    return {
        "utility_charges": money_text(w.utility_charges),
        "billed": money_text(w.billed),
        "collected": money_text(w.collected),
        "collected_arrears": money_text(w.collected_arrears),
        "causes": [{"code": b.code, "amount": money_text(b.amount), "estimated": b.estimated} for b in w.causes],
        "charges_estimated": w.charges_estimated,
        "unit_cost": _price(w.unit_cost),
        "average_billed_price": _price(w.average_billed_price),
        "billing_efficiency_pct": _pct(e.billing_efficiency),
        "collection_efficiency_pct": _pct(w.own_collection_efficiency),
        "collection_efficiency_with_arrears_pct": _pct(e.collection_efficiency),
        "atc_loss_pct": _pct(e.atc_loss),
    }


def warning_text(code: str, params: dict[str, Any]) -> str:
    return _(WARNINGS[code], **{k: str(v) for k, v in params.items()})


def money_json(pm: PeriodMoney) -> dict[str, Any]:
    out = waterfall_json(pm.waterfall)
    out["warnings"] = [{"code": c, "message": warning_text(c, p)} for c, p in pm.warnings]
    return out
