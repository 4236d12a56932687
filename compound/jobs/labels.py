"""The words for a run's outcome and trigger, in the reader's language."""

from compound.kit import i18n

OUTCOMES = {
    "running": i18n.N_("running"),
    "ok": i18n.N_("ok"),
    "failed": i18n.N_("failed"),
    "abandoned": i18n.N_("abandoned"),
}
TRIGGERS = {"scheduled": i18n.N_("scheduled"), "manual": i18n.N_("by hand")}


def outcome_label(outcome: str) -> str:
    return i18n.gettext(OUTCOMES.get(str(outcome), str(outcome)))


def trigger_label(trigger: str) -> str:
    return i18n.gettext(TRIGGERS.get(str(trigger), str(trigger)))
