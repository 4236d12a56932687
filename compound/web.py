"""Page rendering shared by every package: one Jinja2 environment, translated, autoescaped."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from compound import i18n
from compound.auth.permissions import Perm, allowed

ROOT = Path(__file__).resolve().parent.parent
# Each package keeps its own templates/; the shell's base.html is found from all of them.
TEMPLATE_DIRS = [ROOT / pkg / "templates" for pkg in ("compound", "meters", "billing", "reports")]

env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS if d.is_dir()]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next page (Post/Redirect/Get)."""
    request.session.setdefault("flash", []).append([kind, message])


ROLE_LABELS = {
    "maintenance": i18n.N_("Maintenance"),
    "finance": i18n.N_("Finance"),
    "manager": i18n.N_("Manager"),
    "admin": i18n.N_("Administrator"),
}


def role_label(role: str) -> str:
    return i18n.gettext(ROLE_LABELS.get(str(role), str(role)))


def can(user: Any, perm: str) -> bool:
    """In templates: may this user do `perm`? (Shows only the links a role can use.)"""
    return user is not None and allowed(user.role, Perm(perm))


env.globals["role_label"] = role_label
env.globals["can"] = can


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A page, with the logged-in user and the CSRF token every form must carry."""
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    principal = getattr(request.state, "principal", None)
    html = env.get_template(template).render(
        request=request,
        locale=i18n.get_locale(),
        flashes=flashes,
        user=principal.view if principal else None,
        csrf_token=principal.csrf_token if principal else "",
        **(context or {}),
    )
    return HTMLResponse(html, status_code=status_code)
