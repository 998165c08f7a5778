"""Access matrix: one case's page and its actions (issue 10). A case exists only for its counsellor
and the lead counsellor (access.md "case: existence, risk, status" and "case notes, safety plan");
everyone else - the person's supervisor, HR, the leading group, the administrator (without
emergency access), the person themself - is told it does not exist (404). Inside the case, what only
the lead counsellor decides (closure) or only the receiving counsellor decides (a transfer) is
refused to the other (403)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cases import services
from cases.models import Case, CaseNote, Intervention
from tests.conftest import Org
from tests.matrix import Entry, pages
from wellbeing.services import referral_create

#: The counselling team on the case: its counsellor and the lead counsellor.
CASE_PAGE = pages({}, default_user=404) | {"counsellor": 200, "lead_counsellor": 200}
CASE_ACTION = pages({}, default_user=404) | {"counsellor": 302, "lead_counsellor": 302}
LEAD_ACTION = pages({}, default_user=404) | {"counsellor": 403, "lead_counsellor": 302}


def _case(org: Org) -> Case:
    """The staff member's case (they have a login, so a re-screening can be asked), held by the
    counsellor."""
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    return services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"])


def a_case(org: Org) -> dict:
    return {"pk": _case(org).pk}


def a_note(org: Org) -> dict:
    case = _case(org)
    note = services.note_add(
        actor=org.users["counsellor"], case=case, data=services.NoteInput(form="free", body="电话沟通")
    )
    return {"pk": case.pk, "note_pk": note.pk}


def a_plan(org: Org) -> dict:
    case = _case(org)
    services.safety_plan_save(actor=org.users["counsellor"], case=case, sections={"warning_signs": "失眠"})
    return {"pk": case.pk}


def a_flag(org: Org) -> dict:
    case = _case(org)
    flag = services.flag_raise(actor=org.users["counsellor"], case=case, kind="substance", reason="饮酒增多")
    return {"pk": case.pk, "flag_pk": flag.pk}


def a_referral_out(org: Org) -> dict:
    case = _case(org)
    intervention = services.intervention_add(
        actor=org.users["counsellor"],
        case=case,
        data=services.InterventionInput(
            kind=Intervention.Kind.EXTERNAL_REFERRAL, occurred_on=timezone.localdate(), service="县医院心理科"
        ),
    )
    return {"pk": case.pk, "intervention_pk": intervention.pk}


def a_transfer_to_the_lead(org: Org) -> dict:
    case = _case(org)
    services.transfer_propose(
        actor=org.users["counsellor"], case=case, to=org.users["lead_counsellor"], handover_note="每周回访"
    )
    return {"pk": case.pk}


def closure_asked(org: Org) -> dict:
    case = _case(org)
    services.closure_request(actor=org.users["counsellor"], case=case, outcome="improved", summary="好转")
    return {"pk": case.pk}


def a_closed_case(org: Org) -> dict:
    case = _case(org)
    services.closure_request(actor=org.users["counsellor"], case=case, outcome="improved", summary="好转")
    services.closure_approve(actor=org.users["lead_counsellor"], case=case)
    return {"pk": case.pk}


def tomorrow(org: Org) -> dict:
    return {"next-due_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}


def addendum(org: Org) -> dict:
    return {f"add{CaseNote.objects.latest('pk').pk}-body": "补充"}


def clear_reason(org: Org) -> dict:
    from cases.models import CaseFlag

    return {f"clear{CaseFlag.objects.latest('pk').pk}-reason": "已缓解"}


def update_referral(org: Org) -> dict:
    return {f"ivu{Intervention.objects.latest('pk').pk}-status": "accepted"}


def transfer_data(org: Org) -> dict:
    return {"transfer-to": org.users["lead_counsellor"].pk, "transfer-handover_note": "每周三电话回访"}


def rescreen_data(org: Org) -> dict:
    from wellbeing.models import Instrument

    return {"rescreen-instrument": Instrument.objects.get(code="phq9").pk}


ENTRIES = {
    "cases:detail": Entry(CASE_PAGE, kwargs=a_case),
    "cases:note-add": Entry(
        CASE_ACTION, kwargs=a_case, method="post", data={"note-form": "free", "note-body": "面谈", "note-contact": ""}
    ),
    # The page opens for both; only its author (the counsellor) gets the form, the lead a refusal text.
    "cases:note-edit": Entry(CASE_PAGE, kwargs=a_note),
    "cases:note-addendum": Entry(CASE_ACTION, kwargs=a_note, method="post", data=addendum),
    "cases:next-contact": Entry(CASE_ACTION, kwargs=a_case, method="post", data=tomorrow),
    "cases:safety-plan": Entry(CASE_PAGE, kwargs=a_case),
    "cases:safety-plan-print": Entry(CASE_PAGE, kwargs=a_plan),
    "cases:risk": Entry(
        CASE_ACTION, kwargs=a_case, method="post", data={"risk-risk": "high", "risk-reason": "情绪低落"}
    ),
    "cases:status": Entry(CASE_ACTION, kwargs=a_case, method="post", data={"status-status": "active"}),
    "cases:flag": Entry(
        CASE_ACTION, kwargs=a_case, method="post", data={"flag-kind": "family", "flag-reason": "家庭矛盾"}
    ),
    "cases:flag-clear": Entry(CASE_ACTION, kwargs=a_flag, method="post", data=clear_reason),
    "cases:intervention-add": Entry(
        CASE_ACTION,
        kwargs=a_case,
        method="post",
        data=lambda org: {"iv-kind": "counselling", "iv-occurred_on": timezone.localdate().isoformat()},
    ),
    "cases:intervention-update": Entry(CASE_ACTION, kwargs=a_referral_out, method="post", data=update_referral),
    "cases:transfer": Entry(CASE_ACTION, kwargs=a_case, method="post", data=transfer_data),
    # Only the receiving counsellor (here the lead counsellor) accepts or declines.
    "cases:transfer-accept": Entry(LEAD_ACTION, kwargs=a_transfer_to_the_lead, method="post"),
    "cases:transfer-decline": Entry(
        LEAD_ACTION, kwargs=a_transfer_to_the_lead, method="post", data={"decline-reason": "本周满负荷"}
    ),
    "cases:transfer-cancel": Entry(CASE_ACTION, kwargs=a_transfer_to_the_lead, method="post"),
    "cases:rescreen": Entry(CASE_ACTION, kwargs=a_case, method="post", data=rescreen_data),
    "cases:closure-request": Entry(
        CASE_ACTION, kwargs=a_case, method="post", data={"closure-outcome": "stable", "closure-summary": "稳定"}
    ),
    "cases:closure-approve": Entry(LEAD_ACTION, kwargs=closure_asked, method="post"),
    "cases:closure-refuse": Entry(LEAD_ACTION, kwargs=closure_asked, method="post", data={"refuse-reason": "仍需随访"}),
    "cases:reopen": Entry(CASE_ACTION, kwargs=a_closed_case, method="post", data={"reopen-reason": "再次转介"}),
}
