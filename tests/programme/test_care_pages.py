"""The care pages (issue 13, item 4): a supervisor or HR officer records practical support for a
colleague in difficulty, which suggests a talk to the supervisor when none is planned; the records
are seen by the person, their supervisors and HR for their unit only (404 for anyone else, the
leading group and the counselling team included); the note is never in a list or the audit trail,
and reading it is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programme import services
from programme.models import CareRecord
from tests.conftest import ROLE_FROM, client_for, verified_login
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services as core
from wellbeing import workload
from wellbeing.models import AuditEvent, FollowUp, Role

LIST = "/programme/care/"
NOTE = "化疗期间已安排同事代班，家属联系方式见档案"


def _new_url(person) -> str:
    return reverse("programme:care_new", args=[person.pk])


def _detail_url(record) -> str:
    return reverse("programme:care_record", args=[record.pk])


def _form(**overrides) -> dict:
    data = {
        "situation": "illness",
        "occurred_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "visited": "on",
        "help_arranged": "",
        "leave_suggested": "on",
        "note": NOTE,
    }
    data.update(overrides)
    return data


def _record(org, person=None, actor="supervisor", **fields) -> CareRecord:
    record, _ = services.care_record_create(
        actor=org.users[actor],
        person=person or org.people["colleague"],
        situation=fields.pop("situation", "bereavement"),
        occurred_on=fields.pop("occurred_on", timezone.localdate() - timedelta(days=1)),
        visited=True,
        note=fields.pop("note", NOTE),
    )
    return record


def _suggestions(person):
    return FollowUp.objects.filter(person=person, kind=FollowUp.Kind.TALK_DUE, title_key=workload.TALK_SUGGESTED)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_supervisor_records_support_and_a_talk_is_suggested_once(org):
    colleague = org.people["colleague"]
    supervisor = client_for(org, "supervisor")
    assert not workload.talk_planned(colleague)
    page = supervisor.get(_new_url(colleague))
    assert page.status_code == 200 and "李明" in page.content.decode()

    response = supervisor.post(_new_url(colleague), _form(), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    record = CareRecord.objects.get(person=colleague)
    assert (record.situation, record.visited, record.help_arranged, record.leave_suggested) == (
        "illness",
        True,
        False,
        True,
    )
    assert record.note == NOTE and record.recorded_by == org.users["supervisor"]
    suggestion = _suggestions(colleague).get()
    assert suggestion.owner == org.users["supervisor"] and suggestion.is_active
    assert "A talk with 李明 has been suggested to their supervisor." in _messages(response)

    response = supervisor.post(_new_url(colleague), _form(situation="family"), follow=True)
    assert CareRecord.objects.filter(person=colleague).count() == 2
    assert _suggestions(colleague).count() == 1
    assert "A talk is planned already." in _messages(response)


def test_an_hr_officer_of_the_unit_records_support_too(org):
    hr = client_for(org, "hr_officer")
    assert hr.post(_new_url(org.people["staff"]), _form()).status_code == 302
    assert CareRecord.objects.get(person=org.people["staff"]).recorded_by == org.users["hr_officer"]


def test_an_hr_officer_of_another_unit_gets_404(org):
    user = UserFactory(username="hr_b")
    make_person(org.town_b, full_name="何人事", user=user, external_id="EX-hr_b")
    core.role_assign(actor=ACTOR, user=user, role=Role.HR_OFFICER, unit=org.town_b, valid_from=ROLE_FROM)
    record = _record(org)
    client = Client()
    verified_login(client, user)
    assert client.get(_new_url(org.people["colleague"])).status_code == 404
    assert client.post(_new_url(org.people["colleague"]), _form()).status_code == 404
    assert client.get(_detail_url(record)).status_code == 404
    assert CareRecord.objects.count() == 1
    assert NOTE not in client.get(LIST).content.decode()
    # The people of their own unit are theirs to record for.
    assert client.get(_new_url(org.people["outsider"])).status_code == 200


@pytest.mark.parametrize("principal", ["counsellor", "lead_counsellor", "leading_group", "administrator", "staff"])
def test_nobody_else_sees_a_care_record(org, principal):
    record = _record(org)
    client = client_for(org, principal)
    assert client.get(_detail_url(record)).status_code == 404
    assert client.get(_new_url(org.people["colleague"])).status_code == 404
    assert f'data-record="{record.pk}"' not in client.get(LIST).content.decode()


def test_the_note_is_never_in_the_list_nor_the_audit_trail_and_reading_it_is_audited(org):
    record = _record(org)
    supervisor = client_for(org, "supervisor")
    html = supervisor.get(LIST).content.decode()
    assert f'data-record="{record.pk}"' in html and "李明" in html
    assert NOTE not in html
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.SENSITIVE_READ, target_type__model="carerecord"
    ).exists()

    created = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, target_type__model="carerecord", target_id=str(record.pk)
    )
    assert NOTE not in str(created.changes) and "note" in created.changes
    assert all(NOTE not in str(e.changes) and NOTE not in e.target_label for e in AuditEvent.objects.all())

    page = supervisor.get(_detail_url(record))
    assert page.status_code == 200 and NOTE in page.content.decode()
    read = AuditEvent.objects.get(action=AuditEvent.Action.SENSITIVE_READ, target_type__model="carerecord")
    assert read.actor == org.users["supervisor"] and read.target_id == str(record.pk)
    assert read.changes == {"fields": ["note"]} and read.subject_person == org.people["colleague"]


def test_the_person_sees_what_is_recorded_about_them(org):
    record = _record(org, person=org.people["staff"])
    staff = client_for(org, "staff")
    html = staff.get(LIST).content.decode()
    assert 'data-testid="care-about-me"' in html and f'data-record="{record.pk}"' in html
    assert NOTE not in html
    assert NOTE in staff.get(_detail_url(record)).content.decode()
    # They do not record support for themselves, nor for anyone (no role).
    assert staff.get(_new_url(org.people["staff"])).status_code == 404
    assert 'data-testid="care-people"' not in html


def test_the_picker_offers_only_the_people_one_may_record_for(org):
    html = client_for(org, "supervisor").get(LIST).content.decode()
    assert f'data-person="{org.people["colleague"].pk}"' in html
    assert f'data-person="{org.people["staff"].pk}"' in html
    assert f'data-person="{org.people["outsider"].pk}"' not in html
    assert f'data-person="{org.people["supervisor"].pk}"' not in html
    html = client_for(org, "supervisor").get(LIST, {"q": "李"}).content.decode()
    assert f'data-person="{org.people["colleague"].pk}"' in html
    assert f'data-person="{org.people["staff"].pk}"' not in html
    html = client_for(org, "outsider_supervisor").get(LIST).content.decode()
    assert f'data-person="{org.people["outsider"].pk}"' in html
    assert f'data-person="{org.people["colleague"].pk}"' not in html
    assert 'data-testid="care-people"' not in client_for(org, "leading_group").get(LIST).content.decode()
    # A name filter with a NUL byte is ignored, not a 500.
    assert client_for(org, "supervisor").get(LIST, {"q": "李\x00"}).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"occurred_on": "2026-02-30"}, "occurred_on", "Give a date as YYYY-MM-DD."),
        ({"occurred_on": "yesterday"}, "occurred_on", "Give a date as YYYY-MM-DD."),
        ({"occurred_on": "0001-01-01"}, "occurred_on", "Give a date from 2000 on."),
        ({"occurred_on": "9999-12-31"}, "occurred_on", "not in the future"),
        ({"occurred_on": ""}, "occurred_on", "Give the date."),
        ({"situation": "lottery"}, "situation", "Choose the situation."),
        ({"visited": "", "leave_suggested": "", "note": "  "}, "note", "Tick what was done"),
        ({"note": "x" * 2001}, "note", "at most 2000 characters"),
        ({"note": "探\x00望"}, "note", "Null characters are not allowed."),
    ],
)
def test_crafted_care_input_is_an_error_next_to_its_field(org, overrides, field, message):
    response = client_for(org, "supervisor").post(_new_url(org.people["colleague"]), _form(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors.get(field, [])), form.errors
    assert not CareRecord.objects.exists()


def test_crafted_addresses_are_404(org):
    supervisor = client_for(org, "supervisor")
    for url in (f"/programme/care/{2**70}/", "/programme/care/999999/", f"/programme/care/people/{2**70}/new/"):
        assert supervisor.get(url).status_code == 404, url
