"""The audit trail in words a clerk reads: what was done, to what, which fields, and values as people write them.

The entries keep the internal names (the API and the CSV export give them as stored); the page shows these
labels, and its filter takes either. A name without a label is shown with its underscores as spaces.
"""

from typing import Any

from compound.kit.i18n import LOCALES, N_, gettext, translations

ACTIONS: dict[str, str] = {
    "create": N_("added"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "login": N_("logged in"),
    "logout": N_("logged out"),
    "import": N_("imported"),
    "multiplier_change": N_("multiplier changed"),
}

OBJECTS: dict[str, str] = {
    # the core
    "compound": N_("compound"),
    "zone": N_("zone"),
    "building": N_("building"),
    "account": N_("account"),
    "user": N_("user"),
    "user_compound": N_("a user's access to a compound"),
    "api_token": N_("API token"),
    # meters
    "meter": N_("meter"),
    "transformer": N_("transformer"),
    "unmetered_use": N_("unmetered use"),
    "seal": N_("seal"),
    "reading": N_("reading"),
    # billing
    "customer_class": N_("customer class"),
    "billing_settings": N_("billing settings"),
    "billing_account": N_("billing account"),
    "household_size": N_("household size"),
    "tariff": N_("tariff"),
    "tariff_component": N_("tariff component"),
    "tariff_block": N_("tariff block"),
    "tariff_charge": N_("tariff charge"),
    "billing_period": N_("billing period"),
    "bill_adjustment": N_("bill adjustment"),
    # reports
    "unbilled_account": N_("unbilled account"),
    "balance_settings": N_("balance settings"),
    "loss_cable": N_("loss cable"),
    "utility_bill": N_("utility bill"),
    "utility_bill_line": N_("utility bill line"),
    "night_flow_test": N_("night-flow test"),
    "night_flow_reading": N_("night-flow reading"),
    "finding": N_("finding"),
    "work_order": N_("work order"),
    "meter_test": N_("meter test"),
    "finding_settings": N_("finding settings"),
}

FIELDS: dict[str, str] = {
    "id": N_("number"),
    "compound_id": N_("compound"),
    "code": N_("code"),
    "name": N_("name"),
    "kind": N_("kind"),
    "timezone": N_("timezone"),
    "spike_factor": N_("spike factor"),
    "zone_id": N_("zone"),
    "building_id": N_("building"),
    "flat": N_("flat"),
    "phone": N_("phone"),
    "payer": N_("paid by"),
    "move_in_date": N_("moved in"),
    "move_out_date": N_("moved out"),
    "username": N_("user name"),
    "display_name": N_("display name"),
    "role": N_("role"),
    "is_active": N_("active"),
    "all_compounds": N_("every compound"),
    "user_id": N_("user"),
    "utility": N_("utility"),
    "serial": N_("serial"),
    "location": N_("location"),
    "account_id": N_("account"),
    "parent_id": N_("parent meter"),
    "transformer_id": N_("transformer"),
    "multiplier": N_("multiplier"),
    "dials": N_("dials"),
    "walk_order": N_("walk order"),
    "installed_date": N_("installed"),
    "removed_date": N_("removed"),
    "status": N_("status"),
    "replaces_id": N_("replaces meter"),
    "hv_side": N_("metered on the high-voltage side"),
    "meter_id": N_("meter"),
    "number": N_("seal number"),
    "sealed_date": N_("sealed on"),
    "sealed_by": N_("sealed by"),
    "broken_date": N_("broken on"),
    "broken_by": N_("broken by"),
    "broken_note": N_("why broken"),
    "read_at": N_("read at"),
    "value_milli": N_("reading (thousandths)"),
    "consumption_milli": N_("use (thousandths)"),
    "period_seconds": N_("seconds since the last reading"),
    "rollover": N_("rollover"),
    "source": N_("source"),
    "read_by": N_("read by"),
    "note": N_("note"),
    "confirmed": N_("confirmed"),
    "superseded_by_id": N_("superseded by"),
    "corrects_id": N_("corrects"),
    "created_at": N_("created"),
    "revoked_at": N_("revoked"),
    "last_used_at": N_("last used"),
    "password_changed_at": N_("password changed"),
    "prefix": N_("prefix"),
    "readings": N_("readings"),
    "mode": N_("mode"),
    "total": N_("rows"),
    "saved": N_("saved"),
    "refused": N_("refused"),
}


def _plain(name: str) -> str:
    return name.replace("_", " ")


def action_label(action: str) -> str:
    return gettext(ACTIONS[action]) if action in ACTIONS else _plain(action)


def object_label(object_type: str) -> str:
    return gettext(OBJECTS[object_type]) if object_type in OBJECTS else _plain(object_type)


def field_label(name: str) -> str:
    return gettext(FIELDS[name]) if name in FIELDS else _plain(name)


def value_text(value: Any) -> str:
    """A stored value as a clerk reads it: yes or no, a dash for none."""
    if value is True:
        return gettext("yes")
    if value is False:
        return gettext("no")
    if value is None or value == "":
        return "—"
    return str(value)


def _names(table: dict[str, str], text: str) -> str | None:
    """The internal name a reader typed: itself, or a label in English or in the reader's language."""
    wanted = text.strip().casefold()
    if not wanted:
        return None
    if wanted in table:
        return wanted
    for locale in LOCALES:
        for name, label in table.items():
            if translations(locale).ugettext(label).casefold() == wanted or _plain(name) == wanted:
                return name
    return text.strip()


def object_type_named(text: str | None) -> str | None:
    """The filter's object: "计量表", "meter" or "Meter" all mean meter."""
    return _names(OBJECTS, text) if text else None


def action_named(text: str | None) -> str | None:
    return _names(ACTIONS, text) if text else None
