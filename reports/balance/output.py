"""The period balance as the command line, the API and the pages give it: decimal strings, named figures.

`reconcile_json(balance)` has exactly the keys of issue 10 (`period`, `utility`, `system_input`, `billed_metered`,
`billed_unmetered`, `unbilled_metered`, `unbilled_unmetered`, `apparent_losses`, `real_losses`, `non_revenue`,
`zones` with `code`, `input`, `children`, `loss`, `estimated`) and `estimated`: the names of the figures that rest
on an estimate. `details=True` adds `details`: every other figure, the indicators, each master with the alignment
of its readings and the utility's bills, the zones' shares, and the warnings.
"""

from decimal import Decimal
from typing import Any

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from reports.balance.components import HEADLINE, vol
from reports.balance.service import PeriodBalance
from reports.balance.zones import ZoneResult
from reports.formulas.numbers import INDEX, LITRES, PERCENT, VOLUME, Reason, round_to
from reports.utility_bills import to_yuan

WARNINGS = {
    "no_master": N_("There is no utility meter of this utility: nothing to balance."),
    "partial_start": N_(
        "The readings of %(serial)s begin on %(date)s: the days of the period before them are not in the input."
    ),
    "extrapolated": N_(
        "%(count)s meters have no reading after %(date)s yet: their use is carried to the end of the period at "
        "the rate of their last reading (estimated)."
    ),
    "outside": N_("%(meters)s billing meters (%(volume)s) hang under no utility or check meter and are in no balance."),
    "loose_unmetered": N_("These unmetered uses have no parent meter the balance can place them under: %(names)s."),
    "negative_losses": N_(
        "The real losses are negative (%(volume)s): the meters under the master measured more than it did, or an "
        "estimate is too high."
    ),
    "utility_disagrees": N_(
        "The utility's bill of meter %(serial)s from %(start)s differs from the compound's own reading by %(pct)s%%, "
        "beyond the tolerance of %(tolerance)s%%."
    ),
}
ILI_REASONS = {
    "not_given": N_("ILI is not shown: %(key)s is not given."),
    "too_few_connections": N_(
        "ILI is not shown: %(connections)s connections, below the %(minimum)s from which the ILI is valid."
    ),
    "too_few_connections_per_km": N_(
        "ILI is not shown: %(density)s connections per km of mains, below the %(minimum)s per km from which the ILI "
        "is valid."
    ),
    "real_losses_negative": N_("ILI is not shown: the real losses are negative."),
    "uarl_zero": N_("ILI is not shown: the pressure is 0, so the UARL is 0."),
}


def text(value: Decimal | None, step: Decimal = VOLUME) -> str | None:
    return None if value is None else str(round_to(value, step))


def warning_text(code: str, params: dict[str, Any]) -> str:
    return _(WARNINGS[code], **{k: str(v) for k, v in params.items()})


def ili_reason_text(reason: Reason, indicators: dict[str, Any]) -> str:
    """The reason the ILI is not shown, in the reader's language."""
    system = indicators["system"]
    params: dict[str, str] = {}
    if reason.code == "not_given":
        params["key"] = reason.message.split(": ", 1)[1].split(" is not given")[0]
    elif reason.code == "too_few_connections":
        params = {"connections": f"{system.connections:,}", "minimum": "3,000"}
    elif reason.code == "too_few_connections_per_km":
        density = Decimal(system.connections) / Decimal(system.mains_km)
        params = {"density": str(density.quantize(INDEX)), "minimum": "20"}
    return _(ILI_REASONS.get(reason.code, reason.message), **params)


def _pct(loss: int, input_: int) -> str | None:
    return None if not input_ else str(round_to(Decimal(loss) * 100 / Decimal(input_), PERCENT))


def zone_rows(b: PeriodBalance) -> list[dict[str, Any]]:
    """Every check (and master) meter against its children, and every zone not separately metered, lossiest first."""
    rows = []
    for n in b.nodes:
        rows.append(
            {
                "code": n.serial,
                "kind": "master" if n in b.tree.masters else "check",
                "zone": b.tree.zones.get(n.zone_id) if n.zone_id else None,
                "input": n.use,
                "children": n.children,
                "loss": n.loss,
                "loss_pct": _pct(n.loss, n.use),
                "estimated": n.rests_on_estimates,
                "separately_metered": b.single_zone(n),
                "zones_below": b.zones_below(n),
            }
        )
    for z in b.placement.zones.values():
        if not z.separately_metered and (z.use or z.loss):
            rows.append(_zone_row(z))
    rows.sort(key=lambda r: (-r["loss"], r["code"]))
    return rows


def _zone_row(z: ZoneResult) -> dict[str, Any]:
    return {
        "code": z.name,
        "kind": "zone",
        "zone": z.name,
        "input": z.input,
        "children": z.use,
        "loss": z.loss,
        "loss_pct": _pct(z.loss, z.input),
        "estimated": True,
        "separately_metered": False,
        "measured_loss": z.measured_loss,
        "estimated_share": z.estimated_share,
        "shared_from": sorted(set(z.shared_from)),
        "check_meters": z.check_meters,
    }


def _strings(row: dict[str, Any]) -> dict[str, Any]:
    volumes = {"input", "children", "loss", "measured_loss", "estimated_share"}
    return {k: str(vol(v)) if k in volumes else v for k, v in row.items()}


def reconcile_json(b: PeriodBalance, *, details: bool = False) -> dict[str, Any]:
    """The balance with the keys of issue 10; volumes as decimal strings (m³ or kWh, three places)."""
    out: dict[str, Any] = {"period": b.period.label, "utility": b.utility.value}
    out.update({k: text(b.total[k]) for k in HEADLINE})
    rows = zone_rows(b)
    out["zones"] = [{k: _strings(r)[k] for k in ("code", "input", "children", "loss", "estimated")} for r in rows]
    out["estimated"] = sorted(k for k in b.total.estimated if k in HEADLINE)
    if details:
        out["details"] = _details(b, rows)
    return out


def _details(b: PeriodBalance, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "compound": b.compound.code,
        "start": b.period.start.isoformat(),
        "end": b.period.last_day.isoformat(),
        "days": b.period.days,
        "figures": {k: text(v) for k, v in b.total.figures.items()},
        "estimated_figures": sorted(b.total.estimated),
        "indicators": _indicators(b),
        "masters": [_master_json(b, m) for m in b.masters],
        "zones": [_strings(r) for r in rows],
        "unplaced": str(vol(b.placement.unplaced)),
        "customer_meter_error_source": b.total.details.get("customer_meter_error_source"),
        "warnings": [{"code": c, "message": warning_text(c, p)} for c, p in b.warnings],
    }


def _indicators(b: PeriodBalance) -> dict[str, Any]:
    i = b.indicators
    if b.utility.value == "electricity":
        return {k: text(v, PERCENT) for k, v in i.items()}
    out = {
        "nrw_pct": text(i["nrw_pct"], PERCENT),
        "apparent_pct_of_authorised": text(i["apparent_pct_of_authorised"], PERCENT),
        "real_losses_per_connection_day_l": text(i["real_losses_per_connection_day_l"], LITRES),
        "connections": i["connections"],
        "uarl": text(i["uarl"], LITRES),
    }
    if i["ili"] is not None:
        out["ili"] = text(i["ili"], INDEX)
    else:
        reason = i["ili_not_valid_because"]
        out["ili_not_valid_because"] = {"code": reason.code, "message": ili_reason_text(reason, i)}
    return out


def _boundary(bd: Any) -> dict[str, Any]:
    def ref(r: Any) -> dict[str, Any] | None:
        if r is None:
            return None
        return {"at": r.at.isoformat(), "value": str(vol(r.value_milli)), "estimated": r.estimated}

    return {
        "at": bd.at.isoformat(),
        "how": bd.how,
        "before": ref(bd.before),
        "after": ref(bd.after),
        "use_before_boundary": None if bd.use_before_milli is None else str(vol(bd.use_before_milli)),
        "days": str(bd.days),
    }


def _master_json(b: PeriodBalance, m: Any) -> dict[str, Any]:
    tolerance = Decimal(b.settings.utility_tolerance_fraction)
    c = m.components
    return {
        "serial": m.node.serial,
        "figures": {k: text(v) for k, v in c.figures.items()},
        "estimated": sorted(c.estimated),
        "alignment": {
            "start": _boundary(m.alignment.start),
            "end": _boundary(m.alignment.end),
            "days_interpolated": str(m.alignment.days_interpolated),
        },
        "utility_bills": [
            {
                "period_start_date": ch.bill.period_start_date.isoformat(),
                "period_end_date": ch.bill.period_end_date.isoformat(),
                "quantity": str(vol(ch.bill.quantity_milli)),
                "amount": str(to_yuan(ch.bill.amount_fen)),
                "own_quantity": None if ch.own_milli is None else str(vol(ch.own_milli)),
                "difference_pct": text(ch.difference_pct(), PERCENT),
                "beyond_tolerance": ch.beyond(tolerance),
            }
            for ch in m.bills
        ],
        "transformers": [{k: str(v) for k, v in t.items()} for t in c.details.get("transformers", [])],
    }
