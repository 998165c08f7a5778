"""The admin: reference data and accounts, written through the services, refusing bad input;
configuration changes audited; two-factor devices listed and removed, never shown."""

import base64
import json

import pytest
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from wellbeing.audit import REDACTED
from wellbeing.models import AuditEvent, OrgUnit, Person, RoleAssignment, WebhookEndpoint


def _person_form(org, **overrides):
    data = {
        "external_id": "NEW-1",
        "full_name": "新同事",
        "gender": "female",
        "date_of_birth": "1990-01-01",
        "work_start_date": "2012-07-01",
        "hire_date": "2015-03-01",
        "unit": org.section_a1.pk,
        "position": "科员",
        "status": "active",
        "email": "",
        "phone": "",
    }
    data.update(overrides)
    return data


def test_an_administrator_adds_a_person_and_it_is_audited(as_principal, org):
    response = as_principal("administrator").post("/admin/wellbeing/person/add/", _person_form(org))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    person = Person.objects.get(external_id="NEW-1")
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, target_id=str(person.pk), target_type__model="person"
    )
    assert event.actor == org.users["administrator"]


def test_bad_person_input_is_a_form_error_and_saves_nothing(as_principal, org):
    client = as_principal("administrator")
    for overrides in [
        {"full_name": "坏\x00名字"},
        {"full_name": "长" * 101},
        {"unit": 999999},
        {"date_of_birth": "2010-01-01", "work_start_date": "2005-01-01"},
        {"external_id": "EX-staff"},  # already taken
        {"email": "not-an-email"},
    ]:
        response = client.post("/admin/wellbeing/person/add/", _person_form(org, **overrides))
        assert response.status_code == 200, overrides
        assert response.context["adminform"].form.errors or response.context["errors"], overrides
    assert not Person.objects.filter(external_id="NEW-1").exists()


def test_people_cannot_be_deleted_in_the_admin(as_principal, org):
    response = as_principal("administrator").post(
        f"/admin/wellbeing/person/{org.people['colleague'].pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Person.objects.filter(pk=org.people["colleague"].pk).exists()


def test_a_supervisor_role_needs_a_unit(as_principal, org):
    client = as_principal("administrator")
    data = {"user": org.users["staff"].pk, "role": "supervisor", "valid_from": "2026-01-01"}
    response = client.post("/admin/wellbeing/roleassignment/add/", data)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    response = client.post("/admin/wellbeing/roleassignment/add/", data | {"unit": org.section_a1.pk})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=org.users["staff"], role="supervisor")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_ASSIGNED, target_id=str(assignment.pk)).exists()


def test_a_role_period_cannot_end_before_it_starts(as_principal, org):
    data = {
        "user": org.users["staff"].pk,
        "role": "leading_group",
        "valid_from": "2026-05-01",
        "valid_until": "2026-04-01",
    }
    response = as_principal("administrator").post("/admin/wellbeing/roleassignment/add/", data)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not RoleAssignment.objects.filter(user=org.users["staff"], role="leading_group").exists()


def test_an_administrator_sees_no_clinical_apps(as_principal):
    html = as_principal("administrator").get("/admin/").content.decode()
    assert "/admin/cases/case/" not in html and "/admin/cases/casenote/" not in html
    assert "/admin/talks/talk/" not in html
    assert "/admin/talks/cadencepolicy/" in html and "/admin/cases/caseloadlimit/" in html  # configuration
    assert as_principal("administrator").get("/admin/cases/case/").status_code == 404
    assert as_principal("administrator").get("/admin/talks/talk/").status_code == 404


def test_marking_a_person_as_left_in_the_admin_disables_their_login(as_principal, org):
    person = org.people["staff"]
    data = _person_form(org, external_id=person.external_id, full_name=person.full_name, status="left")
    data["user"] = person.user_id
    data["manager"] = person.manager_id
    response = as_principal("administrator").post(f"/admin/wellbeing/person/{person.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.status == Person.Status.LEFT and person.left_on is not None
    assert not person.user.is_active


def test_org_unit_changes_in_the_admin_are_audited(as_principal, org):
    client = as_principal("administrator")
    response = client.post(
        "/admin/wellbeing/orgunit/add/",
        {
            "code": "A2",
            "name": "新科室",
            "kind": "section",
            "is_active": "on",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": org.town_a.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = OrgUnit.objects.get(code="A2", path__startswith=org.town_a.path)
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, target_type__model="orgunit", target_id=str(unit.pk)
    )
    assert event.changes["parent"] == [None, "A"]
    assert event.actor == org.users["administrator"]


def test_a_held_role_is_ended_not_reopened(as_principal, org):
    assignment = RoleAssignment.objects.get(user=org.users["supervisor"])
    url = f"/admin/wellbeing/roleassignment/{assignment.pk}/change/"
    response = as_principal("administrator").post(url, {"valid_until": ""})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    response = as_principal("administrator").post(url, {"valid_until": "2026-06-30"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert str(assignment.valid_until) == "2026-06-30"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_ENDED, target_id=str(assignment.pk)).exists()


# --- Configuration changes are audited ------------------------------------------------------------

WEBHOOK_SECRET = "whsec-very-secret-9f8e7d"
ROBOT_KEY = "693a91f6-7xxx-robot-key"


def _configurations(org):
    """Per configuration model: its admin URL, the form to add one, a change to make, and the field whose
    old and new values the audit row must show."""
    staff, supervisor = org.users["staff"], org.users["supervisor"]
    return {
        "role security policy": (
            "/admin/wellbeing/rolesecuritypolicy/",
            {"role": "staff", "require_two_factor": "on"},
            {"role": "staff"},  # unticked: two-factor no longer required
            ("require_two_factor", [True, False]),
        ),
        "webhook endpoint": (
            "/admin/wellbeing/webhookendpoint/",
            {
                "name": "心理中心群",
                "url": "https://hooks.example.gov.cn/counselling",
                "secret": WEBHOOK_SECRET,
                "format": "json",
                "min_tier": "routine",
                "is_active": "on",
            },
            {
                "name": "心理中心群",
                "url": "https://hooks.example.gov.cn/counselling",
                "secret": WEBHOOK_SECRET,
                "format": "json",
                "min_tier": "routine",
                "include_clinical": "on",
                "is_active": "on",
            },
            ("include_clinical", [False, True]),
        ),
        "reminder policy": (
            "/admin/wellbeing/reminderpolicy/",
            {
                "kind": "general",
                "tier": "",
                "grace": "01:00:00",
                "escalation_delay": "1 00:00:00",
                "repeat_interval": "1 00:00:00",
            },
            {
                "kind": "general",
                "tier": "",
                "grace": "02:00:00",
                "escalation_delay": "1 00:00:00",
                "repeat_interval": "1 00:00:00",
            },
            ("grace", ["1:00:00", "2:00:00"]),
        ),
        "unavailability": (
            "/admin/wellbeing/unavailability/",
            {
                "user": staff.pk,
                "starts_at_0": "2026-05-01",
                "starts_at_1": "09:00:00",
                "ends_at_0": "2026-05-08",
                "ends_at_1": "18:00:00",
                "delegate": supervisor.pk,
                "note": "出差",
            },
            {
                "user": staff.pk,
                "starts_at_0": "2026-05-01",
                "starts_at_1": "09:00:00",
                "ends_at_0": "2026-05-08",
                "ends_at_1": "18:00:00",
                "delegate": "",
                "note": "出差",
            },
            ("delegate", [supervisor.pk, None]),
        ),
        "talk cadence": (
            "/admin/talks/cadencepolicy/",
            {"person": org.people["staff"].pk, "interval_days": "30", "reason": "近期压力较大"},
            {"person": org.people["staff"].pk, "interval_days": "60", "reason": "近期压力较大"},
            ("interval_days", [30, 60]),
        ),
        "agenda template": (
            "/admin/talks/agendatemplate/",
            {"trigger": "routine", "language": "zh-hans", "title": "例行谈心", "body": "近况；工作；家庭"},
            {"trigger": "routine", "language": "zh-hans", "title": "例行谈心谈话", "body": "近况；工作；家庭"},
            ("title", ["例行谈心", "例行谈心谈话"]),
        ),
    }


CONFIGURATIONS = [
    "role security policy",
    "webhook endpoint",
    "reminder policy",
    "unavailability",
    "talk cadence",
    "agenda template",
]


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_configuration_added_changed_and_deleted_in_the_admin_is_audited(as_principal, org, name):
    url, add, change, (field, values) = _configurations(org)[name]
    admin_user = org.users["administrator"]
    client = as_principal("administrator")

    response = client.post(f"{url}add/", add)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    model = response.wsgi_request.resolver_match.func.model_admin.model
    obj = model.objects.latest("pk")
    created = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, target_id=str(obj.pk), target_type__model=model._meta.model_name
    )
    assert created.actor == admin_user
    assert field in created.changes or values[0] in (None, False)

    response = client.post(f"{url}{obj.pk}/change/", change)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    changed = AuditEvent.objects.get(
        action=AuditEvent.Action.UPDATE, target_id=str(obj.pk), target_type__model=model._meta.model_name
    )
    assert changed.actor == admin_user
    assert changed.changes == {field: values}

    response = client.post(f"{url}{obj.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not model.objects.filter(pk=obj.pk).exists()
    deleted = AuditEvent.objects.get(
        action=AuditEvent.Action.STATUS, target_id=str(obj.pk), target_type__model=model._meta.model_name
    )
    assert deleted.actor == admin_user
    assert deleted.changes["deleted"] == [False, True]


def test_the_webhook_secret_and_robot_key_never_enter_the_audit_trail(as_principal, org):
    url, add, _change, _ = _configurations(org)["webhook endpoint"]
    client = as_principal("administrator")
    add = add | {"url": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}", "format": "wecom"}
    assert client.post(f"{url}add/", add).status_code == 302
    endpoint = WebhookEndpoint.objects.get(name="心理中心群")
    new_secret = add | {"secret": "another-secret-1234"}
    assert client.post(f"{url}{endpoint.pk}/change/", new_secret).status_code == 302
    assert client.post(f"{url}{endpoint.pk}/delete/", {"post": "yes"}).status_code == 302

    events = list(AuditEvent.objects.filter(target_type__model="webhookendpoint").order_by("id"))
    assert [e.action for e in events] == [AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.STATUS]
    assert events[0].changes["secret"] == REDACTED
    assert events[0].changes["url"] == [None, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…"]
    assert events[1].changes == {"secret": REDACTED}
    everything = json.dumps([[e.changes, e.reason, e.target_label] for e in AuditEvent.objects.all()])
    for secret in (WEBHOOK_SECRET, "another-secret-1234", ROBOT_KEY):
        assert secret not in everything


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("unavailability", {"delegate": "user"}),  # oneself as one's own delegate
        ("reminder policy", {"repeat_interval": "00:00:10"}),
        ("talk cadence", {"unit": "town_a"}),  # both a unit and a person
        ("talk cadence", {"interval_days": "3"}),
        ("webhook endpoint", {"url": "not a url"}),
    ],
)
def test_bad_configuration_is_a_form_error_and_saves_nothing(as_principal, org, name, bad):
    url, add, _change, _ = _configurations(org)[name]
    resolved = {
        key: (org.users["staff"].pk if value == "user" else org.town_a.pk if value == "town_a" else value)
        for key, value in bad.items()
    }
    client = as_principal("administrator")
    audit_before = AuditEvent.objects.count()
    response = client.post(f"{url}add/", add | resolved)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors or response.context["errors"]
    assert AuditEvent.objects.count() == audit_before


# --- Two-factor devices: never a key, never a QR code ---------------------------------------------


@pytest.fixture
def phone(org):
    return TOTPDevice.objects.create(user=org.users["staff"], name="我的手机", confirmed=True)


def _secrets_of(device) -> list[str]:
    b32 = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return [device.key, b32, b32.lower()]


def test_administrators_see_devices_but_never_a_key_or_a_qr_code(as_principal, phone):
    client = as_principal("administrator")
    for url in ["/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{phone.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "我的手机" in html and "staff" in html
        for secret in _secrets_of(phone):
            assert secret not in html, url
        for qr in ("qrcode", "qr code", "otpauth", f"{phone.pk}/config/"):
            assert qr not in html.lower(), (url, qr)
    for name in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        with pytest.raises(NoReverseMatch):
            reverse(name, kwargs={"pk": phone.pk})


def test_administrators_cannot_add_or_change_a_device(as_principal, org, phone):
    client = as_principal("administrator")
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    response = client.post(
        "/admin/otp_totp/totpdevice/add/", {"user": org.users["staff"].pk, "name": "x", "key": "00" * 20}
    )
    assert response.status_code == 403
    response = client.post(f"/admin/otp_totp/totpdevice/{phone.pk}/change/", {"name": "renamed", "key": "00" * 20})
    assert response.status_code == 403
    phone.refresh_from_db()
    assert phone.name == "我的手机"
    assert TOTPDevice.objects.filter(user=org.users["staff"]).count() == 1


def test_removing_a_lost_phone_is_audited_without_its_key(as_principal, org, phone):
    secrets = _secrets_of(phone)
    response = as_principal("administrator").post(f"/admin/otp_totp/totpdevice/{phone.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=phone.pk).exists()
    event = AuditEvent.objects.get(target_type__model="totpdevice", target_id=str(phone.pk))
    assert event.actor == org.users["administrator"]
    assert event.subject_person == org.people["staff"]
    assert event.changes["deleted"] == [False, True]
    assert not any(secret in json.dumps([event.changes, event.target_label]) for secret in secrets)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/admin/wellbeing/roleassignment/add/", {"user": "2\x00", "role": "supervisor"}),
        ("post", "/admin/wellbeing/roleassignment/add/", {"user": "9" * 20, "role": "supervisor", "unit": "9" * 20}),
        ("get", "/admin/wellbeing/auditevent/", {"created_at__year": "99999999999"}),
    ],
)
def test_crafted_admin_input_is_a_400_not_a_500(org, as_principal, method, url, data):
    response = getattr(as_principal("administrator"), method)(url, data)
    assert response.status_code in (200, 302, 400)
