"""Role names in the reader's language, and `can` for templates: show only the links a role may use."""

from typing import Any

from compound.auth.permissions import Perm, allowed
from compound.kit import i18n

ROLE_LABELS = {
    "maintenance": i18n.N_("Maintenance"),
    "finance": i18n.N_("Finance"),
    "manager": i18n.N_("Manager"),
    "admin": i18n.N_("Administrator"),
}


def role_label(role: str) -> str:
    return i18n.gettext(ROLE_LABELS.get(str(role), str(role)))


def can(user: Any, perm: str) -> bool:
    """In templates: may this user do `perm`?"""
    return user is not None and allowed(user.role, Perm(perm))
