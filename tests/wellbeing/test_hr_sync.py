"""The HR sync endpoints (issue 12): ``POST /api/v1/sync/people/`` and ``/api/v1/sync/org-units/``.

What an HR system notices: valid records are applied and invalid ones reported one by one (a record
that names an invalid record of the same batch is reported too), records may name each other in any
order, a batch sent again writes nothing, people are never deleted (a full sync marks the missing ones
left, also over a multi-call run), and leaving, moving or a new manager go through the same lifecycle
as in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import ACTOR, make_person
from wellbeing import lifecycle, services
from wellbeing.models import (
    ApiClient,
    AuditEvent,
    ChangeEntry,
    LifecycleEvent,
    OrgUnit,
    Person,
    RoleAssignment,
)

PEOPLE = "/api/v1/sync/people/"
UNITS = "/api/v1/sync/org-units/"
SHAPE = {"message", "errors"}


@dataclass
class Hr:
    api: APIClient
    client: ApiClient


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def hr(org) -> Hr:
    client, token = services.api_client_create(
        actor=ACTOR, name="hr-writer", scopes="people:read,people:write,org:read,org:write"
    )
    return Hr(bearer(token), client)


def rec(external_id: str, full_name: str | None = None, unit: str = "A1", **fields) -> dict:
    return {"external_id": external_id, "full_name": full_name or f"同事{external_id}", "unit": unit, **fields}


def sync_people(hr: Hr, records: list, **body) -> dict:
    response = hr.api.post(PEOPLE, {"records": records, **body}, format="json")
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.json()


def sync_units(hr: Hr, records: list, **body) -> dict:
    response = hr.api.post(UNITS, {"records": records, **body}, format="json")
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.json()


def errors_by_key(answer: dict) -> dict:
    return {e["external_id"]: e["errors"] for e in answer["errors"]}


def writes() -> tuple[int, int, int]:
    """What a sync writes besides the person rows: audit (the per-call rows aside), feed, lifecycle."""
    return (
        AuditEvent.objects.exclude(action=AuditEvent.Action.API_CALL).count(),
        ChangeEntry.objects.count(),
        LifecycleEvent.objects.count(),
    )


def stamps() -> dict[str, object]:
    return dict(Person.objects.values_list("external_id", "updated_at"))


def unit_stamps() -> dict[str, object]:
    return dict(OrgUnit.objects.values_list("code", "updated_at"))


def parent_code(code: str) -> str | None:
    path = OrgUnit.objects.get(code=code).path
    return OrgUnit.objects.filter(path=path[: -OrgUnit.steplen]).values_list("code", flat=True).first()


def everyone_active() -> list[dict]:
    """The records of everyone not left, as the HR system would send them (unit and name only)."""
    return [
        rec(p.external_id, p.full_name, p.unit.code)
        for p in Person.objects.active().select_related("unit").order_by("pk")
    ]


# --- Creating and updating people ------------------------------------------------------------------


def test_it_creates_people_who_name_each_other_in_any_order(org, hr):
    answer = sync_people(
        hr,
        [
            rec("HR-2", "王静", manager="HR-1", wecom_user_id="WangJing", dingtalk_user_id="wangjing01"),
            rec("HR-1", "李强", unit="A", manager=None, email="liqiang@example.gov.cn", hire_date="2015-03-01"),
        ],
    )
    assert answer == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    wang, li = Person.objects.get(external_id="HR-2"), Person.objects.get(external_id="HR-1")
    assert wang.manager == li and li.manager is None
    assert (wang.unit, li.unit) == (org.section_a1, org.town_a)
    assert (wang.wecom_user_id, wang.dingtalk_user_id) == ("WangJing", "wangjing01")
    assert li.hire_date == date(2015, 3, 1) and li.email == "liqiang@example.gov.cn"
    assert wang.name_pinyin  # searchable by pinyin like anyone created in the admin
    # One audit row and one feed line per person, naming the client.
    created = AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, target_id__in=[wang.pk, li.pk])
    assert sorted(created.values_list("actor_label", flat=True)) == ["api:hr-writer", "api:hr-writer"]
    lines = ChangeEntry.objects.filter(stream="people", key__in=["HR-1", "HR-2"])
    assert {line.key: line.data["manager"] for line in lines} == {"HR-1": None, "HR-2": "HR-1"}


def test_the_people_api_shows_what_the_sync_wrote(org, hr):
    sync_people(hr, [rec("HR-1", "李强", wecom_user_id="LiQiang", position="科长")])
    shown = hr.api.get("/api/v1/people/HR-1/").json()
    assert (shown["full_name"], shown["unit_code"], shown["position"], shown["wecom_user_id"]) == (
        "李强",
        "A1",
        "科长",
        "LiQiang",
    )


def test_sending_the_same_batch_again_writes_nothing(org, hr):
    batch = [
        rec("HR-1", "李强", unit="A"),
        rec("HR-2", "王静", manager="HR-1", position="科员", hire_date="2015-03-01"),
    ]
    sync_people(hr, batch)
    before, people, counts = stamps(), Person.objects.count(), writes()

    answer = sync_people(hr, batch)

    assert answer == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert stamps() == before  # no updated_at bumped
    assert Person.objects.count() == people
    assert writes() == counts  # no audit row, no feed line, no lifecycle event


def test_a_record_the_feed_gave_out_can_be_sent_back_unchanged(org, hr):
    # The read-only fields the feed and the people API show (updated_at, unit_code, ...) are ignored.
    sync_people(hr, [rec("HR-1", "李强")])
    line = ChangeEntry.objects.filter(key="HR-1").latest("id")
    before, counts = stamps(), writes()
    answer = sync_people(hr, [{**line.data, "unit_code": "A1", "unit_name": "综合办A", "created_at": "x"}])
    assert answer["unchanged"] == 1 and answer["errors"] == []
    assert stamps() == before and writes() == counts


def test_a_change_updates_only_that_person_and_fields_left_out_keep_their_value(org, hr):
    sync_people(hr, [rec("HR-1", "李强", position="科员", phone="13800000000"), rec("HR-2", "王静")])
    before, counts = stamps(), writes()

    answer = sync_people(hr, [rec("HR-1", "李强", position="科长"), rec("HR-2", "王静")])

    assert answer == {"created": 0, "updated": 1, "unchanged": 1, "errors": []}
    li = Person.objects.get(external_id="HR-1")
    assert (li.position, li.phone) == ("科长", "13800000000")  # phone was left out: kept
    after = stamps()
    assert after["HR-1"] > before["HR-1"] and after["HR-2"] == before["HR-2"]
    [audit] = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_id=str(li.pk))
    assert audit.changes == {"position": ["科员", "科长"]} and audit.actor_label == "api:hr-writer"
    assert writes() == (counts[0] + 1, counts[1] + 1, counts[2])
    assert ChangeEntry.objects.filter(key="HR-1").latest("id").data["position"] == "科长"


def test_a_renamed_person_is_found_by_their_new_name(org, hr):
    sync_people(hr, [rec("HR-1", "李强")])
    sync_people(hr, [rec("HR-1", "王静")])
    person = Person.objects.get(external_id="HR-1")
    assert person.full_name == "王静" and "wangjing" in person.name_pinyin


def test_work_messaging_ids_sync_and_stay_unique(org, hr):
    services.person_set_work_ids(actor=ACTOR, person=org.people["colleague"], wecom_user_id="Taken")
    answer = sync_people(
        hr,
        [
            rec("HR-1", wecom_user_id="Taken"),  # another person's
            rec("HR-2", dingtalk_user_id="twice"),  # twice in the batch: neither gets it
            rec("HR-3", dingtalk_user_id="twice"),
            rec("HR-4", wecom_user_id="Own4", dingtalk_user_id="own4"),
            rec("HR-5", wecom_user_id="李"),  # not a valid id
        ],
    )
    assert answer["created"] == 1
    errors = errors_by_key(answer)
    assert set(errors) == {"HR-1", "HR-2", "HR-3", "HR-5"}
    assert "wecom_user_id" in errors["HR-1"] and "wecom_user_id" in errors["HR-5"]
    assert "dingtalk_user_id" in errors["HR-2"] and "dingtalk_user_id" in errors["HR-3"]
    assert Person.objects.get(external_id="HR-4").wecom_user_id == "Own4"
    assert Person.objects.get(wecom_user_id="Taken") == org.people["colleague"]
    # An empty string removes an id; the freed id can then be given to someone else.
    sync_people(hr, [rec("HR-4", wecom_user_id="")])
    sync_people(hr, [rec("HR-6", wecom_user_id="Own4")])
    assert Person.objects.get(wecom_user_id="Own4").external_id == "HR-6"


# --- Records with errors ---------------------------------------------------------------------------

BAD_RECORDS = {
    "no name": ({"external_id": "HR-X", "unit": "A1"}, "full_name"),
    "blank name": (rec("HR-X", "   "), "full_name"),
    "name too long": (rec("HR-X", "王" * 101), "full_name"),
    "unknown unit": (rec("HR-X", unit="NOPE"), "unit"),
    "no unit": ({"external_id": "HR-X", "full_name": "李强"}, "unit"),
    "bad date": (rec("HR-X", date_of_birth="1990-02-30"), "date_of_birth"),
    "date not ISO": (rec("HR-X", hire_date="01/03/2015"), "hire_date"),
    "date out of range": (rec("HR-X", hire_date="1800-01-01"), "hire_date"),
    "start before birth": (
        rec("HR-X", date_of_birth="1990-01-01", work_start_date="1989-01-01"),
        "work_start_date",
    ),
    "bad email": (rec("HR-X", email="not-an-email"), "email"),
    "bad gender": (rec("HR-X", gender="x"), "gender"),
    "bad status": (rec("HR-X", status="retired"), "status"),
    "own manager": (rec("HR-X", manager="HR-X"), "manager"),
    "unknown manager": (rec("HR-X", manager="HR-NOBODY"), "manager"),
    "manager not a string": (rec("HR-X", manager=12), "manager"),
    "unknown field": (rec("HR-X", salary=1000), "salary"),
    "null byte": (rec("HR-X", position="科\x00员"), "position"),
    "name not a string": (rec("HR-X", ["李强"]), "full_name"),
    "key with spaces": (rec(" HR-X "), "external_id"),
    "key too long": (rec("H" * 65), "external_id"),
}


@pytest.mark.parametrize(("record", "field"), BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_a_bad_record_is_reported_on_its_field_and_the_others_are_applied(org, hr, record, field):
    answer = sync_people(hr, [rec("HR-OK-1"), record, rec("HR-OK-2")])
    assert answer["created"] == 2
    [error] = answer["errors"]
    assert error["index"] == 1
    assert error["errors"].get(field), error
    assert not Person.objects.filter(external_id="HR-X").exists()


@pytest.mark.parametrize("record", [None, "HR-X", 12, ["HR-X"]], ids=["null", "string", "number", "list"])
def test_a_record_that_is_not_an_object_is_reported(org, hr, record):
    answer = sync_people(hr, [record, rec("HR-OK")])
    assert answer["created"] == 1
    assert answer["errors"] == [
        {"index": 0, "external_id": None, "errors": {"record": answer["errors"][0]["errors"]["record"]}}
    ]


def test_a_batch_of_1000_with_3_bad_records_applies_997_and_reports_3(org, hr):
    records = [rec(f"HR-{i:04d}", f"同事{i}") for i in range(1000)]
    records[10]["unit"] = "NOPE"
    records[500]["date_of_birth"] = "1990-13-01"
    records[999]["email"] = "@"
    people = Person.objects.count()

    answer = sync_people(hr, records)

    assert answer["created"] == 997
    assert [(e["index"], e["external_id"]) for e in answer["errors"]] == [
        (10, "HR-0010"),
        (500, "HR-0500"),
        (999, "HR-0999"),
    ]
    assert [list(e["errors"]) for e in answer["errors"]] == [["unit"], ["date_of_birth"], ["email"]]
    assert Person.objects.count() == people + 997
    assert not Person.objects.filter(external_id__in=["HR-0010", "HR-0500", "HR-0999"]).exists()
    assert ChangeEntry.objects.filter(stream="people", key__startswith="HR-").count() == 997

    # The same batch again: nothing new, the same three reported.
    counts = writes()
    again = sync_people(hr, records)
    assert (again["created"], again["unchanged"], len(again["errors"])) == (0, 997, 3)
    assert Person.objects.count() == people + 997 and writes() == counts


def test_a_key_twice_in_the_batch_is_reported_and_the_first_record_applied(org, hr):
    answer = sync_people(hr, [rec("HR-1", "李强"), rec("HR-2"), rec("HR-1", "王静")])
    assert answer["created"] == 2
    assert answer["errors"] == [
        {"index": 2, "external_id": "HR-1", "errors": {"external_id": answer["errors"][0]["errors"]["external_id"]}}
    ]
    assert Person.objects.get(external_id="HR-1").full_name == "李强"


def test_a_record_whose_manager_is_an_invalid_record_of_the_batch_is_invalid_too(org, hr):
    answer = sync_people(
        hr,
        [
            rec("HR-3", manager="HR-2"),  # manager's manager is invalid: a cascade, named before its cause
            rec("HR-2", manager="HR-1"),
            rec("HR-1", email="not-an-email"),  # the bad one
            rec("HR-4", manager="HR-5"),  # a valid manager later in the batch
            rec("HR-5"),
        ],
    )
    assert answer["created"] == 2
    errors = errors_by_key(answer)
    assert set(errors) == {"HR-1", "HR-2", "HR-3"}
    assert list(errors["HR-1"]) == ["email"]
    assert list(errors["HR-2"]) == ["manager"] and list(errors["HR-3"]) == ["manager"]
    assert sorted(e["index"] for e in answer["errors"]) == [0, 1, 2]
    assert set(Person.objects.filter(external_id__startswith="HR-").values_list("external_id", flat=True)) == {
        "HR-4",
        "HR-5",
    }
    assert Person.objects.get(external_id="HR-4").manager.external_id == "HR-5"


def test_a_manager_who_exists_keeps_their_reports_valid_even_if_their_own_record_is_bad(org, hr):
    colleague = org.people["colleague"]
    answer = sync_people(
        hr, [rec(colleague.external_id, colleague.full_name, gender="?"), rec("HR-1", manager=colleague.external_id)]
    )
    assert answer["created"] == 1 and list(errors_by_key(answer)) == [colleague.external_id]
    assert Person.objects.get(external_id="HR-1").manager == colleague


def test_a_report_whose_manager_loses_a_work_id_clash_is_invalid_too(org, hr):
    services.person_set_work_ids(actor=ACTOR, person=org.people["colleague"], wecom_user_id="Taken")
    answer = sync_people(hr, [rec("HR-1", wecom_user_id="Taken"), rec("HR-2", manager="HR-1")])
    assert answer["created"] == 0
    errors = errors_by_key(answer)
    assert list(errors["HR-1"]) == ["wecom_user_id"] and list(errors["HR-2"]) == ["manager"]


def test_two_new_people_who_manage_each_other_are_both_created(org, hr):
    # Not a cycle the tree forbids: a person's manager is any other person.
    answer = sync_people(hr, [rec("HR-1", manager="HR-2"), rec("HR-2", manager="HR-1")])
    assert answer["created"] == 2 and answer["errors"] == []
    assert Person.objects.get(external_id="HR-1").manager.external_id == "HR-2"


BAD_BODIES = {
    "records not a list": ({"records": {"external_id": "HR-1"}}, "records"),
    "records missing": ({"full": False}, "records"),
    "full not a boolean": ({"records": [], "full": "yes"}, "full"),
    "run too long": ({"records": [], "run": "r" * 65}, "run"),
    "run not a string": ({"records": [], "run": 7}, "run"),
}


@pytest.mark.parametrize(("body", "field"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
@pytest.mark.parametrize("url", [PEOPLE, UNITS])
def test_a_body_that_is_not_a_sync_body_is_a_400_in_the_error_shape(org, hr, url, body, field):
    response = hr.api.post(url, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert set(data) == SHAPE and data["errors"].get(field), data


@pytest.mark.parametrize("url", [PEOPLE, UNITS])
def test_a_body_that_is_not_an_object_is_a_400(org, hr, url):
    response = hr.api.post(url, [rec("HR-1")], format="json")
    assert response.status_code == 400 and set(response.json()) == SHAPE


def test_more_records_than_a_call_may_carry_is_a_400_and_nothing_is_applied(org, hr, settings):
    settings.SYNC_MAX_RECORDS = 3
    response = hr.api.post(PEOPLE, {"records": [rec(f"HR-{i}") for i in range(4)]}, format="json")
    assert response.status_code == 400 and response.json()["errors"].get("records")
    assert not Person.objects.filter(external_id__startswith="HR-").exists()
    assert sync_people(hr, [rec(f"HR-{i}") for i in range(3)])["created"] == 3


@pytest.mark.parametrize(
    ("scopes", "url"),
    [("people:read,org:write", PEOPLE), ("org:read,people:write", UNITS)],
    ids=["people without people:write", "units without org:write"],
)
def test_a_client_without_the_write_scope_gets_403_and_nothing_is_written(org, scopes, url):
    _, token = services.api_client_create(actor=ACTOR, name="reader", scopes=scopes)
    people, units = Person.objects.count(), OrgUnit.objects.count()
    body = {"records": [rec("HR-1"), {"code": "NEW", "name": "新单位", "kind": "section", "parent": "A"}]}
    response = bearer(token).post(url, body, format="json")
    assert response.status_code == 403 and set(response.json()) == SHAPE
    assert (Person.objects.count(), OrgUnit.objects.count()) == (people, units)


@pytest.mark.parametrize("principal", ["administrator", "hr_officer", "anonymous"])
@pytest.mark.parametrize("url", [PEOPLE, UNITS])
def test_signed_in_users_cannot_call_the_sync(org, as_principal, principal, url):
    response = as_principal(principal, api=True).post(url, {"records": [rec("HR-1")]}, format="json")
    assert response.status_code in (401, 403) and set(response.json()) == SHAPE
    assert not Person.objects.filter(external_id="HR-1").exists()


# --- The working life through the sync -------------------------------------------------------------


@pytest.fixture
def announced():
    """The lifecycle signals sent (after commit), as (kind, external ID)."""
    sent: list[tuple[str, str]] = []

    def receiver(kind):
        def receive(sender, person, **kwargs):
            sent.append((kind, person.external_id))

        return receive

    receivers = {
        lifecycle.person_left: receiver("person_left"),
        lifecycle.person_moved: receiver("person_moved"),
        lifecycle.manager_changed: receiver("manager_changed"),
    }
    for signal, receive in receivers.items():
        signal.connect(receive, dispatch_uid=f"test.{id(receive)}")
    yield sent
    for signal, receive in receivers.items():
        signal.disconnect(dispatch_uid=f"test.{id(receive)}")


def test_a_person_who_leaves_through_the_sync_loses_their_login_and_roles(
    org, hr, announced, django_capture_on_commit_callbacks
):
    supervisor = org.people["supervisor"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = sync_people(hr, [rec(supervisor.external_id, supervisor.full_name, unit="A", status="left")])
    assert answer["updated"] == 1
    supervisor.refresh_from_db()
    assert supervisor.status == Person.Status.LEFT and supervisor.left_on == timezone.localdate()
    assert Person.objects.filter(pk=supervisor.pk).exists()  # never deleted
    org.users["supervisor"].refresh_from_db()
    assert org.users["supervisor"].is_active is False
    assert not RoleAssignment.objects.current().filter(user=org.users["supervisor"]).exists()
    assert LifecycleEvent.objects.filter(kind=LifecycleEvent.Kind.PERSON_LEFT, person=supervisor).count() == 1
    assert ("person_left", supervisor.external_id) in announced
    line = ChangeEntry.objects.filter(key=supervisor.external_id).latest("id")
    assert line.op == ChangeEntry.Op.TOMBSTONE
    # Sent again: nothing more happens.
    counts = writes()
    assert (
        sync_people(hr, [rec(supervisor.external_id, supervisor.full_name, unit="A", status="left")])["unchanged"] == 1
    )
    assert writes() == counts


def test_a_move_and_a_new_manager_through_the_sync_are_announced(
    org, hr, announced, django_capture_on_commit_callbacks
):
    staff, colleague = org.people["staff"], org.people["colleague"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = sync_people(
            hr,
            [
                rec(staff.external_id, staff.full_name, unit="B1"),  # moves to town B
                rec(colleague.external_id, colleague.full_name, manager="EX-hr_officer"),
            ],
        )
    assert answer["updated"] == 2 and answer["errors"] == []
    staff.refresh_from_db()
    colleague.refresh_from_db()
    assert staff.unit == org.section_b1 and colleague.manager == org.people["hr_officer"]
    kinds = set(LifecycleEvent.objects.filter(person__in=[staff, colleague]).values_list("kind", "person"))
    assert kinds >= {(LifecycleEvent.Kind.PERSON_MOVED, staff.pk), (LifecycleEvent.Kind.MANAGER_CHANGED, colleague.pk)}
    assert ("person_moved", staff.external_id) in announced
    assert ("manager_changed", colleague.external_id) in announced
    # Moving is not leaving: the login stays.
    assert org.users["staff"].is_active


def test_a_manager_removed_with_null_is_announced(org, hr, announced, django_capture_on_commit_callbacks):
    staff = org.people["staff"]
    with django_capture_on_commit_callbacks(execute=True):
        sync_people(hr, [rec(staff.external_id, staff.full_name, manager=None)])
    staff.refresh_from_db()
    assert staff.manager is None
    assert ("manager_changed", staff.external_id) in announced


def test_a_new_manager_created_in_the_same_batch_is_set_through_the_lifecycle(
    org, hr, announced, django_capture_on_commit_callbacks
):
    staff = org.people["staff"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = sync_people(
            hr, [rec(staff.external_id, staff.full_name, manager="HR-NEW"), rec("HR-NEW", "新主任", unit="A")]
        )
    assert (answer["created"], answer["updated"], answer["errors"]) == (1, 1, [])
    staff.refresh_from_db()
    assert staff.manager.external_id == "HR-NEW"
    assert ("manager_changed", staff.external_id) in announced


def test_someone_who_comes_back_loses_their_leaving_date_but_not_their_disabled_login(org, hr):
    staff = org.people["staff"]
    sync_people(hr, [rec(staff.external_id, staff.full_name, status="left", left_on="2026-01-31")])
    staff.refresh_from_db()
    assert staff.left_on == date(2026, 1, 31)
    sync_people(hr, [rec(staff.external_id, staff.full_name, status="active")])
    staff.refresh_from_db()
    org.users["staff"].refresh_from_db()
    assert (staff.status, staff.left_on) == (Person.Status.ACTIVE, None)
    assert org.users["staff"].is_active is False  # an administrator enables it again


def test_a_new_person_who_already_left_gets_a_leaving_date(org, hr):
    sync_people(hr, [rec("HR-1", status="left")])
    person = Person.objects.get(external_id="HR-1")
    assert person.status == Person.Status.LEFT and person.left_on == timezone.localdate()


# --- Full sync: the missing are marked left, never deleted --------------------------------------------


def test_a_full_sync_marks_the_people_missing_from_it_left(org, hr, announced, django_capture_on_commit_callbacks):
    colleague, staff = org.people["colleague"], org.people["staff"]
    records = [r for r in everyone_active() if r["external_id"] != staff.external_id]
    people = Person.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        answer = sync_people(hr, [*records, rec("HR-NEW")], full=True)
    assert (answer["created"], answer["updated"], answer["errors"]) == (1, 0, [])
    assert Person.objects.count() == people + 1  # nobody deleted
    staff.refresh_from_db()
    colleague.refresh_from_db()
    assert staff.status == Person.Status.LEFT and colleague.status == Person.Status.ACTIVE
    org.users["staff"].refresh_from_db()
    assert org.users["staff"].is_active is False
    assert ("person_left", staff.external_id) in announced
    assert list(Person.objects.filter(status=Person.Status.LEFT).values_list("external_id", flat=True)) == [
        staff.external_id
    ]


def test_a_sync_that_is_not_full_marks_nobody_left(org, hr):
    sync_people(hr, [rec("HR-1")])
    assert not Person.objects.filter(status=Person.Status.LEFT).exists()


def test_a_person_whose_record_is_invalid_in_a_full_sync_is_not_marked_left(org, hr):
    # edda4fc took the keys a full sync had seen from the valid records only: HR sent this person, with a
    # bad e-mail address, and they were marked left (login disabled, roles ended).
    colleague = org.people["colleague"]
    records = everyone_active()
    for record in records:
        if record["external_id"] == colleague.external_id:
            record["email"] = "not-an-email"
    answer = sync_people(hr, records, full=True)
    assert list(errors_by_key(answer)) == [colleague.external_id]
    colleague.refresh_from_db()
    assert colleague.status == Person.Status.ACTIVE


def test_a_full_sync_over_several_calls_marks_left_only_who_no_call_of_the_run_named(org, hr):
    records = everyone_active()
    first, second = records[: len(records) // 2], records[len(records) // 2 :]
    missing = second.pop()["external_id"]

    answer = sync_people(hr, [*first, rec("HR-NEW-1")], run="2026-11-21")
    assert answer["created"] == 1
    assert not Person.objects.filter(status=Person.Status.LEFT).exists()  # the run is not closed yet

    answer = sync_people(hr, [*second, rec("HR-NEW-2")], run="2026-11-21", full=True)
    assert answer["created"] == 1 and answer["errors"] == []
    assert list(Person.objects.filter(status=Person.Status.LEFT).values_list("external_id", flat=True)) == [missing]
    # The run is closed: a later full sync under the same name starts afresh.
    sync_people(hr, [rec("HR-NEW-1", "同事HR-NEW-1")], run="2026-11-21", full=True)
    assert set(Person.objects.active().values_list("external_id", flat=True)) == {"HR-NEW-1"}


def test_runs_of_two_clients_do_not_mix(org, hr):
    records = everyone_active()
    _, token = services.api_client_create(actor=ACTOR, name="hr-other", scopes="people:write")
    other = Hr(bearer(token), None)
    sync_people(other, records[:-1], run="r1")  # another system's run of the same name
    sync_people(hr, records[:1], run="r1")
    sync_people(hr, [], run="r1", full=True)
    assert set(Person.objects.active().values_list("external_id", flat=True)) == {records[0]["external_id"]}


# --- Org units ---------------------------------------------------------------------------------------


def unit(code: str, name: str | None = None, kind: str = "section", parent: str | None = "A", **fields) -> dict:
    return {"code": code, "name": name or f"单位{code}", "kind": kind, "parent": parent, **fields}


def test_it_creates_units_that_name_each_other_in_any_order(org, hr):
    answer = sync_units(
        hr,
        [
            unit("T1-S1", parent="T1"),  # its parent comes later
            unit("T1", "新镇", kind="town", parent="C"),
            {"external_id": "T1-S2", "name": "二科", "kind": "section", "parent": "T1"},  # the code's other name
        ],
    )
    assert answer == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    assert (parent_code("T1-S1"), parent_code("T1-S2"), parent_code("T1")) == ("T1", "T1", "C")
    assert OrgUnit.objects.get(code="T1-S1").depth == 3
    lines = ChangeEntry.objects.filter(stream="org-units", key__in=["T1", "T1-S1", "T1-S2"])
    assert {line.key: line.data["parent"] for line in lines} == {"T1": "C", "T1-S1": "T1", "T1-S2": "T1"}


def test_sending_the_same_units_again_writes_nothing(org, hr):
    batch = [unit("T1", kind="town", parent="C"), unit("T1-S1", parent="T1")]
    sync_units(hr, batch)
    before, counts = unit_stamps(), writes()
    answer = sync_units(hr, batch)
    assert answer == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert unit_stamps() == before and writes() == counts


BAD_UNITS = {
    "unknown parent": (unit("X", parent="NOPE"), "parent"),
    "own parent": (unit("X", parent="X"), "parent"),
    "bad kind": (unit("X", kind="village"), "kind"),
    "no name": ({"code": "X", "kind": "section", "parent": "A"}, "name"),
    "no code": ({"name": "无码", "kind": "section", "parent": "A"}, "code"),
    "code and external_id differ": (unit("X", external_id="Y"), "code"),
    "is_active not a boolean": (unit("X", is_active="no"), "is_active"),
    "unknown field": (unit("X", budget=1), "budget"),
}


@pytest.mark.parametrize(("record", "field"), BAD_UNITS.values(), ids=BAD_UNITS.keys())
def test_a_bad_unit_record_is_reported_on_its_field(org, hr, record, field):
    answer = sync_units(hr, [unit("OK-1"), record, unit("OK-2")])
    assert answer["created"] == 2
    [error] = answer["errors"]
    assert error["index"] == 1 and error["errors"].get(field), error
    assert not OrgUnit.objects.filter(code="X").exists()


def test_a_unit_under_an_invalid_unit_of_the_batch_is_invalid_too(org, hr):
    answer = sync_units(
        hr,
        [
            unit("T1-S1-X", parent="T1-S1"),
            unit("T1-S1", parent="T1"),
            unit("T1", kind="village", parent="C"),  # the bad one
            unit("T2", kind="town", parent="C"),
        ],
    )
    assert answer["created"] == 1
    errors = errors_by_key(answer)
    assert list(errors["T1"]) == ["kind"]
    assert list(errors["T1-S1"]) == ["parent"] and list(errors["T1-S1-X"]) == ["parent"]
    assert not OrgUnit.objects.filter(code__startswith="T1").exists()


def test_a_person_in_a_unit_the_same_call_cannot_create_is_reported(org, hr):
    # People name units that exist: sync units first, then people.
    answer = sync_people(hr, [rec("HR-1", unit="T-NEW")])
    assert list(errors_by_key(answer)["HR-1"]) == ["unit"]


def test_a_unit_moves_with_everything_below_it(org, hr, settings):
    people_in_a1 = set(Person.objects.filter(unit=org.section_a1).values_list("pk", flat=True))
    answer = sync_units(hr, [unit("A", "城关镇", kind="town", parent="B")])
    assert answer["updated"] == 1
    assert parent_code("A") == "B" and parent_code("A1") == "A"
    assert OrgUnit.objects.get(code="A1").depth == 4
    assert set(Person.objects.filter(unit__code="A1").values_list("pk", flat=True)) == people_in_a1
    b = OrgUnit.objects.get(code="B")
    assert OrgUnit.objects.get(code="A1").path.startswith(b.path)
    [audit] = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_id=str(org.town_a.pk))
    assert audit.changes == {"parent": ["C", "B"]}
    assert ChangeEntry.objects.filter(key="A").latest("id").data["parent"] == "B"
    # The API shows the move.
    shown = hr.api.get(f"/api/v1/org-units/{org.town_a.pk}/").json()
    assert (shown["parent"], shown["depth"]) == (b.pk, 3)


def test_units_can_swap_places_in_one_batch(org, hr):
    # A1 goes to the top of its own former parent: parents are applied first, so no cycle arises.
    answer = sync_units(hr, [unit("A", "城关镇", kind="town", parent="A1"), unit("A1", "综合办A", parent="C")])
    assert answer["errors"] == [] and answer["updated"] == 2
    assert (parent_code("A1"), parent_code("A")) == ("C", "A1")


def test_a_move_below_its_own_descendant_is_refused_and_nothing_moves(org, hr):
    before = dict(OrgUnit.objects.values_list("code", "path"))
    answer = sync_units(hr, [unit("A", "城关镇", kind="town", parent="A1")])
    assert list(errors_by_key(answer)["A"]) == ["parent"]
    assert dict(OrgUnit.objects.values_list("code", "path")) == before


def test_a_cycle_within_the_batch_is_refused(org, hr):
    answer = sync_units(hr, [unit("X", parent="Y"), unit("Y", parent="X"), unit("Z", parent="X")])
    assert set(errors_by_key(answer)) == {"X", "Y", "Z"}
    assert not OrgUnit.objects.filter(code__in=["X", "Y", "Z"]).exists()


def test_a_unit_can_be_taken_out_of_use_and_back(org, hr):
    sync_units(hr, [unit("B1", "综合办B", parent="B", is_active=False)])
    assert OrgUnit.objects.get(code="B1").is_active is False
    assert ChangeEntry.objects.filter(key="B1").latest("id").op == ChangeEntry.Op.TOMBSTONE
    # Leaving is_active out keeps it.
    assert sync_units(hr, [unit("B1", "综合办B", parent="B")])["unchanged"] == 1
    sync_units(hr, [unit("B1", "综合办B", parent="B", is_active=True)])
    assert OrgUnit.objects.get(code="B1").is_active is True


def test_a_unit_record_without_parent_keeps_its_parent(org, hr):
    # edda4fc read a missing "parent" as null: renaming a unit moved it and its subtree to the top.
    answer = sync_units(hr, [{"code": "A1", "name": "综合办公室", "kind": "section"}])
    assert answer["updated"] == 1
    assert OrgUnit.objects.get(code="A1").name == "综合办公室"
    assert parent_code("A1") == "A"


def test_a_full_unit_sync_takes_the_missing_units_out_of_use_and_deletes_none(org, hr):
    kept = [unit(u.code, u.name, u.kind, parent_code(u.code)) for u in OrgUnit.objects.exclude(code="B1")]
    units = OrgUnit.objects.count()
    answer = sync_units(hr, [*kept, unit("NEW", parent="B")], full=True)
    assert (answer["created"], answer["errors"]) == (1, [])
    assert OrgUnit.objects.count() == units + 1
    assert list(OrgUnit.objects.filter(is_active=False).values_list("code", flat=True)) == ["B1"]
    assert ChangeEntry.objects.filter(key="B1").latest("id").op == ChangeEntry.Op.TOMBSTONE
    # The people in it stay where they are.
    assert org.people["outsider"].unit.code == "B1"


def test_a_unit_whose_record_is_invalid_in_a_full_sync_stays_in_use(org, hr):
    # edda4fc took units with a bad record out of use in a full sync (as for people above).
    records = [unit(u.code, u.name, u.kind, parent_code(u.code)) for u in OrgUnit.objects.all()]
    for record in records:
        if record["code"] == "B1":
            record["kind"] = "village"
    answer = sync_units(hr, records, full=True)
    assert list(errors_by_key(answer)) == ["B1"]
    assert OrgUnit.objects.get(code="B1").is_active is True


def test_unit_changes_are_audited_with_the_client_and_people_keep_their_unit(org, hr):
    make_person(org.section_b1, external_id="HR-IN-B1")
    sync_units(hr, [unit("B1", "综合一科", parent="B")])
    [audit] = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_id=str(org.section_b1.pk))
    assert audit.actor_label == "api:hr-writer" and audit.changes == {"name": ["综合办B", "综合一科"]}
    assert Person.objects.get(external_id="HR-IN-B1").unit.name == "综合一科"


# --- A record the database would refuse is a record error, not a failed batch ---------------------------


@pytest.mark.parametrize("status", ["active", "left"], ids=["bulk path", "lifecycle path"])
def test_a_start_date_before_the_stored_birth_date_is_that_records_error(org, hr, status):
    # edda4fc checked a record only against itself: the database's check constraint failed the whole
    # batch (a 500 on the bulk path, a 400 through the lifecycle service).
    colleague = org.people["colleague"]  # born 1985-05-01
    response = hr.api.post(
        PEOPLE,
        {
            "records": [
                rec(colleague.external_id, colleague.full_name, work_start_date="1980-01-01", status=status),
                rec("HR-OK"),
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.status_code
    answer = response.json()
    assert list(errors_by_key(answer)[colleague.external_id]) == ["work_start_date"]
    assert Person.objects.filter(external_id="HR-OK").exists()


def test_left_on_null_for_someone_who_already_left_does_not_fail_the_batch(org, hr):
    staff = org.people["staff"]
    sync_people(hr, [rec(staff.external_id, staff.full_name, status="left")])
    hr.api.raise_request_exception = False
    response = hr.api.post(
        PEOPLE,
        {"records": [rec(staff.external_id, staff.full_name, status="left", left_on=None), rec("HR-OK")]},
        format="json",
    )
    assert response.status_code == 200, response.status_code
    assert Person.objects.filter(external_id="HR-OK").exists()
    staff.refresh_from_db()
    assert staff.status == Person.Status.LEFT and staff.left_on is not None


def test_the_feed_line_of_a_changed_person_keeps_their_manager(org, hr):
    staff = org.people["staff"]  # managed by EX-supervisor
    sync_people(hr, [rec(staff.external_id, staff.full_name, position="科长")])
    line = ChangeEntry.objects.filter(key=staff.external_id).latest("id")
    assert line.data["position"] == "科长"
    assert line.data["manager"] == "EX-supervisor"


def test_a_unit_created_below_a_unit_the_same_batch_moved_lands_in_the_right_place(org, hr):
    answer = sync_units(hr, [unit("A", "城关镇", kind="town", parent="B"), unit("N", parent="A1")])
    assert answer["errors"] == [] and (answer["created"], answer["updated"]) == (1, 1)
    n, a1 = OrgUnit.objects.get(code="N"), OrgUnit.objects.get(code="A1")
    assert parent_code("N") == "A1" and n.path.startswith(a1.path) and n.depth == a1.depth + 1
    assert OrgUnit.objects.get(code="A1").numchild == 1
