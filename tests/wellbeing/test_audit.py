import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from tests.factories import ACTOR, make_unit
from wellbeing import services
from wellbeing.audit import audit_sensitive_read
from wellbeing.models import AuditEvent, Person
from wellbeing.models.audit import AppendOnlyError


def _events_for(obj):
    return AuditEvent.objects.filter(target_id=str(obj.pk), target_type__model=obj._meta.model_name)


def test_it_records_who_changed_what_with_old_and_new_values(org):
    actor = org.users["administrator"]
    person = org.people["colleague"]
    services.person_update(actor=actor, person=person, position="副科长", phone="13900000000")
    event = _events_for(person).filter(action=AuditEvent.Action.UPDATE).get()
    assert event.actor == actor
    assert event.actor_label == "administrator"
    assert event.changes == {"position": ["科员", "副科长"], "phone": ["", "13900000000"]}
    assert event.subject_person == person


def test_it_writes_nothing_when_nothing_changed(org):
    person = org.people["colleague"]
    before = AuditEvent.objects.count()
    services.person_update(actor=ACTOR, person=person, position=person.position)
    assert AuditEvent.objects.count() == before


def test_a_failed_change_leaves_neither_the_change_nor_an_audit_row(org):
    person = org.people["colleague"]
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - ValidationError; the point is what is left behind
        services.person_update(actor=ACTOR, person=person, full_name="x" * 101)
    person.refresh_from_db()
    assert person.full_name == "李明"
    assert AuditEvent.objects.count() == before


def test_the_audit_row_is_in_the_same_transaction_as_the_change(org):
    person = org.people["colleague"]
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.person_update(actor=ACTOR, person=person, position="新岗位")
        raise RuntimeError("the caller's transaction fails later")
    person.refresh_from_db()
    assert person.position == "科员"
    assert AuditEvent.objects.count() == before


def test_it_refuses_edits_and_deletes_through_the_application(org):
    event = AuditEvent.objects.first()
    event.reason = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger is PostgreSQL-only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE wellbeing_auditevent SET reason = 'tampered'",
        "DELETE FROM wellbeing_auditevent",
    ],
)
def test_the_database_refuses_edits_even_to_the_app_role(org, sql):
    assert AuditEvent.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert not AuditEvent.objects.filter(reason="tampered").exists()


def test_it_records_people_marked_as_left_and_keeps_them(org):
    person = org.people["staff"]
    services.person_leave(actor=org.users["hr_officer"], person=person)
    person.refresh_from_db()
    assert person.status == Person.Status.LEFT
    assert person.left_on is not None
    assert not person.user.is_active  # the login is disabled
    event = _events_for(person).filter(action=AuditEvent.Action.UPDATE).latest("id")
    assert event.changes["status"] == ["active", "left"]


def test_people_are_never_deleted(org):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        org.people["colleague"].delete()
    with pytest.raises(ProtectedError):
        Person.objects.filter(pk=org.people["colleague"].pk).delete()
    assert Person.objects.filter(pk=org.people["colleague"].pk).exists()


def test_a_sensitive_read_records_the_fields_but_not_the_text(org):
    person = org.people["colleague"]
    event = audit_sensitive_read(actor=org.users["lead_counsellor"], target=person, fields=["summary", "notes"])
    assert event.action == AuditEvent.Action.SENSITIVE_READ
    assert event.changes == {"fields": ["notes", "summary"]}
    assert event.subject_person == person


def test_log_ins_and_failed_log_ins_are_recorded(client, org):
    client.post("/accounts/login/", {"username": "staff", "password": "wrong-password"})
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, target_label="staff").exists()
    client.post("/accounts/login/", {"username": "staff", "password": "Correct-Horse-42"})
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=org.users["staff"]).exists()


def test_the_administrator_can_browse_and_filter_the_trail(as_principal, org):
    services.person_update(actor=org.users["administrator"], person=org.people["colleague"], position="副科长")
    client = as_principal("administrator")
    response = client.get("/admin/wellbeing/auditevent/", {"action__exact": AuditEvent.Action.UPDATE})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows and all(r.action == AuditEvent.Action.UPDATE for r in rows)
    response = client.get("/admin/wellbeing/auditevent/", {"q": "李明"})
    assert any(r.target_label.startswith("李明") for r in response.context["cl"].result_list)


def test_the_admin_cannot_change_or_delete_audit_rows(as_principal, org):
    event = AuditEvent.objects.first()
    client = as_principal("administrator")
    response = client.post(f"/admin/wellbeing/auditevent/{event.pk}/change/", {"reason": "tampered"})
    assert response.status_code == 403
    response = client.post(f"/admin/wellbeing/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


def test_org_units_changes_are_audited(org):
    unit = make_unit("新乡镇", parent=org.county, code="NEW")
    assert _events_for(unit).filter(action=AuditEvent.Action.CREATE).exists()
