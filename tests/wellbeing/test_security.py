"""Browser-facing security (issue 14, point 5): the content security policy and the other headers on
every kind of answer, no inline script in any template, session fixation, CSRF, the log-in lock-out
and the API rate limits.

Also shown elsewhere:
- an HR system over its rate gets 429 with Retry-After in the error shape:
  tests/wellbeing/test_hr_api_guarantees.py::test_a_client_over_its_rate_gets_429_with_retry_after
  (and test_hr_review_fixes.py::test_a_replay_counts_against_the_rate_limit);
- the lock lifts after the cool-off: tests/wellbeing/test_accounts.py::test_the_lock_lifts_after_the_cool_off;
- in a real browser no inline script runs and normal use reports no violation: tests/e2e/test_csp.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from cases import services as case_services
from talks.models import Talk
from tests.conftest import client_for, verified_login
from tests.factories import PASSWORD
from wellbeing.models import FollowUp

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SHAPE = {"message", "errors"}


def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response) -> None:
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"], policy["script-src"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert not any("unsafe" in value for name, values in policy.items() if name != "style-src" for value in values)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, permissions


class _InlineCode(HTMLParser):
    """Collects what a content security policy without 'unsafe-inline' would block: script elements
    with a body of code, on*= handler attributes and javascript: URLs. A <script type="application/json">
    (Django's json_script) is data, never run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._script = attributes

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        script = self._script
        if script is not None and data.strip() and script.get("type") != "application/json":
            self.found.append(f"<script> with a body: {data.strip()[:60]!r}")


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


# --- The headers on every kind of answer -----------------------------------------------------------

PAGES = [
    pytest.param("anonymous", "/accounts/login/", 200, id="log-in page"),
    pytest.param("anonymous", "/", 302, id="redirect to log-in"),
    pytest.param("staff", "/", 200, id="home"),
    pytest.param("supervisor", "/talks/new/", 200, id="talk form"),
    pytest.param("supervisor", "/leave/team/", 200, id="team calendar"),
    pytest.param("leading_group", "/programme/dashboard/", 200, id="dashboard with charts"),
    pytest.param("hr_officer", "/leave/reports/", 200, id="leave report with charts"),
    pytest.param("staff", "/no-such-page/", 404, id="404 page"),
    pytest.param("staff", "/admin/", 403, id="403 page"),
    pytest.param("administrator", "/admin/", 200, id="admin"),
    pytest.param("administrator", "/admin/wellbeing/orgunit/", 200, id="admin tree list"),
    pytest.param("administrator", "/admin/wellbeing/orgunit/add/", 200, id="admin form"),
    pytest.param("administrator", "/api/docs/", 200, id="API docs"),
    pytest.param("staff", "/api/v1/org-units/", 200, id="API JSON"),
    pytest.param("api_client", "/api/v1/org-units/", 200, id="API client JSON"),
    pytest.param("anonymous", "/api/v1/org-units/", 401, id="API 401"),
]


@pytest.mark.parametrize(("principal", "path", "status"), PAGES)
def test_every_kind_of_answer_carries_the_policy_and_the_security_headers(org, principal, path, status):
    response = client_for(org, principal).get(path)
    assert response.status_code == status
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    if response["Content-Type"].startswith("text/html"):
        assert inline_code(response.content.decode()) == []


def test_the_api_docs_load_their_start_up_script_as_a_file(org):
    client = client_for(org, "administrator")
    page = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page)
    assert script, "Swagger UI's start-up script is not a separate file"
    response = client.get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_two_factor_set_up_page_shows_its_qr_code_inline_under_the_policy(client, org):
    client.post("/accounts/login/", {"username": "counsellor", "password": PASSWORD})
    response = client.get("/accounts/2fa/setup/")
    assert response.status_code == 200
    assert_security_headers(response)
    html = response.content.decode()
    assert "<svg" in html  # inline SVG: needs no img-src for the QR code
    assert inline_code(html) == []


def test_the_safety_plan_prints_without_an_inline_handler(org):
    counsellor = org.users["counsellor"]
    case = case_services.case_open(actor=org.users["lead_counsellor"], referral=org.referral, counsellor=counsellor)
    case_services.safety_plan_save(actor=counsellor, case=case, sections={"warning_signs": "连续失眠"})
    response = client_for(org, "counsellor").get(f"/cases/{case.pk}/safety-plan/print/")
    assert response.status_code == 200
    assert_security_headers(response)
    html = response.content.decode()
    assert inline_code(html) == []
    assert "data-print" in html and "js/page_actions.js" in html


# --- No template holds inline script ---------------------------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def template_problems(text: str) -> list[str]:
    """Inline script in a template's source: a <script> without src or with a body, an on*= attribute
    in any tag (over several lines too), a javascript: URL."""
    problems = [
        f"inline <script>: {body.strip()[:60]!r}"
        for attributes, body in SCRIPT.findall(text)
        if body.strip() or "src=" not in attributes
    ]
    problems += [f"handler attribute: {tag[:60]!r}" for tag in TAG.findall(text) if HANDLER.search(tag)]
    if "javascript:" in text.lower():
        problems.append("javascript: URL")
    return problems


def test_no_template_has_an_inline_script_a_handler_attribute_or_a_javascript_url():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50  # the scan really looks at the templates
    problems = {
        str(path.relative_to(TEMPLATES)): found
        for path in templates
        if (found := template_problems(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


@pytest.mark.parametrize(
    "planted",
    [
        '<button class="btn" onclick="go()">x</button>',
        "<select\n  class=x onchange='this.form.submit()'>",
        "<script>window.x = 1</script>",
        '<script src="/static/x.js">window.x = 1</script>',
        '<a href="JavaScript:void(0)">x</a>',
    ],
)
def test_both_scans_find_inline_script(planted):
    assert template_problems(planted)
    assert inline_code(planted)


def test_both_scans_let_script_files_and_json_data_through():
    fine = '<script src="/static/js/page_actions.js" defer></script><button data-print>Print</button>'
    assert template_problems(fine) == [] and inline_code(fine) == []
    assert inline_code('<script id="d" type="application/json">{"a": 1}</script>') == []


# --- Session fixation ------------------------------------------------------------------------------


def _planted_session(client: Client) -> str:
    """A session an attacker made and handed to the victim's browser (a cookie set before log-in)."""
    store = SessionStore()
    store["planted"] = True
    store.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return store.session_key


def test_logging_in_never_keeps_a_planted_session_id(client, org):
    planted = _planted_session(client)
    response = client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != planted
    # The attacker's copy of the old id is not signed in.
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert attacker.get("/")["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 200


def _totp(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


def test_two_factor_verification_gives_the_session_a_new_id(client, org):
    device = TOTPDevice.objects.create(user=org.users["lead_counsellor"], name="phone", confirmed=True)
    client.post("/accounts/login/", {"username": "lead_counsellor", "password": PASSWORD})
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/accounts/2fa/verify/", {"token": _totp(device)})
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get("/people/").status_code == 200
    # Whoever held the password-only session id does not get the verified session.
    holder = Client()
    holder.cookies[settings.SESSION_COOKIE_NAME] = before
    assert holder.get("/people/")["Location"].startswith("/accounts/login/")


def test_enrolling_two_factor_gives_the_session_a_new_id(client, org):
    client.post("/accounts/login/", {"username": "counsellor", "password": PASSWORD})
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=org.users["counsellor"], confirmed=False)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/accounts/2fa/setup/", {"token": _totp(device)}).status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert client.get("/").status_code == 200


# --- CSRF --------------------------------------------------------------------------------------------


def _csrf_token(client: Client, path: str) -> str:
    client.get(path)
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def test_the_log_in_form_needs_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "staff", "password": PASSWORD}
    assert client.post("/accounts/login/", data).status_code == 403
    assert "_auth_user_id" not in client.session
    token = _csrf_token(client, "/accounts/login/")
    response = client.post("/accounts/login/", data | {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_talk_form_needs_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users["supervisor"])
    data = {
        "participants": [org.people["colleague"].pk],
        "kind": "individual",
        "occasion": "routine",
        "held_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "mood": "4",
        "main_content": "谈了近况",
        "confidentiality": "normal",
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
    }
    assert client.post("/talks/new/", data).status_code == 403
    assert not Talk.objects.exclude(pk=org.talk.pk).exists()
    token = _csrf_token(client, "/talks/new/")
    assert client.post("/talks/new/", data | {"csrfmiddlewaretoken": token}).status_code == 302
    assert Talk.objects.exclude(pk=org.talk.pk).count() == 1


def test_a_session_authenticated_api_write_needs_the_csrf_token(org):
    followup = org.followups["staff_task"]
    client = APIClient(enforce_csrf_checks=True)
    verified_login(client, org.users["staff"])
    url = f"/api/v1/follow-ups/{followup.pk}/complete/"
    refused = client.post(url, {}, format="json")
    assert refused.status_code == 403
    assert set(refused.json()) == SHAPE and "CSRF" in refused.json()["message"]
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.OPEN
    token = _csrf_token(client, "/")
    assert client.post(url, {}, format="json", headers={"X-CSRFToken": token}).status_code == 200
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.DONE


def test_an_api_client_s_bearer_token_needs_no_csrf_token(org):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {org.tokens['api_client']}")
    assert client.get("/api/v1/org-units/").status_code == 200


# --- Log-in lock-out ---------------------------------------------------------------------------------


def test_after_the_configured_failures_even_the_right_password_is_refused_on_a_clear_page(client, org):
    wrong = {"username": "staff", "password": "wrong-password-x"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/accounts/login/", wrong).status_code == 200  # the form, with its error
    assert client.post("/accounts/login/", wrong).status_code == 429  # the configured failure locks
    response = client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Too many failed log-ins" in html and "ask an administrator to unlock it" in html
    assert "_auth_user_id" not in client.session
    assert_security_headers(response)
    # Another account from the same address is not locked.
    assert client.post("/accounts/login/", {"username": "supervisor", "password": PASSWORD}).status_code == 302


# --- API rate limits -----------------------------------------------------------------------------------


@pytest.fixture
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_a_signed_in_user_over_the_api_rate_gets_429_with_retry_after(org, settings, fresh_counts):
    settings.API_USER_RATE_PER_MINUTE = 2
    staff = client_for(org, "staff", api=True)
    assert staff.get("/api/v1/org-units/").status_code == 200
    assert staff.get("/api/v1/follow-ups/").status_code == 200
    limited = staff.get("/api/v1/org-units/")
    assert limited.status_code == 429
    assert set(limited.json()) == SHAPE and limited.json()["message"]
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Each user has their own count, and the pages are not counted.
    assert client_for(org, "supervisor", api=True).get("/api/v1/org-units/").status_code == 200
    assert staff.get("/").status_code == 200
    # An HR system's count is its own too.
    assert client_for(org, "api_client").get("/api/v1/org-units/").status_code == 200


def test_an_api_client_over_its_rate_gets_429_with_retry_after(org, settings, fresh_counts):
    settings.API_CLIENT_RATE_PER_MINUTE = 1
    client = client_for(org, "api_client")
    assert client.get("/api/v1/org-units/").status_code == 200
    limited = client.get("/api/v1/org-units/")
    assert limited.status_code == 429
    assert set(limited.json()) == SHAPE
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert_security_headers(limited)


# --- The dependency audit (scripts/audit_dependencies.sh) -------------------------------------------

AUDIT = Path(settings.BASE_DIR) / "scripts" / "audit_dependencies.sh"
PLANTED_VULNERABILITY = {
    "id": "GHSA-tanx-test-0001",
    "summary": "Planted by the test",
    "aliases": ["CVE-2099-0001"],
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.2.99"}]}],
        }
    ],
}


class _FakeOsv(BaseHTTPRequestHandler):
    """An OSV-compatible service on loopback (the API pip-audit's OSV service calls): knows one
    vulnerability of django, or answers 503 when ``down``."""

    down = False

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.down:
            self.send_response(503)
            self.end_headers()
            return
        vulnerable = query["package"]["name"] == "django"
        body = json.dumps({"vulns": [PLANTED_VULNERABILITY]} if vulnerable else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_osv():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    _FakeOsv.down = False


def _audit(tmp_path, pins: str, *, services: str, osv_url: str = "") -> subprocess.CompletedProcess:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pins)
    bin_dir = Path(sys.executable).parent
    env = os.environ | {
        "AUDIT_REQUIREMENTS": str(requirements),
        "AUDIT_SERVICES": services,
        "AUDIT_OSV_URL": osv_url,
        "PIP_AUDIT": str(bin_dir / "pip-audit"),
        "PYTHON_FOR_AUDIT": sys.executable,
        "NO_PROXY": "127.0.0.1",
    }
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(AUDIT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1/query"


def test_the_audit_fails_on_a_vulnerable_pin_when_the_service_answers(tmp_path, fake_osv):
    result = _audit(tmp_path, "django==5.2.19\nhttpx==0.28.1\n", services="osv", osv_url=_url(fake_osv))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VULNERABLE: django==5.2.19: " in result.stdout and "GHSA-tanx-test-0001" in result.stdout
    assert "(fixed in: 5.2.99)" in result.stdout and "httpx" not in result.stdout


def test_the_audit_passes_when_the_service_knows_no_vulnerability(tmp_path, fake_osv):
    result = _audit(tmp_path, "httpx==0.28.1\nqrcode==8.2\n", services="osv", osv_url=_url(fake_osv))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No known vulnerabilities in 2 pinned packages (osv)." in result.stdout
    assert "NOT DONE" not in result.stdout


def test_an_unreachable_service_is_a_loud_notice_not_a_failure(tmp_path, fake_osv):
    _FakeOsv.down = True
    result = _audit(tmp_path, "django==5.2.19\n", services="osv", osv_url=_url(fake_osv))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DEPENDENCY AUDIT NOT DONE" in result.stdout
    assert "osv: unreachable" in result.stdout


def test_an_unreadable_requirements_file_fails_the_audit(tmp_path, fake_osv):
    result = _audit(tmp_path, "django>=5\n", services="osv", osv_url=_url(fake_osv))  # not a pin
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip-audit failed" in result.stdout
