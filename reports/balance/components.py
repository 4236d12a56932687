"""The balance of one master meter's subtree, in the IWA vocabulary, from the tree and the settings.

Both utilities come out in the same shape, so the period balance, the CLI and the pages treat them alike:

    system_input = billed_metered + billed_unmetered + unbilled_metered + unbilled_unmetered
                   + apparent_losses + real_losses                                   (exactly)

For electricity, unbilled metered is the centre's own use and metered public lighting, unbilled unmetered the
lamps (lamps × watts × hours) and other unmetered use, real losses the technical losses inside the compound's gap
(transformers when the utility meters on the high-voltage side, and lines), and apparent losses the unexplained
rest (unmetered rooms, theft, meter error). Every figure names whether it rests on an estimate.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reports.balance.tree import BILLED, LIGHTING, LeafGroup, Node, TransformerInfo, Tree, UnmeteredPart
from reports.formulas import electricity as el
from reports.formulas import water as w
from reports.formulas.numbers import ZERO, round_volume
from reports.models import BalanceSettings

HEADLINE = (
    "system_input", "billed_metered", "billed_unmetered", "unbilled_metered", "unbilled_unmetered",
    "apparent_losses", "real_losses", "non_revenue",
)  # fmt: skip


def vol(milli: int) -> Decimal:
    """Thousandths → an exact Decimal with three places."""
    return Decimal(milli).scaleb(-3)


@dataclass
class Components:
    """One balance: every figure (m³ or kWh) and the names of those resting on estimates."""

    figures: dict[str, Decimal]
    estimated: set[str] = field(default_factory=set)
    details: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Decimal:
        return self.figures[key]

    def __getattr__(self, name: str) -> Decimal:
        # The formulas' indicator functions read a balance's figures as attributes (balance.system_input).
        figures = self.__dict__.get("figures")
        if figures is not None and name in figures:
            return figures[name]
        raise AttributeError(name)


def _sum(groups: list[LeafGroup], *classes: str, attr: str = "use") -> int:
    return sum(getattr(g, attr) for g in groups if g.cls in classes)


def _unbilled_classes(groups: list[LeafGroup]) -> list[str]:
    return sorted({g.cls for g in groups if g.cls != BILLED})


def _metered(node: Node) -> dict[str, Any]:
    """What the meters under a master measured, by class, and how much of it rests on estimates."""
    groups = node.all_groups()
    unbilled = _unbilled_classes(groups)
    return {
        "groups": groups,
        "billed": _sum(groups, BILLED, attr="billed"),
        "billed_use": _sum(groups, BILLED),
        "billed_estimated": _sum(groups, BILLED, attr="estimated"),
        "unbilled": _sum(groups, *unbilled),
        "unbilled_estimated": _sum(groups, *unbilled, attr="estimated"),
        "estimated": sum(g.estimated for g in groups),
    }


def _flag(c: Components, key: str, estimated: bool) -> None:
    if estimated:
        c.estimated.add(key)


# Water


def water(node: Node, s: BalanceSettings, meter_error: Any = None) -> Components:
    """The IWA balance of one water master meter.

    `meter_error` (reports/findings/accuracy.py: MeterError) is the under-registration measured by the meters'
    accuracy tests; without it the configured rate holds.
    """
    fraction = Decimal(s.meter_error_fraction) if meter_error is None else meter_error.fraction
    m = _metered(node)
    unmetered = node.all_unmetered()
    siv = vol(node.use)
    billed = vol(m["billed"])
    inputs = w.WaterInputs(
        system_input=siv,
        billed_metered=billed,
        unbilled_metered=vol(m["unbilled"]),
        unbilled_unmetered=vol(sum(u.use for u in unmetered)),
        unauthorised=round_volume(siv * Decimal(s.unauthorised_fraction)),
        customer_meter_error_fraction=fraction,
        meter_error_basis=w.MeterErrorBasis(s.meter_error_basis),
        # Metered but not billed (nothing, until bills exist), plus the systematic rate of the billed volume.
        data_handling_errors=vol(m["billed_use"] - m["billed"])
        + round_volume(billed * Decimal(s.data_handling_fraction)),
        estimated_read_error=round_volume(vol(m["estimated"]) * Decimal(s.estimated_read_error_fraction)),
    )
    b = w.water_balance(inputs)
    names = (*HEADLINE, "billed_authorised", "unbilled_authorised", "authorised", "water_losses",
             "metered_authorised", "unauthorised", "customer_meter_error", "data_handling_errors",
             "estimated_read_error")  # fmt: skip
    c = Components({k: getattr(b, k) for k in names})
    c.details = {
        "meter_error_basis": b.meter_error_basis.value,
        "customer_meter_error_fraction": fraction,
        "customer_meter_error_source": "configured" if meter_error is None else meter_error.source,
        "estimated_read_volume": vol(m["estimated"]),
        "unmetered": [(u.name, u.category, vol(u.use)) for u in unmetered],
        "connections": sum(g.active for g in m["groups"]),
    }
    _flag_water(c, node, m, unmetered)
    return c


def _flag_water(c: Components, node: Node, m: dict[str, Any], unmetered: list[UnmeteredPart]) -> None:
    _flag(c, "system_input", node.estimated > 0)
    _flag(c, "billed_metered", m["billed_estimated"] > 0)
    _flag(c, "unbilled_metered", m["unbilled_estimated"] > 0)
    _flag(c, "unbilled_unmetered", bool(unmetered))
    for key in ("unauthorised", "customer_meter_error", "data_handling_errors", "estimated_read_error"):
        _flag(c, key, c[key] != 0)
    _flag(c, "apparent_losses", c["apparent_losses"] != 0)
    inputs = {"system_input", "billed_metered", "unbilled_metered", "unbilled_unmetered", "apparent_losses"}
    _flag(c, "real_losses", bool(c.estimated & inputs))
    _flag(c, "water_losses", bool(c.estimated & (inputs - {"apparent_losses"})))
    _flag(c, "non_revenue", bool(c.estimated & {"system_input", "billed_metered"}))


# Electricity


def _transformer_losses(
    node: Node, tree: Tree, s: BalanceSettings, hours: Decimal
) -> tuple[list[dict[str, Any]], el.TransformerLossEnergy | None, bool]:
    """Each transformer the master feeds: its load from its low-voltage meters, its losses by the LLF method."""
    fed = [t for t in tree.transformers if t.parent_meter_id == node.id]
    if not fed:
        return [], None, False
    loads = {t.id: _lv_load(node, t) for t in fed}
    unmetered = [t for t in fed if loads[t.id] is None]
    estimated = bool(unmetered)
    if unmetered:  # no meter on its low-voltage side: the rest of the input, shared by rating
        rest = max(0, node.use - sum(v for v in loads.values() if v is not None))
        kva = sum(Decimal(t.rated_kva) for t in unmetered)
        for t in unmetered:
            loads[t.id] = int(rest * Decimal(t.rated_kva) / kva)
    details, no_load, load = [], ZERO, ZERO
    for t in fed:
        detail, losses = _one_transformer(t, vol(loads[t.id] or 0), s, hours)
        detail["load_measured"] = t not in unmetered
        details.append(detail)
        no_load, load = no_load + losses.no_load_kwh, load + losses.load_kwh
    return details, el.TransformerLossEnergy(no_load, load), estimated


def _lv_load(node: Node, t: TransformerInfo) -> int | None:
    parts = [n.use for n in node.nodes if n.transformer_id == t.id]
    parts += [g.use for g in node.groups if g.transformer_id == t.id]
    return sum(parts) if parts else None


def _one_transformer(
    t: TransformerInfo, energy: Decimal, s: BalanceSettings, hours: Decimal
) -> tuple[dict[str, Any], el.TransformerLossEnergy]:
    plate = el.TransformerNameplate(
        rated_kva=Decimal(t.rated_kva),
        no_load_loss_kw=Decimal(t.no_load_loss_w) / 1000,
        copper_loss_kw=Decimal(t.copper_loss_w) / 1000,
    )
    load, losses = el.transformer_loss_from_energy(
        plate,
        energy_kwh=energy,
        hours=hours,
        power_factor=Decimal(s.power_factor),
        load_factor=Decimal(s.load_factor),
        k=Decimal(s.loss_load_k),
    )
    rounded = el.TransformerLossEnergy(round_volume(losses.no_load_kwh), round_volume(losses.load_kwh))
    detail = {
        "name": t.name,
        "energy": energy,
        "average_kw": round_volume(load.average_kw),
        "average_load_pct": round_volume(load.average_fraction * 100),
        "peak_load_pct": round_volume(load.peak_fraction * 100),
        "no_load_losses": rounded.no_load_kwh,
        "load_losses": rounded.load_kwh,
        "losses": rounded.total_kwh,
    }
    return detail, rounded


def _line_losses(node: Node, cables: list[dict[str, Any]], s: BalanceSettings, hours: Decimal) -> tuple[Decimal, str]:
    """3·I²·R of the registered cables under this master (with the LLF for the peak), else the configured rate."""
    mine = [c for c in cables if c["master_id"] == node.id]
    if not mine:
        return round_volume(el.line_losses_from_rate(vol(node.use), Decimal(s.line_loss_rate))), "rate"
    pf, lf = Decimal(s.power_factor), Decimal(s.load_factor)
    llf = el.loss_load_factor(lf, Decimal(s.loss_load_k))
    total = ZERO
    for c in mine:
        average_kw = vol(c["use"]) / hours
        peak_current = el.line_current_a(average_kw, voltage_v=Decimal(c["voltage_v"]), power_factor=pf) / lf
        resistance = el.phase_resistance(Decimal(c["ohm_per_km"]), Decimal(c["km"]))
        total += round_volume(el.cable_loss_energy_kwh(peak_current, resistance, hours) * llf)
    return total, "cables"


def electricity(
    node: Node, tree: Tree, s: BalanceSettings, *, hours: Decimal, cables: list[dict[str, Any]]
) -> Components:
    """The electricity balance of one utility meter, in the water balance's shape."""
    m = _metered(node)
    groups, unmetered = m["groups"], node.all_unmetered()
    own = _sum(groups, *[k for k in _unbilled_classes(groups) if k != LIGHTING])
    lighting_metered = _sum(groups, LIGHTING)
    lamps = sum(u.use for u in unmetered if u.is_lighting)
    other_unmetered = sum(u.use for u in unmetered if not u.is_lighting)
    details, transformer_losses, load_estimated = _transformer_losses(node, tree, s, hours)
    line, method = _line_losses(node, cables, s, hours)
    b = el.electricity_balance(
        system_input=vol(node.use),
        billed_metered=vol(m["billed"]),
        unbilled_metered=vol(own + other_unmetered),
        public_lighting=vol(lighting_metered + lamps),
        transformer_losses=transformer_losses,
        transformer_losses_in_balance=node.hv_side,
        line_losses=line,
    )
    figures = {
        "system_input": b.system_input,
        "billed_metered": b.billed_metered,
        "billed_unmetered": ZERO,
        "unbilled_metered": vol(own + lighting_metered),
        "unbilled_unmetered": vol(lamps + other_unmetered),
        "apparent_losses": b.unexplained,
        "real_losses": b.technical_losses,
        "non_revenue": b.non_revenue,
        "own_use": vol(own),
        "public_lighting": b.public_lighting,
        "public_lighting_metered": vol(lighting_metered),
        "public_lighting_lamps": vol(lamps),
        "other_unmetered": vol(other_unmetered),
        "transformer_no_load_losses": b.transformer_no_load_losses,
        "transformer_load_losses": b.transformer_load_losses,
        "transformer_losses": b.transformer_losses,
        "line_losses": b.line_losses,
        "technical_losses": b.technical_losses,
        "unexplained": b.unexplained,
    }
    c = Components(figures)
    c.details = {
        "transformers": details,
        "transformer_losses_in_balance": b.transformer_losses_in_balance,
        "line_losses_method": method,
        "unmetered": [(u.name, u.category, vol(u.use)) for u in unmetered],
        "estimated_read_volume": vol(m["estimated"]),
        "transformer_load_estimated": load_estimated,
    }
    _flag_electricity(c, node, m, lamps + other_unmetered)
    return c


def _flag_electricity(c: Components, node: Node, m: dict[str, Any], unmetered: int) -> None:
    _flag(c, "system_input", node.estimated > 0)
    _flag(c, "billed_metered", m["billed_estimated"] > 0)
    _flag(c, "unbilled_metered", m["unbilled_estimated"] > 0)
    _flag(c, "own_use", m["unbilled_estimated"] > 0)
    for key in ("unbilled_unmetered", "public_lighting_lamps", "other_unmetered"):
        _flag(c, key, c[key] != 0)
    _flag(c, "public_lighting", c["public_lighting_lamps"] != 0)
    for key in ("transformer_no_load_losses", "transformer_load_losses", "transformer_losses", "line_losses"):
        _flag(c, key, c[key] != 0)
    _flag(c, "real_losses", c["real_losses"] != 0)
    _flag(c, "technical_losses", c["technical_losses"] != 0)
    _flag(c, "apparent_losses", bool(c.estimated))
    _flag(c, "unexplained", "apparent_losses" in c.estimated)
    _flag(c, "non_revenue", bool(c.estimated & {"system_input", "billed_metered"}))


def combine(parts: list[Components]) -> Components:
    """Several masters' balances added up figure by figure (sums are exact, so the total still closes)."""
    if len(parts) == 1:
        return parts[0]
    keys = [k for k in parts[0].figures if all(k in p.figures for p in parts)]
    total = Components({k: sum((p[k] for p in parts), ZERO) for k in keys})
    total.estimated = set().union(*(p.estimated for p in parts)) & set(keys)
    total.details = {"masters": len(parts)}
    return total
