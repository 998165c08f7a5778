"""The content security policy in a real browser (issue 14, "Done when": the CSP test proves no inline
script runs). Chromium reports every violation as a ``securitypolicyviolation`` event and a console
error; both are collected for every page of a session.

- Normal use reports nothing: the log-in page, the home page, the language switch, the talk form with
  its person picker and action rows, the team calendar's "show my own leave too", the dashboard's
  charts, the safety plan's "Print" button, the admin and the API documentation.
- Script put into a page (a <script> element, an on*= handler, a javascript: URL) does not run, and
  the browser reports it; the same injection without the policy does run, so the check can fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import services as case_services
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}

#: Runs before the page's own scripts in every document (Playwright's init script is not page
#: content, so the policy does not apply to it): hands each violation to the test, keeps a copy in
#: the page, and replaces the print dialogue (which a headless browser cannot show) with a counter.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const v = {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, page: location.pathname};
  window.__csp.push(v);
  window.reportViolation(v);
});
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""

#: Three ways an attacker's markup would try to run script, each setting a flag if it ran.
INJECT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__pwned_element = 1";
  document.head.appendChild(script);
  const button = document.createElement("button");
  button.setAttribute("onclick", "window.__pwned_handler = 1");
  document.body.appendChild(button);
  button.click();
  const link = document.createElement("a");
  link.href = "javascript:window.__pwned_url = 1";
  document.body.appendChild(link);
  link.click();
}"""
FLAGS = "() => [window.__pwned_tag, window.__pwned_element, window.__pwned_handler, window.__pwned_url]"
# Waits are written as functions, never as bare expressions: Playwright compiles a bare expression with
# eval() in the page on every poll, which the policy (rightly) blocks and reports as a violation.
PRINTED_ONCE = "() => window.__printed === 1"
FOUR_REPORTED = "() => window.__csp.length >= 4"


@dataclass
class Session:
    page: object
    violations: list = field(default_factory=list)
    console: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def assert_clean(self):
        assert self.violations == [], self.violations
        assert self.console == [], self.console
        assert self.errors == [], self.errors


def _session(browser, live_server, org, username: str, *, bypass_csp: bool = False) -> Session:
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=bypass_csp)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    session = Session(page)
    context.expose_function("reportViolation", lambda violation: session.violations.append(violation))
    context.add_init_script(WATCH)
    page.on(
        "console",
        lambda m: (
            session.console.append(m.text)
            if "Content Security Policy" in m.text or "Permissions-Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: session.errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/2fa/verify/" in page.url:
        device = TOTPDevice.objects.get(user=org.users[username])
        totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        page.fill("#id_token", f"{totp.token():0{device.digits}d}")
        page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return session


def _settle(page) -> None:
    """Violations are reported as events after the fact: give the page a moment to report them."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)


def test_normal_use_reports_no_violation_and_the_handlers_work_from_the_script_file(browser, live_server, org):
    # A member of staff: the log-in page, the home page, and the language switch (it submits on change).
    staff = _session(browser, live_server, org, "staff")
    page = staff.page
    assert page.get_attribute("html", "lang") == "en"
    page.select_option("#language-select", "zh-hans")
    page.wait_for_selector("html[lang='zh-hans']", state="attached")
    assert "退出" in page.inner_text("nav")
    page.select_option("#language-select", "en")
    page.wait_for_selector("html[lang='en']", state="attached")
    _settle(page)
    staff.assert_clean()

    # A supervisor: the talk form (the picker fetches people, "add an action" draws a row) and the
    # team calendar's "show my own leave too" (it submits on change).
    supervisor = _session(browser, live_server, org, "supervisor")
    page = supervisor.page
    page.goto(f"{live_server.url}/talks/new/")
    page.fill("#picker", "lm")
    page.click("#picker-results .pick[data-name='李明']")
    assert "李明" in page.inner_text("#chosen")
    page.click("#add-action")
    page.wait_for_selector("#id_actions-0-description")
    _settle(page)
    page.goto(f"{live_server.url}/leave/team/")
    page.check("input[name=mine]")
    page.wait_for_url("**/leave/team/?*mine=1*")
    assert page.is_checked("input[name=mine]")
    _settle(page)
    supervisor.assert_clean()

    # The leading group: the dashboard's charts (ECharts) draw.
    leading = _session(browser, live_server, org, "leading_group")
    page = leading.page
    page.goto(f"{live_server.url}/programme/dashboard/")
    page.wait_for_selector(".dashboard-chart svg")
    _settle(page)
    leading.assert_clean()

    # A counsellor (with the second factor): the safety plan's "Print" button opens the print dialogue.
    counsellor = org.users["counsellor"]
    TOTPDevice.objects.create(user=counsellor, name="phone", confirmed=True)
    case = case_services.case_open(actor=org.users["lead_counsellor"], referral=org.referral, counsellor=counsellor)
    case_services.safety_plan_save(actor=counsellor, case=case, sections={"warning_signs": "连续失眠"})
    session = _session(browser, live_server, org, "counsellor")
    page = session.page
    page.goto(f"{live_server.url}/cases/{case.pk}/safety-plan/print/")
    assert page.evaluate("window.__printed") == 0
    page.click("[data-print]")
    page.wait_for_function(PRINTED_ONCE)
    _settle(page)
    session.assert_clean()


def test_the_admin_and_the_api_documentation_work_under_the_policy(browser, live_server, org):
    TOTPDevice.objects.create(user=org.users["administrator"], name="phone", confirmed=True)
    admin = _session(browser, live_server, org, "administrator")
    page = admin.page
    for path in ("/admin/", "/admin/wellbeing/orgunit/", "/admin/wellbeing/orgunit/add/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        _settle(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("#swagger-ui .information-container .title")
    page.wait_for_selector("#swagger-ui .opblock")
    _settle(page)
    admin.assert_clean()


def test_script_put_into_a_page_does_not_run_and_is_reported(browser, live_server, org):
    staff = _session(browser, live_server, org, "staff")
    page = staff.page
    _settle(page)
    assert staff.violations == []
    try:
        page.add_script_tag(content="window.__pwned_tag = 1")
    except Exception as refused:  # Playwright may say the tag failed; either way it must not run
        assert "script" in str(refused).lower()
    page.evaluate(INJECT)
    page.wait_for_function(FOUR_REPORTED)
    assert page.evaluate(FLAGS) == [None, None, None, None]  # nothing ran
    directives = {v["directive"] for v in staff.violations}
    assert directives == {"script-src-elem", "script-src-attr"}, staff.violations
    assert any("Content Security Policy" in text for text in staff.console)
    assert page.evaluate("window.__csp.length") == len(staff.violations)


def test_without_the_policy_the_same_injection_runs(browser, live_server, org):
    """The control: with the policy bypassed, every injection above runs - so the test above would
    fail if the policy stopped blocking them."""
    session = _session(browser, live_server, org, "staff", bypass_csp=True)
    page = session.page
    page.add_script_tag(content="window.__pwned_tag = 1")
    page.evaluate(INJECT)
    page.wait_for_function("() => window.__pwned_url === 1")
    assert page.evaluate(FLAGS) == [1, 1, 1, 1]
    assert session.violations == []
