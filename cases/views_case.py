"""One case's page (/cases/<pk>/): the header (person, risk, status, counsellor, next contact, flags),
the actions its reader may take, and the timeline (notes, interventions, events, screenings) with the
follow-ups and the safety plan. The actions are in views_case_notes and views_case_actions; each posts
back here, and an invalid one re-renders this page with its form's errors (HTTP 400)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import selectors
from cases.forms_case import (
    AddendumForm,
    ClosureRefuseForm,
    ClosureRequestForm,
    DeclineForm,
    FlagClearForm,
    FlagForm,
    InterventionForm,
    InterventionUpdateForm,
    NextContactForm,
    NoteForm,
    ReopenForm,
    RescreenForm,
    RiskForm,
    StatusForm,
    TransferForm,
)
from cases.models import BreakGlassGrant, Case, CaseEvent, CaseFlag, CaseNote, Intervention, Risk, SafetyPlan
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read
from wellbeing.models import Instrument, Referral
from wellbeing.screening import selectors as screening_selectors

# The screening pages' chart data and tier badges (the person trajectory page draws the same charts).
from wellbeing.screening.views_counsel import TIER_BADGES, chart_data

RULES = ("work", "assign", "approve_closure", "transfer", "reopen")


def local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value is not None else None


@dataclass
class Item:
    """One entry of the timeline."""

    at: datetime
    type: str
    obj: object = None
    title: str = ""
    detail: str = ""
    actor: str = ""
    reason: str = ""
    addenda: list = field(default_factory=list)


def _user_names(pks: set) -> dict:
    pks = {pk for pk in pks if isinstance(pk, int)}
    if not pks:
        return {}
    rows = get_user_model().objects.filter(pk__in=pks).values_list("pk", "person__full_name", "username")
    return {pk: name or username for pk, name, username in rows}


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or "—"))


def event_text(event: CaseEvent, names: dict, instruments: dict) -> str:
    """What an event says, in the reader's language, from its kind and parameters."""
    p = event.params or {}
    kind = CaseEvent.Kind
    who = names.get(p.get("to")) or names.get(p.get("former")) or "—"
    if event.kind == kind.OPENED:
        return _("Case opened at %(risk)s risk (from a referral: %(source)s)") % {
            "risk": _label(Risk.choices, p.get("risk")),
            "source": _label(Referral.Source.choices, p.get("source")),
        }
    if event.kind == kind.REFERRAL_LINKED:
        return _("Another referral linked to the case (%(source)s)") % {
            "source": _label(Referral.Source.choices, p.get("source"))
        }
    if event.kind == kind.STATUS:
        return _("Status: %(old)s → %(new)s") % {
            "old": _label(Case.Status.choices, p.get("old")),
            "new": _label(Case.Status.choices, p.get("new")),
        }
    if event.kind == kind.RISK:
        return _("Risk: %(old)s → %(new)s") % {
            "old": _label(Risk.choices, p.get("old")),
            "new": _label(Risk.choices, p.get("new")),
        }
    if event.kind == kind.ASSIGNED:
        text = _("Assigned to %(name)s") % {"name": who}
        return text + (" " + _("(over the caseload limit)") if p.get("over_limit") else "")
    if event.kind == kind.UNASSIGNED:
        return _("Returned to the unassigned queue (was %(name)s)") % {"name": who}
    if event.kind == kind.TRANSFER_ASKED:
        return _("Transfer to %(name)s proposed") % {"name": who}
    if event.kind == kind.TRANSFER_ACCEPTED:
        return _("Transfer accepted (from %(name)s)") % {"name": who}
    if event.kind == kind.TRANSFER_DECLINED:
        return _("Transfer declined by %(name)s") % {"name": who}
    if event.kind == kind.TRANSFER_CANCELLED:
        return _("Transfer to %(name)s withdrawn") % {"name": who}
    if event.kind == kind.FLAGGED:
        return _("Flag raised: %(flag)s") % {"flag": _label(CaseFlag.Kind.choices, p.get("flag"))}
    if event.kind == kind.UNFLAGGED:
        return _("Flag cleared: %(flag)s") % {"flag": _label(CaseFlag.Kind.choices, p.get("flag"))}
    if event.kind == kind.CONTACT:
        return _("Contact made: %(mode)s") % {"mode": _label(CaseNote.Contact.choices, p.get("mode"))}
    if event.kind == kind.NEXT_CONTACT:
        due = parse_datetime(p.get("due") or "")
        return _("Next contact scheduled for %(date)s") % {
            "date": local(due).strftime("%Y-%m-%d %H:%M") if due else "—"
        }
    if event.kind == kind.CLOSURE_ASKED:
        return _("Closure asked for: %(outcome)s") % {"outcome": _label(Case.Outcome.choices, p.get("outcome"))}
    if event.kind == kind.CLOSURE_APPROVED:
        return _("Closure approved: %(outcome)s") % {"outcome": _label(Case.Outcome.choices, p.get("outcome"))}
    if event.kind == kind.CLOSURE_REFUSED:
        return _("Closure refused: the case stays open")
    if event.kind == kind.REOPENED:
        return _("Case reopened")
    if event.kind == kind.BREAK_GLASS:
        until = parse_datetime(p.get("until") or "")
        return _("Emergency access until %(date)s") % {
            "date": local(until).strftime("%Y-%m-%d %H:%M") if until else "—"
        }
    if event.kind == kind.RESCREEN_ASKED:
        return _("Re-screening asked for: %(instrument)s") % {
            "instrument": instruments.get(p.get("instrument"), p.get("instrument", "—"))
        }
    return _label(CaseEvent.Kind.choices, event.kind)


def _timeline(user, case: Case) -> tuple[list[Item], list[CaseNote]]:
    notes = selectors.notes_for_user(user=user, case=case)
    by_root: dict[int, list[CaseNote]] = {}
    for note in notes:
        if note.addendum_to_id:
            by_root.setdefault(note.addendum_to_id, []).append(note)
    items: list[Item] = []
    for note in notes:
        if note.addendum_to_id:
            continue
        note.can_edit = note.author_id == user.pk and note.is_editable()
        items.append(
            Item(
                at=note.created_at,
                type="note",
                obj=note,
                actor=_person_name(note.author),
                addenda=by_root.get(note.pk, []),
            )
        )
    for addendum in notes:
        addendum.author_name = _person_name(addendum.author)
    for iv in selectors.interventions_for_user(user=user, case=case):
        items.append(Item(at=iv.created_at, type="intervention", obj=iv, actor=_person_name(iv.recorded_by)))
    events = selectors.events_for_user(user=user, case=case)
    pks = {e.params.get(k) for e in events for k in ("to", "former") if e.params}
    names = _user_names(pks)
    codes = {e.params.get("instrument") for e in events if e.kind == CaseEvent.Kind.RESCREEN_ASKED}
    instruments = dict(Instrument.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for e in events:
        items.append(
            Item(
                at=e.at,
                type="event",
                obj=e,
                title=event_text(e, names, instruments),
                actor=_person_name(e.actor) if e.actor_id else e.actor_label,
                reason=e.reason,
            )
        )
    for s in selectors.screenings_for_case(user=user, case=case):
        s.tier_badge = TIER_BADGES.get(s.effective_tier, "")
        items.append(Item(at=s.created_at, type="screening", obj=s))
    items.sort(key=lambda i: i.at, reverse=True)
    return items, notes


def _person_name(user) -> str:
    if user is None:
        return ""
    person = getattr(user, "person", None)
    return (person.full_name if person is not None else "") or user.get_username()


def _trajectories(user, case: Case) -> list:
    try:
        trajectories = screening_selectors.trajectory_for_user(user=user, person=case.person)
    except Http404:
        return []
    for t in trajectories:
        for s in t.screenings:
            s.tier_badge = TIER_BADGES[s.tier]
            s.reviewed_badge = TIER_BADGES.get(s.reviewed_tier, "")
    return trajectories


def default_forms(user, case: Case, can: dict) -> dict:
    """The forms of the page's actions, unbound, for the actions the reader may take."""
    forms: dict = {}
    now = timezone.localtime()
    if can["work"] and case.is_open:
        forms["note"] = NoteForm(prefix="note")
        forms["next"] = NextContactForm(prefix="next")
        forms["risk"] = RiskForm(prefix="risk", initial={"risk": case.risk})
        forms["status"] = StatusForm(prefix="status", initial={"status": case.status})
        forms["flag"] = FlagForm(prefix="flag")
        forms["intervention"] = InterventionForm(prefix="iv", initial={"occurred_on": now.date()})
        forms["rescreen"] = RescreenForm(prefix="rescreen")
        if not case.closure_pending:
            forms["closure"] = ClosureRequestForm(prefix="closure")
    if can["transfer"] and case.is_open:
        forms["transfer"] = TransferForm(
            prefix="transfer", choices=selectors.counsellor_choices(exclude_person=case.person)
        )
    if can["approve_closure"] and case.closure_pending:
        forms["refuse"] = ClosureRefuseForm(prefix="refuse")
    if can["reopen"] and not case.is_open:
        forms["reopen"] = ReopenForm(prefix="reopen")
    return forms


def render_case(request, case: Case, *, bound: dict | None = None, errors: list | None = None, status: int = 200):
    """The case page; ``bound`` replaces forms by key (an invalid action's form with its errors)."""
    user = request.user
    can = {name: policy.can(user, f"case.{name}", case) for name in RULES}
    forms = default_forms(user, case, can)
    bound = bound or {}
    forms.update({k: v for k, v in bound.items() if not k.startswith(("clear", "ivu", "add", "decline"))})
    items, notes = _timeline(user, case)
    now = timezone.now()

    flags = list(case.flags.filter(cleared_at__isnull=True).defer("reason", "clear_reason").order_by("created_at"))
    for flag in flags:
        flag.form = bound.get(f"clear{flag.pk}") or FlagClearForm(prefix=f"clear{flag.pk}")
    for item in items:
        if item.type == "note" and can["work"] and case.is_open:
            item.obj.addendum_form = bound.get(f"add{item.obj.pk}") or AddendumForm(prefix=f"add{item.obj.pk}")
        if item.type == "intervention" and can["work"] and case.is_open:
            moves = Intervention.STATUS_MOVES[Intervention.Status(item.obj.status)]
            if moves:
                form = bound.get(f"ivu{item.obj.pk}") or InterventionUpdateForm(prefix=f"ivu{item.obj.pk}")
                form.fields["status"].choices = [(s.value, s.label) for s in moves]
                item.obj.update_form = form

    transfer = selectors.pending_transfer(case=case)
    transfer_incoming = transfer is not None and transfer.to_counsellor_id == user.pk
    if transfer is not None and (transfer_incoming or can["transfer"]):
        audit_sensitive_read(actor=user, target=transfer, fields=["handover_note"], subject_person=case.person)
    decline_form = bound.get("decline") or DeclineForm(prefix="decline")

    grant = None
    if not (can["transfer"] or transfer_incoming):
        grant = (
            BreakGlassGrant.objects.filter(case=case, user=user, expires_at__gt=now)
            .only("expires_at")
            .order_by("-expires_at")
            .first()
        )
    contact = case.contact_followup if case.contact_followup and case.contact_followup.is_active else None
    trajectories = _trajectories(user, case)
    plan = selectors.safety_plan_for_user(user=user, case=case)
    open_keys = set(bound)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "can": can,
            "forms": forms,
            "open": open_keys,
            "open_flags": any(k == "flag" or k.startswith("clear") for k in open_keys),
            "errors": errors or [],
            "risk_tier": Risk(case.risk).tier,
            "contact": contact,
            "contact_overdue": contact is not None and contact.due_at < now,
            "counsellor_name": _person_name(case.counsellor),
            "flags": flags,
            "grant": grant,
            "transfer": transfer,
            "transfer_incoming": transfer_incoming,
            "decline_form": decline_form,
            "items": items,
            "note_count": len(notes),
            "followups": selectors.followups_for_case(case=case),
            "plan": plan,
            "plan_sections": _plan_sections(plan),
            "trajectories": trajectories,
            "chart_data": chart_data(trajectories) if trajectories else None,
            "now": now,
        },
        status=status,
    )


def _plan_sections(plan) -> list[tuple[str, str]]:
    if plan is None:
        return []
    return [(plan._meta.get_field(name).verbose_name, getattr(plan, name)) for name in SafetyPlan.SECTIONS]


@login_required
@require_GET
def case_detail(request, pk: int):
    """One case, for whoever may see it (anyone else: 404)."""
    case = selectors.case_get_for_user(user=request.user, case_id=pk)
    return render_case(request, case)
