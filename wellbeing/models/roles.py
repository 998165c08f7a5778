from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellbeing.models.base import TimeStampedModel


class Role(models.TextChoices):
    """The roles of access.md. ``staff`` is implied by a login linked to a person; ``api_client`` is a
    machine principal (ApiClient), never assigned to a user."""

    STAFF = "staff", _("staff member")
    SUPERVISOR = "supervisor", _("supervisor")
    COUNSELLOR = "counsellor", _("counsellor")
    LEAD_COUNSELLOR = "lead_counsellor", _("lead counsellor")
    HR_OFFICER = "hr_officer", _("HR officer")
    LEADING_GROUP = "leading_group", _("leading group member")
    ADMINISTRATOR = "administrator", _("administrator")
    API_CLIENT = "api_client", _("API client")


#: Roles an administrator assigns to a login account.
ASSIGNABLE_ROLES = [
    Role.SUPERVISOR,
    Role.COUNSELLOR,
    Role.LEAD_COUNSELLOR,
    Role.HR_OFFICER,
    Role.LEADING_GROUP,
    Role.ADMINISTRATOR,
]
#: Roles that apply to an org unit and everything under it; the others are organisation-wide.
UNIT_SCOPED_ROLES = [Role.SUPERVISOR, Role.HR_OFFICER]
#: Roles that open clinical records (referral intake, cases): a person assigning one needs a second
#: person to confirm it before it is in force (docs/security.md, "Administrators and clinical roles").
CLINICAL_ROLES = [Role.COUNSELLOR, Role.LEAD_COUNSELLOR]


class RoleAssignmentQuerySet(models.QuerySet):
    def current(self, on=None) -> "RoleAssignmentQuerySet":
        """Assignments in force today (or ``on``): confirmed, and within their period. A clinical role
        waiting for its second person, or refused, is never held."""
        today = on or timezone.localdate()
        return self.filter(status=RoleAssignment.Status.CONFIRMED, valid_from__lte=today).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )

    def pending(self) -> "RoleAssignmentQuerySet":
        """Clinical roles assigned by a person and waiting for a second person to confirm or refuse."""
        return self.filter(status=RoleAssignment.Status.PENDING)


class RoleAssignment(TimeStampedModel):
    """A role held by a login account, for a period, scoped to an org unit where the role needs one.

    A clinical role (``CLINICAL_ROLES``) assigned by a person is *pending* until a second person - a
    lead counsellor or another administrator, never the one who assigned it and never its holder -
    confirms it; until then it is not in force (``current()`` leaves it out). Other roles, and roles
    assigned from the command line, are confirmed when they are assigned.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REFUSED = "refused", _("refused")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=[(r.value, r.label) for r in ASSIGNABLE_ROLES])
    unit = models.ForeignKey(
        "wellbeing.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        help_text=_("Required for supervisors and HR officers: the unit and everything under it."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when assigned from the command line (the audit trail names the command)."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed or refused by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("confirmed or refused at"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        indexes = [models.Index(fields=["user", "role"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="role_assignment_period_valid",
            ),
            models.CheckConstraint(
                condition=(Q(role__in=UNIT_SCOPED_ROLES) & Q(unit__isnull=False))
                | (~Q(role__in=UNIT_SCOPED_ROLES) & Q(unit__isnull=True)),
                name="role_assignment_unit_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in ASSIGNABLE_ROLES]), name="role_assignment_role_known"
            ),
            models.UniqueConstraint(fields=["user", "role", "unit", "valid_from"], name="role_assignment_unique_start"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "refused"]), name="role_assignment_status_known"
            ),
            # Only a clinical role waits for a second person (or is refused).
            models.CheckConstraint(
                condition=Q(status="confirmed") | Q(role__in=CLINICAL_ROLES), name="role_assignment_pending_is_clinical"
            ),
            # Pending: assigned by a person, not decided yet. Confirmed or refused: decided, with a time.
            models.CheckConstraint(
                condition=(
                    Q(status="pending")
                    & Q(assigned_by__isnull=False)
                    & Q(decided_by__isnull=True)
                    & Q(decided_at__isnull=True)
                )
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="role_assignment_decision_recorded",
            ),
            # A clinical role a person assigned is in force only by a second person's confirmation.
            models.CheckConstraint(
                condition=~Q(status="confirmed")
                | ~Q(role__in=CLINICAL_ROLES)
                | Q(assigned_by__isnull=True)
                | (
                    Q(decided_by__isnull=False)
                    & ~Q(decided_by=models.F("assigned_by"))
                    & ~Q(decided_by=models.F("user"))
                ),
                name="role_assignment_second_person",
            ),
        ]

    def __str__(self) -> str:
        scope = f" @ {self.unit}" if self.unit_id else ""
        return f"{self.user} – {self.get_role_display()}{scope}"

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class RoleSecurityPolicy(TimeStampedModel):
    """An administrator's choice, per role, of whether TOTP two-factor log-in is required.

    A role without a row follows the TWO_FACTOR_REQUIRED_ROLES setting.
    """

    role = models.CharField(
        _("role"), max_length=32, unique=True, choices=[(r.value, r.label) for r in Role if r != Role.API_CLIENT]
    )
    require_two_factor = models.BooleanField(_("require two-factor log-in"), default=True)

    class Meta:
        verbose_name = _("role security policy")
        verbose_name_plural = _("role security policies")

    def __str__(self) -> str:
        return str(Role(self.role).label)
