"""Every user-facing string has a Simplified Chinese translation, and the compiled catalogue is
current. (English is the source language.)"""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
SOURCES = ["config", "wellbeing", "leave", "cases", "talks", "templates", "locale"]

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed: `apt-get install gettext` to run this check "
    "(CI installs it, so it always runs there)",
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """Run makemessages on a copy of the sources, so the committed catalogue is left untouched."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext is not installed")
    root = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        src = Path(settings.BASE_DIR) / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    cwd = Path.cwd()
    try:
        import os

        os.chdir(root)
        with override_settings(LOCALE_PATHS=[root / "locale"]):
            call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    return polib.pofile(str(root / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


@needs_gettext
def test_every_string_is_translated(extracted):
    untranslated = [e.msgid for e in extracted.untranslated_entries()]
    fuzzy = [e.msgid for e in extracted.fuzzy_entries()]
    assert not untranslated, f"Untranslated (run makemessages and translate): {untranslated}"
    assert not fuzzy, f"Fuzzy entries to review: {fuzzy}"


@needs_gettext
def test_the_committed_catalogue_holds_exactly_the_strings_in_the_code(extracted):
    committed = polib.pofile(str(CATALOGUE / "django.po"))
    key = lambda e: (e.msgctxt, e.msgid, e.msgid_plural)  # noqa: E731
    in_code = {key(e) for e in extracted if not e.obsolete}
    in_file = {key(e) for e in committed if not e.obsolete}
    assert in_code - in_file == set(), "Strings missing from locale/zh_Hans (run makemessages)"
    assert in_file - in_code == set(), "Stale strings in locale/zh_Hans (run makemessages --no-obsolete)"


def test_the_compiled_catalogue_is_current():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))

    def entries(catalogue):
        out = {}
        for e in catalogue:
            if e.obsolete or "fuzzy" in e.flags or not (e.msgstr or e.msgstr_plural):
                continue
            value = e.msgstr or tuple(e.msgstr_plural[k] for k in sorted(e.msgstr_plural))
            out[(e.msgctxt, e.msgid)] = value
        return out

    assert entries(po) == entries(mo), "django.mo is stale: run `python manage.py compilemessages`"
    assert not po.untranslated_entries() and not po.fuzzy_entries()
