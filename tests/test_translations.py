"""French is the default language: every string the code marks for translation has a French text."""

from pathlib import Path

import polib
import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "fr" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(CATALOGUE / "django.po"))


def test_every_string_has_a_french_translation(po):
    missing = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert missing == [], f"untranslated: {missing[:10]}"
    assert fuzzy == [], f"fuzzy (to review): {fuzzy[:10]}"


def test_placeholders_are_kept_in_translations(po):
    import re

    placeholder = re.compile(r"%\(\w+\)s|\{\w+\}")
    for entry in po.translated_entries():
        expected = sorted(placeholder.findall(entry.msgid))
        if entry.msgid_plural:
            for text in entry.msgstr_plural.values():
                assert set(placeholder.findall(text)) <= set(placeholder.findall(entry.msgid_plural)) | set(expected)
        else:
            assert sorted(placeholder.findall(entry.msgstr)) == expected, entry.msgid


def test_compiled_catalogue_matches_the_sources(po):
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr or dict(e.msgstr_plural)) for e in mo}
    for entry in po.translated_entries():
        expected = entry.msgstr or {int(k): v for k, v in entry.msgstr_plural.items()}
        got = compiled.get((entry.msgctxt, entry.msgid))
        if isinstance(got, dict):
            got = {int(k): v for k, v in got.items()}
        assert got == expected, f"run `make messages`: {entry.msgid!r} is stale in django.mo"
