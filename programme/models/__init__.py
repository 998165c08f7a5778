"""The leading group's programme (issue 13): the year's work plan and responsibility list, reviews and
corrections, activities, and care for people in difficulty."""

from programme.models.activities import Activity, ActivityMaterial, Feedback, FeedbackReceipt, Registration
from programme.models.care import CareRecord
from programme.models.plan import Correction, PlanReview, PlanTask, ReviewFinding, TaskEvidence, WorkPlan

__all__ = [
    "Activity",
    "ActivityMaterial",
    "CareRecord",
    "Correction",
    "Feedback",
    "FeedbackReceipt",
    "PlanReview",
    "PlanTask",
    "Registration",
    "ReviewFinding",
    "TaskEvidence",
    "WorkPlan",
]
