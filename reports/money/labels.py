"""The names of the waterfall's bars in the reader's language (the seed's seven causes and the money's own)."""

from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

CAUSE_LABELS = {
    "leakage": N_("Leakage (old pipes)"),
    "unmetered_public_water": N_("Unmetered public water (landscaping, toilets, offices)"),
    "transformer_line_losses": N_("Transformer and line losses"),
    "public_lighting": N_("Courtyard and street lighting"),
    "other_unbilled_use": N_("Other unbilled use (the centre's own)"),
    "apparent_losses": N_("Apparent losses (meter error, unauthorised use)"),
    "tariff_difference": N_("Tariff difference (cost against billed price)"),
    "unexplained": N_("Unexplained rest"),
    "unpaid_units": N_("Unpaid by office units"),
    "unfunded_official_use": N_("Official use awaiting the finance bureau"),
    "unpaid_households": N_("Unpaid by households"),
}
SHORT_LABELS = {
    "leakage": N_("Leakage"),
    "unmetered_public_water": N_("Public water"),
    "transformer_line_losses": N_("Transformer/lines"),
    "public_lighting": N_("Lighting"),
    "other_unbilled_use": N_("Own use"),
    "apparent_losses": N_("Apparent"),
    "tariff_difference": N_("Tariff"),
    "unexplained": N_("Unexplained"),
    "unpaid_units": N_("Units unpaid"),
    "unfunded_official_use": N_("Finance bureau"),
    "unpaid_households": N_("Households unpaid"),
}
TOTAL_LABELS = {
    "utility_charges": N_("Utility charges"),
    "billed": N_("Billed"),
    "collected": N_("Collected"),
    "collected_arrears": N_("Arrears collected (earlier periods)"),
}
UTILITY_LABELS = {"water": N_("Water"), "electricity": N_("Electricity"), "combined": N_("Water and electricity")}


def cause_label(code: str, *, short: bool = False) -> str:
    return _((SHORT_LABELS if short else CAUSE_LABELS)[code])


def total_label(key: str) -> str:
    return _(TOTAL_LABELS[key])


def utility_label(utility: str) -> str:
    return _(UTILITY_LABELS[utility])
