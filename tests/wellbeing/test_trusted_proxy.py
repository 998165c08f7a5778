"""Behind nginx, the audit trail and the log-in lock-out see the browser's address (X-Real-IP from a
trusted proxy), and nobody else can choose the address by sending the header."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from wellbeing.models import AuditEvent


def _login_failure_ip(settings, *, remote: str, real_ip: str | None) -> str | None:
    user = UserFactory(username="proxy_check")
    headers = {"HTTP_X_REAL_IP": real_ip} if real_ip is not None else {}
    Client(REMOTE_ADDR=remote, **headers).post("/accounts/login/", {"username": user.username, "password": "wrong"})
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).order_by("-pk").first()
    return event.ip_address if event else None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trusted", "remote", "real_ip", "expected"),
    [
        (["127.0.0.1"], "127.0.0.1", "203.0.113.7", "203.0.113.7"),  # nginx on this machine
        (["10.0.0.0/8"], "10.1.2.3", "2001:db8::5", "2001:db8::5"),  # a proxy network, an IPv6 client
        (["127.0.0.1"], "198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not a proxy: header ignored
        ([], "127.0.0.1", "203.0.113.7", "127.0.0.1"),  # no proxies configured
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),  # a broken header changes nothing
    ],
)
def test_the_client_address_comes_from_a_trusted_proxy_only(settings, trusted, remote, real_ip, expected):
    settings.TRUSTED_PROXY_IPS = trusted
    assert _login_failure_ip(settings, remote=remote, real_ip=real_ip) == expected
