"""The packages the shell is built from, in layer order. Adding a package is one line here."""

from functools import cache
from importlib import import_module
from typing import Any

from compound.audit import service as audit
from compound.jobs import registry as jobs
from compound.kit import i18n, web
from compound.kit.contributes import Contribution

PACKAGES = ("compound.auth", "compound.audit", "compound.register", "compound.jobs", "meters", "billing", "reports")


@cache
def contributions() -> tuple[Contribution, ...]:
    """Every package's contribution, installed once: its tables known, audited, its templates and catalog found."""
    found = tuple(import_module(f"{name}.contributes").CONTRIBUTES for name in PACKAGES)
    for c in found:
        for model, entry in c.audited.items():
            audit.register(model, entry)
        for job in c.jobs:
            jobs.add(job)
        if c.templates:
            web.add_templates(c.templates)
        if c.locale:
            i18n.add_catalog(c.locale)
        web.env.globals.update(c.template_globals)
    return found


def routers() -> list[Any]:
    return [import_module(path).router for c in contributions() for path in c.routers]


def upload_paths() -> list[str]:
    return [p for c in contributions() for p in c.upload_paths]


def load(path: str) -> Any:
    """"package.module:name" → the object."""
    module, _, attr = path.partition(":")
    return getattr(import_module(module), attr)
