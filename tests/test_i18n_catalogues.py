"""The message catalogues: complete in every language, in step with the code, compiled from the .po sources."""

from __future__ import annotations

import re
import shutil

import pytest

from escrutinio.web import catalogues, i18n
from escrutinio.web.i18n import LANGUAGES, MESSAGES, Language, po_path


def test_every_message_is_translated_in_every_language():
    assert catalogues.problems() == []


def test_nothing_is_left_in_the_old_messages_dict():
    assert all(not strings for strings in MESSAGES.values()), "move these strings to the .po catalogues"


def test_every_language_has_a_catalogue():
    for code in LANGUAGES:
        assert po_path(code).exists(), code


@pytest.fixture
def spanish_copy(tmp_path, monkeypatch):
    """Every catalogue copied to a folder the checks then read; the Spanish one's path, to break it."""
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    for code in LANGUAGES:
        target = tmp_path / code / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True)
        shutil.copy(catalogues.PACKAGE / "web" / "locale" / code / "LC_MESSAGES" / "messages.po", target)
    return tmp_path / "es" / "LC_MESSAGES" / "messages.po"


def test_a_missing_message_is_reported(spanish_copy):
    """The check is not vacuous: a catalogue without one of the ids in use fails it."""
    es = spanish_copy
    text = es.read_text(encoding="utf-8")
    cut = re.sub(r'\nmsgid "Skip to content"\nmsgstr "[^"]*"\n', "\n", text)
    assert cut != text
    es.write_text(cut, encoding="utf-8")
    assert catalogues.problems() == ["es: missing 'Skip to content'"]


def test_placeholders_must_match(spanish_copy):
    es = spanish_copy
    text = es.read_text(encoding="utf-8")
    broken = text.replace('msgstr "{n} actualización nueva"', 'msgstr "{m} actualización nueva"')
    assert broken != text
    es.write_text(broken, encoding="utf-8")
    assert catalogues.problems() == ["es: placeholders of 'new_updates_one' differ: '{m} actualización nueva'"]


def test_the_po_source_is_what_pages_use(tmp_path, monkeypatch):
    """No compiled file to go stale: a .po changed is what the next catalogue load returns."""
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    target = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    text = (catalogues.PACKAGE / "web" / "locale" / "es" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    target.write_text(text.replace('msgstr "Saltar al contenido"', 'msgstr "Ir al contenido"'), encoding="utf-8")
    i18n.translations.cache_clear()
    try:
        assert Language("es", "es_VE").t("Skip to content") == "Ir al contenido"
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()
    assert Language("es", "es_VE").t("Skip to content") == "Saltar al contenido"


def test_parameters_are_filled_after_translation():
    assert Language("en", "es_VE").t("new_updates_one") == "{n} new update"  # filled by the page's script
    assert Language("es", "es_VE").t("{n} of {total}", n="1", total="2") == "1 of 2"  # unknown id: itself


def test_keys_read_as_their_text():
    assert Language("es", "es_VE").t("status_counted") == "escrutada"
    assert Language("en", "es_VE").t("status_counted") == "counted"


def test_a_language_without_a_catalogue_falls_back_to_english():
    assert Language("fr", "fr_CH").t("status_counted") == "counted"


@pytest.mark.parametrize("locale, expected", [("pt_BR", "68.760"), ("de_CH", "25’122"), ("es_VE", "68.760")])
def test_numbers_in_the_election_locale_whatever_the_page_language(locale, expected):
    value = int(re.sub(r"\D", "", expected))
    for code in LANGUAGES:
        assert Language(code, locale).number(value) == expected
