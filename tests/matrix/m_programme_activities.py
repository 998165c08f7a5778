"""Access matrix: the programme's activity and care pages (issue 13, items 3 and 4; design/access.md,
"plan, responsibility list, activities" and "care record").

Activities: everyone signed in has the list; the leading group publishes (403 for anyone else, as on
the other role pages). The fixture's activity is published by the leading group for town A: it is
seen by the people of town A (the staff member, A's supervisor, A's HR officer) and the leading group,
and is a 404 for everyone else, its materials likewise; editing it and taking attendance are its
managers' (the organiser and the leading group), a 404 for everyone else.

Care: everyone signed in has the list (what is recorded about them, and about the people they answer
for). Recording support for the colleague (in A1, without a login) is for A's supervisor and A's HR
officer; their care record is seen by them too, and by nobody else - not the leading group, not the
counselling team, not the administrator (404)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from programme import services
from programme.models import Activity
from tests.conftest import Org
from tests.matrix import Entry, pages

#: The people of town A and the leading group.
ACTIVITY_VIEWERS = {"staff": 200, "supervisor": 200, "hr_officer": 200, "leading_group": 200}
MANAGERS = pages({}, default_user=404) | {"leading_group": 200}
CARE_HOLDERS = pages({}, default_user=404) | {"supervisor": 200, "hr_officer": 200}


def town_a_activity(org: Org) -> Activity:
    starts = timezone.now() + timedelta(days=3)
    return services.activity_create(
        actor=org.users["leading_group"],
        units=[org.town_a],
        title="减压沙龙",
        kind=Activity.Kind.SALON,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="县委党校报告厅",
        capacity=20,
    )


def activity(org: Org) -> dict:
    return {"pk": town_a_activity(org).pk}


def material(org: Org) -> dict:
    a = town_a_activity(org)
    m = services.material_add(
        actor=org.users["leading_group"],
        activity=a,
        upload=SimpleUploadedFile("讲义.pdf", b"%PDF-1.4 handout", content_type="application/pdf"),
        title="讲义",
    )
    return {"pk": a.pk, "material_id": m.pk}


def colleague(org: Org) -> dict:
    return {"person_id": org.people["colleague"].pk}


def care_record(org: Org) -> dict:
    record, _ = services.care_record_create(
        actor=org.users["supervisor"],
        person=org.people["colleague"],
        situation="illness",
        occurred_on=timezone.localdate() - timedelta(days=1),
        visited=True,
        note="住院探望",
    )
    return {"pk": record.pk}


ENTRIES = {
    "programme:activities": Entry(pages({})),
    "programme:activity_new": Entry(pages({}, default_user=403) | {"leading_group": 200}),
    "programme:activity": Entry(pages({}, default_user=404) | ACTIVITY_VIEWERS, kwargs=activity),
    "programme:activity_edit": Entry(MANAGERS, kwargs=activity),
    "programme:activity_attendance": Entry(MANAGERS, kwargs=activity),
    "programme:material": Entry(pages({}, default_user=404) | ACTIVITY_VIEWERS, kwargs=material),
    "programme:care": Entry(pages({})),
    "programme:care_new": Entry(CARE_HOLDERS, kwargs=colleague),
    "programme:care_record": Entry(CARE_HOLDERS, kwargs=care_record),
}
