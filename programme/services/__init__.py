"""The programme's writes (conventions.md: every write that carries a rule is here)."""

from programme.services.activities import (
    activity_cancel,
    activity_create,
    activity_edit,
    close_past_reminders,
    feedback_give,
    material_add,
    record_attendance,
    register,
    unregister,
)
from programme.services.care import care_record_create
from programme.services.plan import (
    correction_complete,
    correction_create,
    evidence_add,
    plan_create,
    review_record,
    task_create,
    task_edit,
    task_progress,
)
from programme.services.registry import register_hooks

__all__ = [
    "activity_cancel",
    "activity_create",
    "activity_edit",
    "care_record_create",
    "close_past_reminders",
    "correction_complete",
    "correction_create",
    "evidence_add",
    "feedback_give",
    "material_add",
    "plan_create",
    "record_attendance",
    "register",
    "register_hooks",
    "review_record",
    "task_create",
    "task_edit",
    "task_progress",
    "unregister",
]
