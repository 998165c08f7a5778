"""The core's part of a person's access request (PIPL §45): their directory record, the roles they
held, their own follow-ups, referrals about them (existence and status), their screening results and
consent, and the audit trail of reads of their records (access.md: "reads of their own records (on
request)"). Each section is read directly by the person, not through the reader's access, so a former
member of staff's request is answered in full; each list is one query whatever its length."""

from __future__ import annotations

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from wellbeing.models import AuditEvent, FollowUp, Referral, RoleAssignment, Screening, ScreeningConsent
from wellbeing.records import RecordRow, RecordSection, RecordsQuery


def _day(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else "—"


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else "—"


def directory_section(query: RecordsQuery) -> RecordSection:
    """The person's directory record: every field the organisation keeps about them, labelled."""
    p = query.person
    manager = p.manager.full_name if p.manager_id else "—"
    fields = [
        (_("Full name"), p.full_name),
        (_("Name in pinyin"), p.name_pinyin or "—"),
        (_("External ID"), p.external_id),
        (_("Unit"), p.unit.name),
        (_("Position"), p.position or "—"),
        (_("Employment status"), p.get_status_display()),
        (_("Left on"), _day(p.left_on)),
        (_("Gender"), p.get_gender_display()),
        (_("Date of birth"), _day(p.date_of_birth)),
        (_("Work start date"), _day(p.work_start_date)),
        (_("Hire date"), _day(p.hire_date)),
        (_("Manager"), manager),
        (_("E-mail"), p.email or "—"),
        (_("Phone"), p.phone or "—"),
        (_("WeCom user ID"), p.wecom_user_id or "—"),
        (_("DingTalk user ID"), p.dingtalk_user_id or "—"),
        (_("Login name"), p.user.get_username() if p.user_id else "—"),
    ]
    rows = [RecordRow(heading=str(label), detail=str(value)) for label, value in fields]
    return RecordSection("records-directory", _("Directory record"), rows)


def roles_section(query: RecordsQuery) -> RecordSection:
    """Every role the person's login was given, ended ones included."""
    rows = []
    if query.user is not None:
        assignments = (
            RoleAssignment.objects.filter(user=query.user).select_related("unit").order_by("-valid_from", "-id")
        )
        for a in assignments:
            period = _("from %(start)s until %(end)s") % {
                "start": _day(a.valid_from),
                "end": _day(a.valid_until) if a.valid_until else _("no end date"),
            }
            scope = f" · {a.unit.name}" if a.unit_id else ""
            rows.append(
                RecordRow(
                    heading=f"{capfirst(a.get_role_display())}{scope}",
                    detail=f"{period} · {a.get_status_display()}",
                    muted=a.valid_until is not None and a.valid_until < timezone.localdate(),
                )
            )
    return RecordSection("records-roles", _("Roles"), rows, _("No roles besides staff member."))


def followups_section(query: RecordsQuery) -> RecordSection:
    """The follow-ups addressed to the person about themselves (or nobody else), as on "My records":
    agreed actions are the talks app's section; work about other people is not a record about them."""
    rows = []
    if query.user is not None:
        followups = (
            FollowUp.objects.filter(owner=query.user)
            .filter(Q(person=query.person) | Q(person__isnull=True))
            .exclude(kind=FollowUp.Kind.TALK_ACTION)
            .order_by("-due_at", "-id")[: query.limit()]
        )
        for f in followups:
            rows.append(
                RecordRow(
                    heading=f.display_title,
                    detail=f"{f.get_kind_display()} · {_('Due')} {_moment(f.due_at)} · {f.get_status_display()}",
                    muted=not f.is_active,
                )
            )
    return RecordSection("records-followups", _("Follow-ups"), rows, _("No follow-ups."))


def referrals_section(query: RecordsQuery) -> RecordSection:
    """Referrals about the person: that one was made and where it stands, never what it says or who
    made it (access.md, "referral: existence and status")."""
    labels = dict(Referral.Status.choices)
    referrals = (
        Referral.objects.filter(person=query.person).order_by("-created_at", "-id").values_list("created_at", "status")
    )
    rows = [
        RecordRow(
            heading=_("Made on %(date)s") % {"date": _day(timezone.localdate(at))},
            detail=str(labels.get(status, status)),
        )
        for at, status in referrals
    ]
    return RecordSection(
        "records-referrals",
        _("Referrals to the counselling team"),
        rows,
        _("None."),
    )


def screening_section(query: RecordsQuery) -> RecordSection:
    """The person's screening results as they see them (questionnaire, date, score, band) and their
    consent to screening: given, and withdrawn."""
    rows = []
    consents = ScreeningConsent.objects.filter(person=query.person).order_by("given_at", "id")
    for c in consents:
        detail = _("Notice version %(version)s") % {"version": c.notice_version}
        if c.withdrawn_at:
            detail += " · " + _("withdrawn on %(date)s") % {"date": _moment(c.withdrawn_at)}
        rows.append(
            RecordRow(
                heading=_("Consent to screening given on %(date)s") % {"date": _moment(c.given_at)}, detail=detail
            )
        )
    screenings = (
        Screening.objects.filter(person=query.person)
        .select_related("instrument", "band", "campaign")
        .order_by("-created_at", "-id")[: query.limit()]
    )
    for s in screenings:
        detail = _("Score %(score)s · %(band)s") % {"score": s.score, "band": s.band.localized("label")}
        if s.campaign_id:
            detail += " · " + _("Check-up: %(name)s") % {"name": s.campaign.name}
        rows.append(
            RecordRow(
                heading=f"{_moment(s.created_at)} {s.instrument.localized('name')}",
                detail=detail,
                text=s.band.localized("explanation"),
            )
        )
    return RecordSection("records-screening", _("Screening results and consent"), rows, _("No screening results."))


def reads_section(query: RecordsQuery) -> RecordSection:
    """Who read the person's records, and when: every entry of the audit trail that names the person
    as whose information was read by someone else (sensitive-text reads, emergency access, exports an
    administrator made). Entries carry neutral record labels, never text. Not on the page: access.md
    gives it "on request"."""
    events = (
        AuditEvent.objects.filter(
            subject_person=query.person,
            action__in=[AuditEvent.Action.SENSITIVE_READ, AuditEvent.Action.BREAK_GLASS],
        )
        # Their own reads (My records, their own exports) are not news to them, and would bury the rest.
        .exclude(actor_id=query.person.user_id or 0)
        .select_related("actor__person")
        .order_by("created_at", "id")
    )
    rows = []
    for e in events:
        who = getattr(getattr(e.actor, "person", None), "full_name", "") or e.actor_label
        what = _("records exported (access request)") if e.changes.get("export") else e.get_action_display()
        rows.append(
            RecordRow(heading=f"{_moment(e.created_at)} · {who}", detail=f"{capfirst(what)} · {e.target_label}")
        )
    return RecordSection("records-reads", _("Who read your records"), rows, _("No reads recorded."), on_page=False)


def core_sections(query: RecordsQuery) -> list[RecordSection]:
    """The core's sections of an access-request export, before the apps' sections. Follow-ups,
    referrals and screening results are the person's to read, not an administrator's (access.md)."""
    sections = [directory_section(query), roles_section(query)]
    if query.by_the_person:
        sections += [followups_section(query), referrals_section(query), screening_section(query)]
    return sections
