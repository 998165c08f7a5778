"""``seed_demo`` into a database without the demo (test_demo.py's tests share one seeded demo)."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command


def test_it_prints_the_password_it_was_given(db):
    out = StringIO()
    call_command("seed_demo", password="Another-pass-1", stdout=out)
    assert "Password for every demo login: Another-pass-1\n" in out.getvalue()
    assert get_user_model().objects.get(username="lead").check_password("Another-pass-1")
