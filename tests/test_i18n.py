"""Every user-facing string has a Simplified Chinese translation, and the compiled catalogue is
current. (English is the source language.)"""

import re
import shutil
from datetime import timedelta
from pathlib import Path

import polib
import pytest
import time_machine
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.fields import empty

from talks import cadence
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services
from wellbeing.models import FollowUp, Notification, Role, Stage
from wellbeing.reminders.scan import run_scan

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
SOURCES = ["config", "wellbeing", "leave", "cases", "talks", "programme", "templates", "locale"]

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


# --- One language per page (issue 8, item 7) ---------------------------------------------------------------

#: Chinese characters and full-width punctuation.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
#: What is not prose in a msgstr: placeholders, URLs, HTML tags, code and quoted literals.
NOT_PROSE = re.compile(
    r"%\([^)]*\)[sdrfi]|%[sdrfi]|\{[^{}]*\}|https?://\S+|<[^<>]*>|`[^`]*`|'[^'\n]*'|\"[^\"\n]*\""
    r"|[\x21-\x7e]*\[[\x21-\x7e]*\][\x21-\x7e]*"  # a format written in code: YYYY-MM-DD[Thh:mm[:ss]]
)
HALF_WIDTH_IN_CHINESE = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef][,.:;()]|[,.:;()][\u3400-\u4dbf\u4e00-\u9fff]"
)


def chinese_punctuation_problems(text: str) -> list[str]:
    """Half-width ``,.:;()`` next to Chinese, and brackets inside brackets (placeholders, URLs, tags and
    code left aside)."""
    prose = NOT_PROSE.sub("X", text)
    problems = [f"half-width {m.group()!r}" for m in HALF_WIDTH_IN_CHINESE.finditer(prose)]
    depth = 0
    for ch in prose:
        if ch in "(（[【":
            depth += 1
            if depth > 1:
                problems.append("brackets inside brackets")
                break
        elif ch in ")）]】":
            depth = max(depth - 1, 0)
    return problems


def test_chinese_translations_use_full_width_punctuation_and_no_nested_brackets():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    bad = {}
    for e in po:
        for text in [e.msgstr] if e.msgstr else list(e.msgstr_plural.values()):
            if problems := chinese_punctuation_problems(text):
                bad[e.msgid] = (text, problems)
    assert not bad, f"Use ，。：；（） in Chinese and no brackets inside brackets: {bad}"


def test_the_punctuation_check_catches_what_it_should():
    assert chinese_punctuation_problems("确保该值为 %(limit_value)s (现在为 %(show_value)s)。")
    assert chinese_punctuation_problems("待受理转介（紧急（一天内））")
    assert not chinese_punctuation_problems("带时区偏移（如 +08:00 或 Z）时按该时刻理解：%(name)s。")
    assert not chinese_punctuation_problems("请求头无效：格式应为 'Bearer <token>'。见 https://example.org/a.b")
    assert not chinese_punctuation_problems("请使用以下格式之一：YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|Z]。")


def _validation_messages() -> dict[str, str]:
    """Errors a form or the API shows, as the active language words them."""
    shown = {}
    form_fields = {
        "required": (forms.CharField(), ""),
        "max_length": (forms.CharField(max_length=3), "abcdef"),
        "min_length": (forms.CharField(min_length=3), "a"),
        "choice": (forms.ChoiceField(choices=[("a", "A")]), "b"),
        "integer": (forms.IntegerField(), "x"),
        "max_value": (forms.IntegerField(max_value=3), "9"),
        "date": (forms.DateField(), "x"),
        "datetime": (forms.DateTimeField(), "x"),
        "email": (forms.EmailField(), "x"),
    }
    for name, (field, value) in form_fields.items():
        try:
            field.clean(value)
        except ValidationError as exc:
            shown[f"form {name}"] = " ".join(exc.messages)
    api_fields = {
        "required": (serializers.CharField(), empty),
        "blank": (serializers.CharField(), ""),
        "max_length": (serializers.CharField(max_length=3), "abcdef"),
        "choice": (serializers.ChoiceField(choices=["a"]), "b"),
        "integer": (serializers.IntegerField(), "x"),
        "date": (serializers.DateField(), "x"),
        "datetime": (serializers.DateTimeField(), "x"),
    }
    for name, (field, value) in api_fields.items():
        try:
            field.run_validation(value)
        except serializers.ValidationError as exc:
            shown[f"api {name}"] = " ".join(str(m) for m in exc.detail)
    return shown


def test_validation_messages_read_naturally_in_chinese():
    with translation.override("en"):
        english = _validation_messages()
    with translation.override("zh-hans"):
        chinese = _validation_messages()
    assert set(chinese) == set(english) and len(chinese) == 16
    bad = {
        name: text
        for name, text in chinese.items()
        if text == english[name]
        or not CJK.search(text)
        or "该变量" in text
        or "该字段" in text
        or chinese_punctuation_problems(text)
    }
    assert not bad, f"Machine-like or untranslated Chinese: {bad}"


def _text(html: str, element_id: str, testid: str) -> str:
    block = re.search(rf'(?<![-\w])id="{element_id}".*?(?=(?<![-\w])id="notification-|</main>|$)', html, re.S)
    assert block, element_id
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)<', block.group(0), re.S)
    return found.group(1).strip() if found else ""


def _page_texts(client, language: str, followup, notification_ids) -> dict[str, str]:
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    detail = client.get(f"/follow-ups/{followup.pk}/", **headers).content.decode()
    texts = {"follow-up": re.search(r'data-testid="followup-title">(.*?)<', detail, re.S).group(1)}
    inbox = client.get("/inbox/", **headers).content.decode()
    for n in notification_ids:
        texts[f"inbox {n} title"] = _text(inbox, f"notification-{n}", "notification-title")
        texts[f"inbox {n} stage"] = _text(inbox, f"notification-{n}", "notification-body")
    return texts


def test_stored_system_texts_follow_the_readers_language(as_principal, org):
    """A follow-up, an inbox item from a reminder (title and stage), a role notice and every stage
    message, rendered in English and in Chinese: nothing the system wrote is left in the language of
    whoever was active when it was stored. (Names are Latin here, so the English page has no Chinese.)"""
    person = make_person(org.section_a1, full_name="Li Ming", manager=org.people["supervisor"])
    with override_settings(LANGUAGE_CODE="zh-hans"), translation.override("zh-hans"):
        cadence.sync_person(actor=ACTOR, person=person)
        newcomer = UserFactory(username="newcomer")
        services.role_assign(actor=org.users["administrator"], user=newcomer, role=Role.COUNSELLOR)
    talk_due = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=person, status="open")
    with time_machine.travel(talk_due.due_at + timedelta(days=1)):
        run_scan(timezone.now(), quiet_hours=False)
    reminders = list(Notification.objects.filter(reminder__followup=talk_due).values_list("pk", flat=True))
    [notice] = [
        n
        for n in Notification.objects.filter(recipient=org.users["lead_counsellor"]).exclude(message_key="")
        if n.params.get("name") == "newcomer"
    ]
    assert reminders

    pages = {}
    for language in ("en", "zh-hans"):
        pages[language] = _page_texts(as_principal("supervisor"), language, talk_due, reminders)
        lead = _page_texts(as_principal("lead_counsellor"), language, org.referral.followup, [notice.pk])
        pages[language] |= {f"notice {k}": v for k, v in lead.items() if k.startswith("inbox")}
        with translation.override(language):
            pages[language] |= {f"stage {s.value}": s.message for s in Stage}
    english, chinese = pages["en"], pages["zh-hans"]
    assert all(english.values()) and set(english) == set(chinese)
    assert "Li Ming" in english["follow-up"] and "Li Ming" in chinese["follow-up"]
    in_chinese_on_english_page = {k: v for k, v in english.items() if CJK.search(v)}
    in_english_on_chinese_page = {k: v for k, v in chinese.items() if v and not CJK.search(v)}
    assert not in_chinese_on_english_page, "Stored text shown in Chinese on an English page"
    assert not in_english_on_chinese_page, "Stored text shown in English on a Chinese page"


def test_the_admins_third_party_sections_are_in_chinese(as_principal, org):
    """django-axes (log-in lock-out) and django-otp (two-factor devices) on a Chinese admin page."""
    AccessAttempt.objects.create(
        user_agent="Mozilla/5.0",
        ip_address="10.0.0.1",
        username="staff",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=2,
    )
    client = as_principal("administrator")
    english_left = {}
    for url in ["/admin/", "/admin/axes/accessattempt/", "/admin/axes/accesslog/", "/admin/otp_totp/totpdevice/"]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        html = re.sub(r"<script.*?</script>|<[^>]+>", " ", response.content.decode(), flags=re.S)
        words = {
            "Axes",
            "Otp_Totp",
            "Log-in lock-out",
            "Two-factor log-in",
            "Two-factor devices",
            "Access attempts",
            "Access logs",
            "Attempt Time",
            "IP Address",
            "User Agent",
            "Failed Logins",
            "Attempt Remaining",
            "Status",
            "TOTP device",
            "Confirmed",
            "Last used at",
            "Model name",
        }
        english_left[url] = sorted(w for w in words if re.search(rf"(?<![\w/]){re.escape(w)}(?![\w/])", html))
    assert not any(english_left.values()), english_left
