from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD
from wellbeing.models import AuditEvent, RoleSecurityPolicy


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def _totp(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():06d}"


def test_it_logs_a_staff_member_in_and_shows_their_home(client, org):
    response = _login(client, "staff")
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 200
    assert "王静" in response.content.decode()


def test_a_wrong_password_shows_a_form_error(client, org):
    response = _login(client, "staff", "nope-nope-nope")
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize(
    "data",
    [
        {"username": "staff\x00", "password": PASSWORD},
        {"username": "x" * 151, "password": PASSWORD},
        {"username": "", "password": ""},
        {"username": "staff", "password": "p" * 300},
    ],
    ids=["nul-byte", "too-long", "empty", "long-password"],
)
def test_bad_log_in_input_is_a_form_error_not_a_crash(client, org, data):
    response = client.post("/accounts/login/", data)
    assert response.status_code == 200
    assert response.context["form"].errors


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_the_account_after_repeated_failures(client, org):
    for _ in range(3):
        _login(client, "staff", "wrong-password-x")
    response = _login(client, "staff")  # even the right password is refused while locked
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=15))
def test_the_lock_lifts_after_the_cool_off(client, org):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as traveller:
        for _ in range(3):
            _login(client, "staff", "wrong-password-x")
        assert _login(client, "staff").status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert _login(client, "staff").status_code == 302


def test_counsellors_must_set_up_two_factor_before_anything_else(client, org):
    response = _login(client, "counsellor")
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/")
    # The API refuses the unverified session too.
    assert client.get("/api/v1/people/").status_code == 403

    setup = client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=org.users["counsellor"], confirmed=False)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        wrong = client.post("/accounts/2fa/setup/", {"token": "000000" if _totp(device) != "000000" else "111111"})
        assert wrong.status_code == 200 and wrong.context["form"].errors
        traveller.shift(timedelta(seconds=5))  # a failed code throttles the device briefly
        response = client.post("/accounts/2fa/setup/", {"token": _totp(device)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_ENROLLED).exists()


def test_an_enrolled_user_must_enter_a_code_at_each_log_in(client, org):
    device = TOTPDevice.objects.create(user=org.users["lead_counsellor"], name="phone", confirmed=True)
    _login(client, "lead_counsellor")
    response = client.get("/people/")
    assert response["Location"].startswith("/accounts/2fa/verify/")
    bad = client.post("/accounts/2fa/verify/", {"token": "abc"})
    assert bad.status_code == 200 and bad.context["form"].errors
    response = client.post("/accounts/2fa/verify/", {"token": _totp(device), "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert client.get("/people/").status_code == 200


def test_the_next_parameter_cannot_send_users_off_site(client, org):
    device = TOTPDevice.objects.create(user=org.users["lead_counsellor"], name="phone", confirmed=True)
    _login(client, "lead_counsellor")
    response = client.post("/accounts/2fa/verify/", {"token": _totp(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_staff_need_no_second_factor_by_default(client, org):
    _login(client, "staff")
    assert client.get("/").status_code == 200


def test_an_administrator_can_require_two_factor_for_any_role(client, org):
    RoleSecurityPolicy.objects.create(role="staff", require_two_factor=True)
    _login(client, "staff")
    assert client.get("/")["Location"].startswith("/accounts/2fa/setup/")


def test_an_administrator_can_relax_a_role(client, org):
    RoleSecurityPolicy.objects.create(role="counsellor", require_two_factor=False)
    _login(client, "counsellor")
    assert client.get("/").status_code == 200


@override_settings(TWO_FACTOR_REQUIRED_ROLES=[])
def test_the_demo_relaxation_lets_counsellors_in_without_a_device(client, org):
    _login(client, "counsellor")
    assert client.get("/").status_code == 200


def test_an_idle_session_ends(client, org, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as traveller:
        _login(client, "staff")
        traveller.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200  # activity keeps it alive
        traveller.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/people/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED, reason="idle").exists()
        assert client.get("/").status_code == 302


def test_a_session_ends_after_the_absolute_limit_however_active(client, org, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    with time_machine.travel("2026-03-02 08:00 +0800", tick=False) as traveller:
        _login(client, "staff")
        for _ in range(24):
            traveller.shift(timedelta(minutes=29))
            assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=29))  # 12 h 25 min after log-in
        assert client.get("/").status_code == 302
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED, reason="absolute").exists()


def test_log_out_needs_a_post_and_ends_the_session(client, org):
    _login(client, "staff")
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).exists()


def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ["12345678901", "password123", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Correct-Horse-42-Battery")


@pytest.mark.parametrize("header", ["x", "Bearer nothing", "Basic abc"])
def test_an_authorization_header_does_not_bypass_two_factor_on_pages(client, org, header):
    _login(client, "counsellor")
    response = client.get("/follow-ups/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/")
    assert client.get("/admin/", HTTP_AUTHORIZATION=header).status_code == 302


def test_an_authorization_header_does_not_keep_an_expired_session_alive(client, org, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as traveller:
        _login(client, "staff")
        traveller.shift(timedelta(minutes=45))
        response = client.get("/people/EX-staff/", HTTP_AUTHORIZATION="x")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
