"""The talks app's part of "everything recorded about me" (the core's MY_RECORDS_SECTIONS, filled from
TalksConfig.ready()): the talks the person took part in with the summary shared with them, and the
agreed actions they own. Never a talk's main content, difficulties or suggestions (the leader's)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from talks.models import Talk, TalkAction
from wellbeing.audit import audit_sensitive_reads
from wellbeing.records import RecordRow, RecordSection, RecordsQuery


def my_actions(*, user, person, limit: int | None = 50) -> list[TalkAction]:
    """The agreed actions about the person that they own themselves (access.md "talk: agreed actions":
    staff see the ones they own), open ones first; one query with the follow-up that tracks each. A
    supervisor's actions about their reports are about someone else: not in the supervisor's records."""
    if user is None:
        return []
    actions = (
        TalkAction.objects.filter(owner=user, person=person)
        .select_related("followup")
        .order_by("-due_date", "-id")[:limit]
    )
    return sorted(actions, key=lambda a: (a.followup is not None and not a.followup.is_active, a.due_date))


def shared_summaries(*, query: RecordsQuery) -> list[tuple[Talk, str]]:
    """The talks the person took part in, with the summary shared with them and nothing else (what a
    participant sees, talks.rules.talk_fields), whether or not they can still log in (a former member
    of staff's access request). The reads are audited under the reader, in one statement."""
    talks = list(
        Talk.objects.filter(pk__in=Talk.objects.filter(participations__person=query.person).values("pk"))
        .select_related("led_by__person")
        .order_by("-held_at", "-id")[: query.limit()]
    )
    audit_sensitive_reads(actor=query.reader, targets=talks, fields=["shared_summary"], subject_person=query.person)
    return [(t, t.shared_summary) for t in talks]


def my_record_sections(query: RecordsQuery) -> list[RecordSection]:
    """Two sections: my talks (date, kind, who led it, the shared summary) and my agreed actions; for
    the person only (an administrator may not read talks: access.md)."""
    if not query.by_the_person:
        return []
    talk_rows = []
    for talk, summary in shared_summaries(query=query):  # audited: one entry per talk
        leader = getattr(getattr(talk.led_by, "person", None), "full_name", "") or talk.led_by.get_username()
        talk_rows.append(
            RecordRow(
                heading=f"{formats.date_format(timezone.localtime(talk.held_at), 'Y-m-d')} {talk.get_kind_display()}",
                detail=_("Led by %(name)s") % {"name": leader},
                text=summary or _("No summary was shared."),
                url=reverse("talks:detail", args=[talk.pk]),
            )
        )
    action_rows = []
    for action in my_actions(user=query.user, person=query.person, limit=query.limit()):
        done = action.followup is not None and not action.followup.is_active
        status = action.followup.get_status_display() if action.followup is not None else _("open")
        action_rows.append(
            RecordRow(
                heading=action.description,
                detail=_("By %(date)s · %(status)s")
                % {"date": formats.date_format(action.due_date, "Y-m-d"), "status": status},
                url=reverse("followups:detail", args=[action.followup_id]) if action.followup_id else "",
                muted=done,
            )
        )
    return [
        RecordSection("my-records-talks", _("Talks"), talk_rows, _("No talks yet.")),
        RecordSection("my-records-actions", _("Agreed actions"), action_rows, _("No agreed actions.")),
    ]
