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


class RoleAssignmentQuerySet(models.QuerySet):
    def current(self, on=None) -> "RoleAssignmentQuerySet":
        today = on or timezone.localdate()
        return self.filter(valid_from__lte=today).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


class RoleAssignment(TimeStampedModel):
    """A role held by a login account, for a period, scoped to an org unit where the role needs one."""

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
        ]

    def __str__(self) -> str:
        scope = f" @ {self.unit}" if self.unit_id else ""
        return f"{self.user} – {self.get_role_display()}{scope}"


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
