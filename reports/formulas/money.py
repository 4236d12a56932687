"""Billing and collection efficiency, and the AT&C loss (loss-methods.md, section 4).

BE = quantity billed / input (energy or water); CE = amount collected / amount billed (above 1 when arrears
are collected); AT&C loss = 1 − BE × CE. The functions return fractions carried to 50 digits; show them with
`numbers.as_pct` and `numbers.round_pct` at the end (the PGVCL example only closes if BE and CE are not
rounded before they are multiplied).
"""

from dataclasses import dataclass
from decimal import Decimal

from reports.formulas.numbers import exact, product, ratio


def billing_efficiency(billed: Decimal, system_input: Decimal) -> Decimal | None:
    """Quantity billed / quantity put in; None when nothing was put in."""
    return None if system_input == 0 else ratio(billed, system_input)


def collection_efficiency(collected_amount: Decimal, billed_amount: Decimal) -> Decimal | None:
    """Amount collected / amount billed; None when nothing was billed."""
    return None if billed_amount == 0 else ratio(collected_amount, billed_amount)


@exact
def atc_loss(billing_eff: Decimal, collection_eff: Decimal) -> Decimal:
    """Aggregate technical and commercial loss, 1 − BE × CE (a fraction)."""
    return 1 - product(billing_eff, collection_eff)


@dataclass(frozen=True)
class Efficiencies:
    """BE, CE and AT&C as fractions; None where the figures for them are missing or zero."""

    billing_efficiency: Decimal | None
    collection_efficiency: Decimal | None
    atc_loss: Decimal | None


def efficiencies(
    *,
    system_input: Decimal,
    billed: Decimal,
    billed_amount: Decimal | None = None,
    collected_amount: Decimal | None = None,
) -> Efficiencies:
    """BE from the quantities, CE from the amounts, AT&C when both are known."""
    be = billing_efficiency(billed, system_input)
    ce = None
    if billed_amount is not None and collected_amount is not None:
        ce = collection_efficiency(collected_amount, billed_amount)
    loss = None if be is None or ce is None else atc_loss(be, ce)
    return Efficiencies(billing_efficiency=be, collection_efficiency=ce, atc_loss=loss)


@exact
def value_at(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """quantity × price per unit, in yuan, exact (round to the fen at the end with `numbers.round_money`)."""
    return quantity * unit_price
