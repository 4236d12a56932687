"""Findings and work orders in the reader's language: the kinds, the statuses, and what each finding rests on."""

import json
from decimal import Decimal

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from reports.findings.models import Finding

KINDS = {
    "zone_loss_high": N_("Zone loss rate high"),
    "zone_loss_rising": N_("Zone loss rate rising"),
    "night_flow_leak": N_("Night flow points to a leak"),
    "utility_disagrees": N_("Master meter disagrees with the utility's bill"),
    "stopped_meter": N_("Meter stopped or tampered with"),
    "broken_seal": N_("Broken seal"),
    "check_exceeded": N_("Meters under a check meter exceed it"),
    "unmetered_over": N_("Unmetered use above its estimate"),
    "other": N_("Other"),
}
FINDING_STATUSES = {"open": N_("open"), "dismissed": N_("dismissed"), "resolved": N_("resolved")}
ORDER_KINDS = {
    "repair_leak": N_("Repair a leak"),
    "test_meter": N_("Test a meter"),
    "replace_meter": N_("Replace a meter"),
    "seal_meter": N_("Seal a meter"),
    "install_check_meter": N_("Install a check meter"),
    "remove_unmetered_wiring": N_("Remove unmetered wiring"),
    "other": N_("Other"),
}
ORDER_STATUSES = {
    "open": N_("open"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
BASIS = {
    "zone_loss_high": N_(
        "%(serial)s measured %(input)s over %(days)s days, the meters and estimates under it %(children)s: a loss of "
        "%(loss)s (%(pct)s%%), above the limit of %(limit)s%%."
    ),
    "zone_loss_rising": N_(
        "The loss of %(serial)s is %(pct)s%% of its input (%(loss)s), against %(before_pct)s%% on average over the "
        "%(months)s months before."
    ),
    "night_flow_leak": N_(
        "Night-flow test of %(serial)s on %(date)s: minimum night flow %(minimum)s m³/h, legitimate night use "
        "%(legitimate)s m³/h, × %(factor)s h/day = %(daily)s m³ a day of leakage (limit %(limit)s)."
    ),
    "utility_disagrees": N_(
        "The utility billed %(billed)s on %(serial)s for %(start)s to %(end)s; the compound's own reading is %(own)s "
        "(%(pct)s%%, tolerance %(tolerance)s%%)."
    ),
    "stopped_meter": N_(
        "%(serial)s registered %(used)s this period against %(expected)s expected from its own last %(days)s days, "
        "while its account is occupied (limit %(limit)s%%)."
    ),
    "broken_seal": N_(
        "Seal %(number)s of %(serial)s found broken on %(date)s. %(note)s The meter's use is %(use)s a month; "
        "%(share)s%% of it is taken to be at risk (estimated)."
    ),
    "check_exceeded": N_(
        "The meters under %(serial)s registered %(children)s, more than its own %(input)s by %(pct)s%% (limit "
        "%(limit)s%%): a wiring or register error."
    ),
    "unmetered_over": N_(
        "%(serial)s measured %(input)s; under it the meters and the estimate of the unmetered use (%(names)s: "
        "%(estimate)s) come to %(children)s: %(loss)s (%(pct)s%%) more than estimated."
    ),
}


def kind_label(kind: str) -> str:
    return _(KINDS.get(kind, kind))


def order_kind_label(kind: str) -> str:
    return _(ORDER_KINDS.get(kind, kind))


def status_label(status: str) -> str:
    return _(FINDING_STATUSES.get(status) or ORDER_STATUSES.get(status, status))


def basis_text(f: Finding) -> str:
    """What the finding rests on, in the reader's language (a finding raised by hand: its note)."""
    params = json.loads(f.basis or "{}")
    message = BASIS.get(f.kind.value if hasattr(f.kind, "value") else f.kind)
    text = f.note
    if message and "serial" in params:
        try:
            text = _(message, **{k: str(v) for k, v in params.items()})
        except (KeyError, ValueError):
            text = f.note
    if f.note and text != f.note:
        text = f"{text} {f.note}"
    return text


def since(f: Finding) -> str:
    return str(json.loads(f.basis or "{}").get("since") or f.period_label)


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen).scaleb(-2)


def volume(milli: int | None) -> Decimal | None:
    return None if milli is None else Decimal(milli).scaleb(-3)
