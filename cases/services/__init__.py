"""The cases app's writes (every rule, transition, audit row and follow-up lives here)."""

from cases.services.access import break_glass
from cases.services.assignment import (
    case_assign,
    case_unassign,
    caseload_limit,
    caseload_size,
    release_caseload,
    transfer_accept,
    transfer_cancel,
    transfer_decline,
    transfer_propose,
)
from cases.services.intake import case_link_referral, case_open, open_case_of, referral_decline
from cases.services.lifecycle import person_left_review
from cases.services.progress import (
    case_reopen,
    closure_approve,
    closure_refuse,
    closure_request,
    flag_clear,
    flag_raise,
    next_contact_set,
    risk_change,
    status_set,
)
from cases.services.records import (
    InterventionInput,
    NoteInput,
    intervention_add,
    intervention_update,
    note_add,
    note_addendum,
    note_edit,
    rescreen_ask,
    safety_plan_save,
)

__all__ = [
    "InterventionInput",
    "NoteInput",
    "break_glass",
    "case_assign",
    "case_link_referral",
    "case_open",
    "case_reopen",
    "case_unassign",
    "caseload_limit",
    "caseload_size",
    "closure_approve",
    "closure_refuse",
    "closure_request",
    "flag_clear",
    "flag_raise",
    "intervention_add",
    "intervention_update",
    "next_contact_set",
    "note_add",
    "note_addendum",
    "note_edit",
    "open_case_of",
    "person_left_review",
    "referral_decline",
    "release_caseload",
    "rescreen_ask",
    "risk_change",
    "safety_plan_save",
    "status_set",
    "transfer_accept",
    "transfer_cancel",
    "transfer_decline",
    "transfer_propose",
]
