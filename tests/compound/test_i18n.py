"""Every message the code shows has a Chinese translation with the same placeholders."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from compound.kit import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


PACKAGES = ("compound", "meters", "billing", "reports")


def _source_messages(package: str) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / package, METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(package: str):
    po = ROOT / package / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return []
    with po.open("rb") as f:
        return read_po(f, locale="zh_Hans")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_in_the_code_is_translated_in_its_packages_catalog(package):
    catalog = _catalog(package)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and m.string and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(_source_messages(package) - translated)
    assert not missing, (
        f"{package}: {len(missing)} untranslated (run scripts/i18n): {missing[:10]}"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_translations_keep_their_placeholders(package):
    for m in _catalog(package):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) <= wanted | set(PLACEHOLDER.findall(ids[0])), (m.id, s)
            assert set(PLACEHOLDER.findall(s)) >= set(PLACEHOLDER.findall(ids[0])) - {"num"}, (m.id, s)


def test_messages_follow_the_locale():
    i18n.set_locale("zh_Hans")
    assert i18n.gettext("Log in") != "Log in"
    i18n.set_locale("en")
    assert i18n.gettext("Log in") == "Log in"


def test_pages_speak_the_browsers_language(anon):
    assert "登录" in anon.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Log in" in anon.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    anon.get("/lang/en", follow_redirects=False)
    assert "Log in" in anon.get("/login", headers={"Accept-Language": "zh-CN"}).text  # the switch wins
