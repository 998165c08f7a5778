"""The cases app's part of a person's access request (the core's ``wellbeing.records`` registry,
filled from CasesConfig.ready(); in the export only, never on the "My records" page, which follows
access.md's table for staff). Access.md: staff see everything recorded about themselves except
counsellors' working notes - so the export says that a case was opened, where it stands, who the
counsellor is, the person's own safety plan (written with them) and what was done (kind, date,
status); never the notes, their versions and addenda, the risk level and flags, the reasons on the
timeline, handover notes, the closing summary or an intervention's free text."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.models import Case, Intervention, SafetyPlan
from wellbeing.audit import audit_sensitive_reads
from wellbeing.records import RecordRow, RecordSection, RecordsQuery


def _day(value) -> str:
    return formats.date_format(value, "Y-m-d")


def _name(user) -> str:
    if user is None:
        return _("not yet assigned")
    return getattr(getattr(user, "person", None), "full_name", "") or user.get_username()


def _plan_text(plan: SafetyPlan) -> str:
    parts = []
    for field in SafetyPlan.SECTIONS:
        value = getattr(plan, field)
        if value:
            parts.append(f"{SafetyPlan._meta.get_field(field).verbose_name}: {value}")
    return "\n".join(parts)


def my_record_sections(query: RecordsQuery) -> list[RecordSection]:
    """One section: the person's cases (three queries however many, plus one audit statement); in the
    export only (the page does not show it, so it reads nothing and records no read)."""
    if not query.complete or not query.by_the_person:
        return []
    cases = list(
        Case.objects.filter(person=query.person)
        .select_related("counsellor__person")
        .prefetch_related(
            Prefetch("safety_plans", queryset=SafetyPlan.objects.order_by("-version")),
            Prefetch("interventions", queryset=Intervention.objects.order_by("occurred_on", "id")),
        )
        .order_by("-created_at", "-id")
    )
    plans = [plan for case in cases for plan in case.safety_plans.all()[:1]]
    audit_sensitive_reads(actor=query.reader, targets=plans, fields=SafetyPlan.SECTIONS, subject_person=query.person)
    rows = []
    for case in cases:
        detail = [case.get_status_display(), _("Counsellor: %(name)s") % {"name": _name(case.counsellor)}]
        if case.closed_at:
            detail.append(_("closed on %(date)s") % {"date": _day(timezone.localdate(case.closed_at))})
            detail.append(case.get_outcome_display())
        texts = []
        for plan in case.safety_plans.all()[:1]:
            texts.append(_("Safety plan (version %(version)s):") % {"version": plan.version})
            texts.append(_plan_text(plan))
        for item in case.interventions.all():
            texts.append(f"{_day(item.occurred_on)} {item.get_kind_display()} · {item.get_status_display()}")
        rows.append(
            RecordRow(
                heading=_("Case %(ref)s opened on %(date)s")
                % {"ref": case.reference, "date": _day(timezone.localdate(case.created_at))},
                detail=" · ".join(str(d) for d in detail),
                text="\n".join(texts),
                muted=not case.is_open,
            )
        )
    return [
        RecordSection(
            "records-cases",
            _("Counselling cases"),
            rows,
            _("No counselling case."),
            on_page=False,
        )
    ]
