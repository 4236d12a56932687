"""Page rendering shared by every package: one Jinja2 environment, translated, autoescaped."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from compound.kit import i18n

KIT_TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(KIT_TEMPLATES))]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def add_templates(folder: Path) -> None:
    """A package's templates/: its pages extend the kit's base.html, found from every folder."""
    loaders = env.loader.loaders  # type: ignore[union-attr]
    if not any(str(folder) in getattr(loader, "searchpath", ()) for loader in loaders):
        loaders.append(FileSystemLoader(str(folder)))


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next page (Post/Redirect/Get)."""
    request.session.setdefault("flash", []).append([kind, message])


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
