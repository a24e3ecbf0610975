"""Translations. Chinese (zh_Hans_CN) is the default language, English the source language of the
msgids (it needs no catalog). The Chinese catalog must be complete, compiled, and in step with the
sources; the language switch must work.

Refresh everything with one command:  scripts/translations.sh
(extract -> update the .po -> compile the .mo; translate the new empty msgstrs, run it again, and
commit the .pot, .po and .mo files)."""
from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from intranet.core.models import Role

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "intranet" / "translations"
LOCALE = "zh_Hans_CN"
ZH_PO = TRANSLATIONS / LOCALE / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / LOCALE / "LC_MESSAGES" / "messages.mo"
REFRESH = "scripts/translations.sh"
# The same -k options as scripts/translations.sh passes to `pybabel extract`.
KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2"]


def _key(message_id, context=None):
    """The identity of a message in a catalog: its (singular) msgid and its context."""
    return (message_id[0] if isinstance(message_id, (list, tuple)) else message_id), context


def _read_zh_po():
    assert ZH_PO.exists(), f"{ZH_PO.relative_to(ROOT)} is missing: run {REFRESH}"
    with ZH_PO.open("rb") as f:
        return read_po(f, locale=LOCALE)


def _placeholders(text: str) -> list[str]:
    """The %-placeholders of a string, e.g. ['%(name)s', '%(n)d'] (a literal %% is not one)."""
    return sorted(match.group(0) for match in PYTHON_FORMAT.finditer(text) if match.group(0) != "%%")


def _listing(items, limit=60):
    lines = [f"  - {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)


def test_every_chinese_msgid_is_translated_and_not_fuzzy():
    catalog = _read_zh_po()
    messages = [m for m in catalog if m.id]
    assert messages, "the Chinese catalog holds no message"
    untranslated = [m.id for m in messages
                    if not (all(m.string) if isinstance(m.string, (list, tuple)) else m.string)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    problems = []
    if catalog.fuzzy:
        problems.append("the header (msgid \"\") is marked fuzzy: pybabel compile skips such a catalog")
    if untranslated:
        problems.append(f"{len(untranslated)} msgid(s) have no Chinese msgstr:\n{_listing(untranslated)}")
    if fuzzy:
        problems.append(f"{len(fuzzy)} msgid(s) are marked fuzzy (a guess the app does not show): check the "
                        f"msgstr and remove the fuzzy flag:\n{_listing(fuzzy)}")
    assert not problems, (f"in {ZH_PO.relative_to(ROOT)}:\n" + "\n".join(problems)
                          + f"\nThen run {REFRESH} compile.")


def test_chinese_translations_keep_every_placeholder():
    """Every %(name)s / %(n)d of a msgid must reappear, unchanged, in its msgstr: a missing one
    loses information, a misspelt one fails at run time."""
    catalog = _read_zh_po()
    problems = []
    for message in catalog:
        if not message.id or "python-format" not in message.flags:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        wanted = _placeholders(ids[-1])
        for string in strings:
            if string and _placeholders(string) != wanted:
                problems.append(f"{message.id!r} -> {string!r}: placeholders {sorted(_placeholders(string))} "
                                f"instead of {sorted(wanted)}")
    assert not problems, "placeholders differ between msgid and msgstr:\n" + _listing(problems)


def test_compiled_mo_is_up_to_date_with_the_po():
    assert ZH_MO.exists(), f"{ZH_MO.relative_to(ROOT)} is missing: run {REFRESH} compile"
    buffer = io.BytesIO()
    write_mo(buffer, _read_zh_po())  # what compiling the .po now gives (fuzzy entries left out)
    buffer.seek(0)
    expected = {k: v for k, v in gettext.GNUTranslations(buffer)._catalog.items() if k != ""}
    with ZH_MO.open("rb") as f:
        compiled = {k: v for k, v in gettext.GNUTranslations(f)._catalog.items() if k != ""}
    stale = sorted({str(k) for k in expected.keys() ^ compiled.keys()}
                   | {str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k]})
    assert not stale, (f"{ZH_MO.relative_to(ROOT)} is out of date with the .po for {len(stale)} message(s):\n"
                       f"{_listing(stale)}\nRun {REFRESH} compile and commit the .mo.")


def test_every_msgid_in_the_sources_is_in_the_chinese_catalog():
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)}
    found: dict[tuple, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords):
        found.setdefault(_key(message, context), f"{filename}:{lineno}")
    assert len(found) > 50, f"extraction found only {len(found)} msgids: is babel.cfg right?"
    in_catalog = {_key(m.id, m.context) for m in _read_zh_po() if m.id}
    missing = sorted(key for key in found if key not in in_catalog)
    assert not missing, (
        f"{len(missing)} msgid(s) in the sources are not in {ZH_PO.relative_to(ROOT)}:\n"
        + _listing([f"{msgid!r}{f' (context {ctx!r})' if ctx else ''}  at {found[(msgid, ctx)]}"
                    for msgid, ctx in missing])
        + f"\nRun `{REFRESH}`, translate the new empty msgstrs in the .po, run `{REFRESH} compile`, and commit "
          "the .pot, .po and .mo.")


def test_flask_babel_finds_the_chinese_catalog_under_its_locale_name():
    """Flask-Babel asks for str(Locale.parse('zh_Hans_CN')) == 'zh_Hans_CN' in each translation directory."""
    translations = Translations.load(str(TRANSLATIONS), [Locale.parse(LOCALE)])
    assert isinstance(translations, Translations), f"no catalog found for {LOCALE} under {TRANSLATIONS}"
    assert translations.gettext("Sign in") == "登录"


def test_login_page_is_chinese_by_default_and_english_after_switching(client):
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in body
    assert "登录" in body and "用户名" in body
    assert "Sign in" not in body

    response = client.post("/language/en", data={"next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Sign in" in body and "User name" in body
    assert "登录" not in body

    client.post("/language/zh_Hans_CN", data={"next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_lazy_labels_follow_the_language(client, login_as):
    """Navigation and role labels are lazy strings, translated when the page renders."""
    login_as(Role.ADVISOR)
    client.post("/language/zh_Hans_CN", data={"next": "/"})
    body = client.get("/").get_data(as_text=True)
    assert "我的今日" in body and "服务顾问" in body

    client.post("/language/en", data={"next": "/"})
    body = client.get("/").get_data(as_text=True)
    assert "My day" in body and "Service advisor" in body
    assert "我的今日" not in body


@pytest.mark.parametrize("code", ["xx", "fr"])
def test_an_unknown_language_is_ignored(client, code):
    client.post(f"/language/{code}", data={"next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_a_warranty_claim_is_not_an_insurance_claim(app):
    """"Claim number" is 报案号 on an insurance repair order and 索赔单号 on a warranty old part: two
    words in Chinese, so the warranty one carries a message context."""
    with app.test_request_context():
        text = app.jinja_env.from_string("{{ pgettext('warranty', 'Claim number') }}|{{ _('Claim number') }}").render()
    assert text == "索赔单号|报案号"
    template = (Path(app.template_folder) / "parts" / "old_parts.html").read_text(encoding="utf-8")
    assert "pgettext('warranty', 'Claim number')" in template
