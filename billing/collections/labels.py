"""Collection words in the reader's language: action kinds, outcomes, close reasons; money as pages show it."""

from decimal import Decimal

from compound.kit import i18n

ACTIONS = {
    "written_notice": i18n.N_("Written notice"),
    "official_letter": i18n.N_("Official letter to the finance bureau"),
    "phone_call": i18n.N_("Phone call"),
    "home_visit": i18n.N_("Home visit"),
    "key_defaulter": i18n.N_("Key defaulter"),
}
OUTCOMES = {
    "reached": i18n.N_("reached"),
    "not_reached": i18n.N_("not reached"),
    "promised": i18n.N_("promised to pay"),
    "refused": i18n.N_("refused"),
    "paid": i18n.N_("paid"),
    "sent": i18n.N_("letter sent"),
}
REASONS = {
    "paid": i18n.N_("paid"),
    "promise_kept": i18n.N_("promise kept"),
    "below_levels": i18n.N_("below every level"),
}


def action_label(kind: str) -> str:
    return i18n.gettext(ACTIONS.get(str(kind), str(kind)))


def outcome_label(outcome: str | None) -> str:
    return i18n.gettext(OUTCOMES.get(str(outcome), str(outcome))) if outcome else ""


def reason_label(reason: str | None) -> str:
    return i18n.gettext(REASONS.get(str(reason), str(reason))) if reason else ""


def money(amount: Decimal | int | None) -> str:
    """1234.5 → "1,234.50" (yuan, two places)."""
    return f"{Decimal(amount or 0):,.2f}"


def money_fen(fen: int | None) -> str:
    """Integer fen → "1,234.50"."""
    return money(Decimal(int(fen or 0)).scaleb(-2))


TEMPLATE_HELPERS = {"action_label": action_label, "outcome_label": outcome_label, "reason_label": reason_label,
                    "money": money, "money_fen": money_fen}
