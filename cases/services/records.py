"""What a counsellor writes in a case: notes (DAP or free form; corrected within 24 hours with every
version kept, then addenda only), the safety plan (versioned), interventions (a supervisor receives
only the action text of a change of post or time off), and a re-screening asked of the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseNote, CaseNoteVersion, Intervention, SafetyPlan
from cases.services import common
from cases.services.progress import WORK, contact_made, next_contact_set
from leave import services as leave_services
from leave.calendar import Calendar
from wellbeing import messages, policy
from wellbeing.actors import SystemActor
from wellbeing.audit import REDACTED, diff
from wellbeing.models import AuditEvent, FollowUp, Instrument, Tier
from wellbeing.services import followup_create

#: The supervisor's follow-up is made by this neutral actor: nothing in it points to a counsellor.
WORKLOAD_ACTOR = SystemActor("service:workload-action")
MAX_TEXT = 20000


def _work(actor, case: Case) -> Case:
    case = common.locked(case)  # the rule is checked on the case as it stands now
    common.check(actor, WORK, case, _("You do not work on this case."))
    common.require_open(case)
    return case


def _texts(**fields) -> dict[str, str]:
    cleaned = {k: (v or "").strip() for k, v in fields.items()}
    common.no_nul(**cleaned)
    errors = {
        k: [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}] for k, v in cleaned.items() if len(v) > MAX_TEXT
    }
    if errors:
        raise ValidationError(errors)
    return cleaned


@dataclass
class NoteInput:
    form: str = CaseNote.Form.DAP
    data: str = ""
    assessment: str = ""
    plan: str = ""
    body: str = ""
    contact: str = ""
    next_due: datetime | None = None

    def texts(self) -> dict[str, str]:
        texts = _texts(data=self.data, assessment=self.assessment, plan=self.plan, body=self.body)
        if self.form == CaseNote.Form.DAP:
            texts["body"] = ""
            if not any(texts[k] for k in ("data", "assessment", "plan")):
                raise ValidationError({"data": [_("Write at least the data, the assessment or the plan.")]})
        elif self.form == CaseNote.Form.FREE:
            texts.update(data="", assessment="", plan="")
            if not texts["body"]:
                raise ValidationError({"body": [_("Write the note.")]})
        else:
            raise ValidationError({"form": [_("Choose DAP or free form.")]})
        return texts


@transaction.atomic
def note_add(*, actor, case: Case, data: NoteInput) -> CaseNote:
    """Add a note. A note that records a contact (in person, phone ...) completes the current contact
    follow-up and schedules the next one (by risk, or ``next_due`` if earlier)."""
    case = _work(actor, case)
    texts = data.texts()
    if data.contact not in CaseNote.Contact.values:
        raise ValidationError({"contact": [_("Choose how you were in contact, or no contact.")]})
    note = CaseNote.objects.create(case=case, author=actor, form=data.form, contact=data.contact, **texts)
    common.audit(actor, case, AuditEvent.Action.CREATE, {"note": REDACTED}, target=note)
    if data.contact:
        contact_made(actor=actor, case=case, mode=data.contact, next_due=data.next_due)
    elif data.next_due is not None:
        next_contact_set(actor=actor, case=case, due_at=data.next_due)
    return note


@transaction.atomic
def note_edit(*, actor, note: CaseNote, data: NoteInput) -> CaseNote:
    """Its author corrects a note within 24 hours; the earlier wording is kept as a version."""
    note = CaseNote.objects.select_for_update().select_related("case__person").get(pk=note.pk)
    common.check(actor, WORK, note.case, _("You do not work on this case."))
    if note.author_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the note's author corrects it; others add an addendum."))
    if not note.is_editable():
        raise ValidationError(
            {
                "__all__": [
                    _("A note can be corrected for %(h)s hours after it was written. Add an addendum instead.")
                    % {"h": settings.CASE_NOTE_EDIT_HOURS}
                ]
            }
        )
    data.form = note.form
    texts = data.texts()
    CaseNoteVersion.objects.create(
        note=note,
        data=note.data,
        assessment=note.assessment,
        plan=note.plan,
        body=note.body,
        written_at=note.edited_at or note.created_at,
    )
    for key, value in texts.items():
        setattr(note, key, value)
    note.edited_at = timezone.now()
    note.save(update_fields=[*CaseNote.TEXT_FIELDS, "edited_at", "updated_at"])
    common.audit(actor, note.case, AuditEvent.Action.UPDATE, {"note": REDACTED}, target=note)
    return note


@transaction.atomic
def note_addendum(*, actor, note: CaseNote, body: str) -> CaseNote:
    """An addendum to a note (free form), by anyone who works on the case, at any time."""
    case = _work(actor, note.case)
    (body,) = _texts(body=body).values()
    if not body:
        raise ValidationError({"body": [_("Write the addendum.")]})
    root = note.addendum_to or note
    addendum = CaseNote.objects.create(case=case, author=actor, form=CaseNote.Form.FREE, body=body, addendum_to=root)
    common.audit(
        actor, case, AuditEvent.Action.CREATE, {"addendum_to": [None, str(root.pk)], "note": REDACTED}, target=addendum
    )
    return addendum


@transaction.atomic
def safety_plan_save(*, actor, case: Case, sections: dict[str, str]) -> SafetyPlan:
    """A new version of the safety plan (the earlier ones are kept)."""
    case = _work(actor, case)
    unknown = set(sections) - set(SafetyPlan.SECTIONS)
    if unknown:
        raise ValidationError({name: [_("Not a section of the safety plan.")] for name in sorted(unknown)})
    texts = _texts(**{name: sections.get(name, "") for name in SafetyPlan.SECTIONS})
    if not any(texts.values()):
        raise ValidationError({"warning_signs": [_("Fill in at least one section.")]})
    latest = case.safety_plans.aggregate(v=Max("version"))["v"] or 0
    plan = SafetyPlan.objects.create(case=case, version=latest + 1, written_by=actor, **texts)
    common.audit(
        actor,
        case,
        AuditEvent.Action.CREATE,
        {"safety_plan": REDACTED, "version": [latest or None, latest + 1]},
        target=plan,
    )
    return plan


def _supervisor_for(case: Case):
    supervisors = policy.supervisors_of(case.person)
    if not supervisors:
        raise ValidationError(
            {
                "supervisor_action": [
                    _("Nobody supervises this person in the system: agree the action with their unit directly.")
                ]
            }
        )
    return supervisors[0]


@dataclass
class InterventionInput:
    kind: str
    occurred_on: date
    details: str = ""
    service: str = ""
    status: str = ""
    supervisor_action: str = ""
    supervisor_due: date | None = None
    #: Time off recommended: the days of the leave request drafted for the person (default: the
    #: next five working days); they adjust and send it like any request of their own.
    leave_from: date | None = None
    leave_until: date | None = None


@transaction.atomic
def intervention_add(*, actor, case: Case, data: InterventionInput) -> Intervention:
    """Record an intervention. An external referral starts as proposed (then accepted / rejected /
    done with an outcome). A change of post or time off may send the person's supervisor an action:
    a follow-up with the action text only - never the reason, never a sign that a case exists."""
    case = _work(actor, case)
    if data.kind not in Intervention.Kind.values:
        raise ValidationError({"kind": [_("Choose the kind of intervention.")]})
    if not isinstance(data.occurred_on, date) or abs((data.occurred_on - timezone.localdate()).days) > 366:
        raise ValidationError({"occurred_on": [_("Give a date within a year of today.")]})
    texts = _texts(details=data.details, service=data.service, supervisor_action=data.supervisor_action)
    status = data.status or (
        Intervention.Status.PROPOSED if data.kind == Intervention.Kind.EXTERNAL_REFERRAL else Intervention.Status.DONE
    )
    if status not in Intervention.Status.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    if data.kind == Intervention.Kind.EXTERNAL_REFERRAL and not texts["service"]:
        raise ValidationError({"service": [_("Name the hospital or service.")]})
    if texts["supervisor_action"] and data.kind not in Intervention.SUPERVISOR_KINDS:
        raise ValidationError(
            {"supervisor_action": [_("Only a change of post or time off is sent to the supervisor.")]}
        )
    if len(texts["supervisor_action"]) > 200:
        raise ValidationError({"supervisor_action": [_("Keep the action under 200 characters.")]})
    if (data.leave_from or data.leave_until) and data.kind != Intervention.Kind.TIME_OFF:
        raise ValidationError({"leave_from": [_("Leave days are for time off only.")]})
    intervention = Intervention.objects.create(
        case=case, kind=data.kind, status=status, occurred_on=data.occurred_on, recorded_by=actor, **texts
    )
    if data.kind == Intervention.Kind.TIME_OFF:
        intervention.leave_request = _draft_leave(actor, case, data)
        intervention.save(update_fields=["leave_request", "updated_at"])
    if texts["supervisor_action"]:
        due = data.supervisor_due or (timezone.localdate() + timedelta(days=14))
        if due < timezone.localdate() or (due - timezone.localdate()).days > 366:
            raise ValidationError({"supervisor_due": [_("Give a date between today and a year from now.")]})
        intervention.supervisor_followup = followup_create(
            actor=WORKLOAD_ACTOR,
            owner=_supervisor_for(case),
            title=texts["supervisor_action"],
            due_at=timezone.make_aware(datetime.combine(due, datetime.min.time().replace(hour=17))),
            kind=FollowUp.Kind.GENERAL,
            tier=Tier.ROUTINE,
            person=case.person,
        )
        intervention.save(update_fields=["supervisor_followup", "updated_at"])
    common.audit(
        actor,
        case,
        AuditEvent.Action.CREATE,
        diff({}, {"kind": data.kind, "details": texts["details"]}, sensitive=["kind", "details"]),
        target=intervention,
    )
    return intervention


def _draft_leave(actor, case: Case, data: InterventionInput):
    """The leave request drafted for the person: an ordinary draft to them and their supervisor (the
    leave app marks it as care leave for the leading group's counts, never shown)."""
    today = timezone.localdate()
    calendar = Calendar()
    start = data.leave_from or calendar.add_working_days(today, 1)
    end = data.leave_until or (calendar.add_working_days(start, 4) if data.leave_from is None else start)
    if not today <= start <= today + timedelta(days=366):
        raise ValidationError({"leave_from": [_("Give a first day between today and a year from now.")]})
    if end < start or (end - start).days > 366:
        raise ValidationError({"leave_until": [_("Give a last day on or after the first day, within a year.")]})
    # Made by the same neutral system actor as the supervisor's action: the audit trail of the request
    # does not name a counsellor either.
    return leave_services.care_draft(actor=WORKLOAD_ACTOR, person=case.person, start_date=start, end_date=end)


@transaction.atomic
def intervention_update(*, actor, intervention: Intervention, status: str, outcome: str = "") -> Intervention:
    """An external referral moves on: accepted or rejected, then done, with an outcome."""
    case = _work(actor, intervention.case)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk, case=case)
    if status not in Intervention.Status.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    if status not in Intervention.STATUS_MOVES[Intervention.Status(intervention.status)]:
        raise ValidationError(
            {
                "status": [
                    _("It cannot go from %(old)s to %(new)s.")
                    % {"old": intervention.get_status_display(), "new": Intervention.Status(status).label}
                ]
            }
        )
    (outcome,) = _texts(outcome=outcome).values()
    if status in (Intervention.Status.DONE, Intervention.Status.REJECTED) and not outcome:
        raise ValidationError({"outcome": [_("Write the outcome.")]})
    old = intervention.status
    intervention.status = status
    if outcome:
        intervention.outcome = outcome
    intervention.save(update_fields=["status", "outcome", "updated_at"])
    common.audit(
        actor, case, AuditEvent.Action.STATUS, {"status": [old, status], "outcome": REDACTED}, target=intervention
    )
    return intervention


@transaction.atomic
def rescreen_ask(*, actor, case: Case, instrument: Instrument) -> FollowUp:
    """Ask the person to take a questionnaire again: a personal follow-up they see (it never
    escalates); the result appears in the case when it arrives."""
    case = _work(actor, case)
    person = case.person
    if not person.user_id or not person.user.is_active:
        raise ValidationError({"instrument": [_("This person has no active login to take a questionnaire.")]})
    if not instrument.is_active:
        raise ValidationError({"instrument": [_("This questionnaire is not offered.")]})
    followup = followup_create(
        actor=actor,
        owner=person.user,
        title_key=messages.SCREENING_RESCREEN,
        title_params={"instrument": instrument.code},
        due_at=timezone.now() + timedelta(days=7),
        kind=FollowUp.Kind.SCREENING_INVITATION,
        tier=Tier.ROUTINE,
        subject=instrument,
        person=person,
        escalation=FollowUp.Escalation.NONE,
        confidential=True,
    )
    common.event(case, CaseEvent.Kind.RESCREEN_ASKED, actor, instrument=instrument.code)
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"rescreen": REDACTED})
    return followup
