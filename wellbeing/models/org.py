from functools import lru_cache

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from pypinyin import lazy_pinyin
from treebeard.mp_tree import MP_Node

from wellbeing.models.base import TimeStampedModel


class OrgUnit(MP_Node, TimeStampedModel):
    """A unit of the organisation: county > town or office > section (单位 / 乡镇 / 部门).

    A materialised path (django-treebeard) makes "this unit and everything under it" one indexed
    ``path LIKE 'prefix%'`` query.
    """

    class Kind(models.TextChoices):
        COUNTY = "county", _("county")
        TOWN = "town", _("town")
        OFFICE = "office", _("office")
        SECTION = "section", _("section")

    code = models.CharField(_("code"), max_length=64, unique=True, help_text=_("The HR system's key for the unit."))
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(pgettext_lazy("org unit", "in use"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    def subtree_q(self, prefix: str = "") -> Q:
        """A filter for rows whose unit (reached through ``prefix``) is this unit or below it."""
        return Q(**{f"{prefix}path__startswith": self.path})


class PersonQuerySet(models.QuerySet):
    def active(self) -> "PersonQuerySet":
        return self.exclude(status=Person.Status.LEFT)

    def in_units(self, units) -> "PersonQuerySet":
        """People in any of ``units`` or their descendants: one query, however deep the tree."""
        q = Q(pk__in=[])
        for unit in units:
            q |= Q(unit__path__startswith=unit.path)
        return self.filter(q)

    def delete(self):
        raise models.ProtectedError(_("People are never deleted; mark them as left."), set(self))


#: A WeCom or DingTalk user id (企业微信 / 钉钉 UserID): letters, digits and ``_ - @ .``, starting with a
#: letter or digit, at most 64 characters (WeCom's own rule; DingTalk's ids fit it). Never a comma or
#: "|": those separate recipients in the services' send calls, so one id could not reach two people.
WORK_USER_ID_VALIDATOR = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}\Z",
    _("Use 1 to 64 letters, digits or the characters _ - @ . (starting with a letter or digit)."),
    code="invalid",
)


@lru_cache(maxsize=50_000)
def name_to_pinyin(name: str) -> str:
    """'王静' -> 'wj wangjing': people can be found by their initials or the full pinyin. One
    conversion per name (the initials are the syllables' first letters), cached: the HR sync converts
    thousands of names a call, and names repeat."""
    syllables = lazy_pinyin(name, errors="ignore")
    initials = "".join(s[:1] for s in syllables).lower()
    full = "".join(syllables).lower()
    return f"{initials} {full}".strip()[:400]


class Person(TimeStampedModel):
    """A staff member (干部 / 职工), keyed by the HR system's ``external_id``.

    Never deleted: a person who leaves keeps their history (status "left").
    """

    class Gender(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")
        UNSPECIFIED = "unspecified", _("unspecified")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        LEFT = "left", _("left")

    external_id = models.CharField(_("external ID"), max_length=64, unique=True)
    full_name = models.CharField(_("full name"), max_length=100)
    name_pinyin = models.CharField(
        _("name in pinyin"),
        max_length=400,
        blank=True,
        editable=False,
        help_text=_("Initials and full pinyin, for search (e.g. 'wj wangjing')."),
    )
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, default=Gender.UNSPECIFIED)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    work_start_date = models.DateField(
        _("work start date"), null=True, blank=True, help_text=_("Start of cumulative service (工作年限).")
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people")
    position = models.CharField(_("position"), max_length=120, blank=True)
    status = models.CharField(_("employment status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
    )
    # Work messaging (docs/reminders.md): the person's own reminders also reach them in WeCom / DingTalk.
    wecom_user_id = models.CharField(
        _("WeCom user ID"),
        max_length=64,
        blank=True,
        validators=[WORK_USER_ID_VALIDATOR],
        help_text=_("The person's UserID in WeCom (企业微信), for personal work notifications."),
    )
    dingtalk_user_id = models.CharField(
        _("DingTalk user ID"),
        max_length=64,
        blank=True,
        validators=[WORK_USER_ID_VALIDATOR],
        help_text=_("The person's userid in DingTalk (钉钉), for personal work notifications."),
    )
    # Set by retention (docs/data-lifecycle.md) once a person who left long ago is anonymised.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "id"]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["updated_at", "id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(manager=models.F("id")), name="person_not_own_manager"),
            models.CheckConstraint(condition=~Q(status="left") | Q(left_on__isnull=False), name="person_left_has_date"),
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=True)
                | Q(work_start_date__isnull=True)
                | Q(work_start_date__gt=models.F("date_of_birth")),
                name="person_work_start_after_birth",
            ),
            models.UniqueConstraint(
                fields=["wecom_user_id"],
                condition=~Q(wecom_user_id=""),
                name="person_unique_wecom_user_id",
                violation_error_code="unique",
                violation_error_message=_("Another person already has this WeCom user ID."),
            ),
            models.UniqueConstraint(
                fields=["dingtalk_user_id"],
                condition=~Q(dingtalk_user_id=""),
                name="person_unique_dingtalk_user_id",
                violation_error_code="unique",
                violation_error_message=_("Another person already has this DingTalk user ID."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.external_id})"

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(_("People are never deleted; mark them as left."), {self})

    def save(self, *args, **kwargs):
        self.name_pinyin = name_to_pinyin(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)
