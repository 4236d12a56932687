"""Translations (Babel catalogs, English source strings) and the current request's locale.

Placeholders are %(name)s, the same in Python and in Jinja2's new-style gettext.

Each top-level package keeps its own catalog (`<package>/locale/zh_Hans/LC_MESSAGES/messages.po`): the
kit's own covers `compound/` (kit, core domains, shell), and the shell adds each package's. The .po files
are compiled in memory when first used, so a catalog can never be stale against its .mo.
"""

from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_Hans", "en")  # the first is the default for a Chinese public body
CATALOGS: list[Path] = [Path(__file__).resolve().parent.parent / "locale"]

_current: ContextVar[str] = ContextVar("locale", default=LOCALES[0])


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return message


def add_catalog(folder: Path) -> None:
    """A package's locale/ folder; its messages join the catalogs already known."""
    if folder not in CATALOGS:
        CATALOGS.append(folder)
        translations.cache_clear()


def _compiled(po: Path, locale: str) -> Translations:
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


@lru_cache
def translations(locale: str) -> NullTranslations:
    merged: Translations | None = None
    for folder in CATALOGS:
        po = folder / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            compiled = _compiled(po, locale)
            merged = compiled if merged is None else merged.merge(compiled)
    return merged or NullTranslations()


def normalize(tag: str | None) -> str | None:
    """'zh-CN', 'zh_Hans', 'zh' → 'zh_Hans'; 'en-US' → 'en'; anything else → None."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_Hans"
    if tag.startswith("en"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best of our locales for an Accept-Language header, by its q-values."""
    if not header:
        return None
    choices = []
    for i, part in enumerate(header.split(",")):
        lang, _, params = part.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if (loc := normalize(lang)) and q > 0:
            choices.append((-q, i, loc))
    return min(choices)[2] if choices else None


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else LOCALES[0])


def get_locale() -> str:
    return _current.get()


def gettext(message: str, **params: object) -> str:
    text = translations(get_locale()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext
