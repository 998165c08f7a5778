"""The signed-in user is loaded with their person record (``PersonModelBackend``): the access policy
reads both on every request, in one query; sessions made before it, by Django's ``ModelBackend``, stay
signed in."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import verified_login
from tests.factories import PASSWORD, UserFactory
from wellbeing import policy
from wellbeing.models import Role
from wellbeing.permissions import PersonModelBackend

pytestmark = pytest.mark.django_db


def test_a_real_log_in_is_kept_by_the_backend_that_loads_the_person(client, org):
    response = client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "wellbeing.permissions.PersonModelBackend"


def test_the_signed_in_user_and_their_person_are_one_query(client, org):
    verified_login(client, org.users["staff"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    user_load = ctx.captured_queries[1]["sql"]  # after the session
    assert 'FROM "auth_user"' in user_load and '"wellbeing_person"' in user_load and '"wellbeing_orgunit"' in user_load
    # The policy does not read the person again (it used to: by user id, LIMIT 1).
    by_user = f'"wellbeing_person"."user_id" = {org.users["staff"].pk}'
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT") and by_user in q["sql"]]


def test_the_policy_uses_the_person_loaded_with_the_user_and_reads_it_otherwise(org):
    user = PersonModelBackend().get_user(org.users["supervisor"].pk)
    with CaptureQueriesContext(connection) as ctx:
        access = policy.access_for(user)
    assert access.person == org.people["supervisor"] and access.person.unit.name
    assert Role.SUPERVISOR in access.roles
    assert not any('"wellbeing_person"' in q["sql"].split(" WHERE ")[0] for q in ctx.captured_queries)
    # A user loaded without it (a script, a test) still gets their person record.
    plain = type(user).objects.get(pk=user.pk)
    assert policy.access_for(plain).person == org.people["supervisor"]
    # A user without a person record (an administrator's account): no person, no staff role.
    account = PersonModelBackend().get_user(UserFactory(username="no_person").pk)
    assert policy.access_for(account).person is None
    assert Role.STAFF not in policy.access_for(account).roles


def test_a_session_made_by_djangos_model_backend_stays_signed_in(client, org):
    client.force_login(org.users["staff"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user == org.users["staff"]


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, org):
    user = org.users["staff"]
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert PersonModelBackend().get_user(user.pk) is None
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
