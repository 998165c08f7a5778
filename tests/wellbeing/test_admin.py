"""The admin: reference data and accounts, written through the services, refusing bad input."""

from wellbeing.models import AuditEvent, OrgUnit, Person, RoleAssignment


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
    assert "/admin/cases/" not in html and "/admin/talks/talk/" not in html
    assert "/admin/talks/cadencepolicy/" in html  # configuration, not records
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
