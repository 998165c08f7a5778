"""Leave: the calendar's exceptions, leave types, the append-only ledger balances come from, requests
and their approval, and work on rest days that earns time off in lieu (issue 11; domain.md "Annual
paid leave", "Other leave", "Public holidays")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from wellbeing.encryption import EncryptedTextField
from wellbeing.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL
#: Days are kept in half days.
DAYS = {"max_digits": 6, "decimal_places": 1}
HALF = Decimal("0.5")


# --- The calendar -----------------------------------------------------------------------------------


class HolidayYear(TimeStampedModel):
    """A year of public holidays and make-up workdays entered or corrected by an administrator (the
    State Council announces a year in November or December). Years without a row come from the
    ``chinesecalendar`` library where it has them; any other year is provisional (weekends only)."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    announced = models.BooleanField(
        _("announced"),
        default=False,
        help_text=_(
            "Tick once the days below are complete as announced. Until then every day count that touches "
            "the year is marked provisional (and this year replaces the library's data as it stands)."
        ),
    )
    note = models.CharField(_("source"), max_length=200, blank=True, help_text=_("E.g. 国办发明电〔2025〕7号"))

    class Meta:
        verbose_name = _("holiday year")
        verbose_name_plural = _("holiday years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """One exception to the weekend rule in an administrator's year: a public holiday on a weekday, or
    a weekend day that is a make-up workday (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday (day off)")
        WORKDAY = "workday", _("make-up workday (调休上班)")

    holiday_year = models.ForeignKey(HolidayYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("E.g. 春节"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        errors = {}
        if self.date and self.holiday_year_id and self.date.year != self.holiday_year.year:
            errors["date"] = [_("This day is not in %(year)s.") % {"year": self.holiday_year.year}]
        if self.date and self.kind == self.Kind.WORKDAY and self.date.weekday() < 5:
            errors["kind"] = [_("A make-up workday is a Saturday or Sunday worked instead of a holiday.")]
        if errors:
            raise ValidationError(errors)


# --- Leave types ------------------------------------------------------------------------------------


class LeaveType(TimeStampedModel):
    """A kind of leave, as data (domain.md "Other leave"). The eight statutory kinds come with the
    system (migration 0002); an administrator adds others."""

    class Category(models.TextChoices):
        ANNUAL = "annual", _("annual leave (年休假)")
        IN_LIEU = "in_lieu", _("time off in lieu (调休)")
        SICK = "sick", _("sick leave (病假)")
        PERSONAL = "personal", _("personal leave (事假)")
        OTHER = "other", _("other")

    class Unit(models.TextChoices):
        WORKING_DAYS = "working_days", _("working days")
        CALENDAR_DAYS = "calendar_days", _("calendar days")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)
    category = models.CharField(
        _("counts as"),
        max_length=16,
        choices=Category.choices,
        default=Category.OTHER,
        help_text=_(
            "Annual leave and time off in lieu draw on their balances; sick and personal leave count "
            "towards the annual-leave eligibility rules (职工带薪年休假条例 §4)."
        ),
    )
    unit = models.CharField(_("counted in"), max_length=16, choices=Unit.choices, default=Unit.WORKING_DAYS)
    paid = models.BooleanField(_("paid"), default=True)
    needs_balance = models.BooleanField(
        _("needs a balance"), default=False, help_text=_("Requests beyond the balance are refused.")
    )
    max_days_per_request = models.DecimalField(
        _("most days in one request"),
        null=True,
        blank=True,
        validators=[MinValueValidator(HALF)],
        help_text=_("Empty: no limit."),
        **DAYS,
    )
    affects_annual = models.BooleanField(
        _("affects annual-leave eligibility"),
        default=False,
        help_text=_("Sick or personal leave that counts towards losing the year's annual leave."),
    )
    is_active = models.BooleanField(_("can be requested"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("leave type")
        verbose_name_plural = _("leave types")
        ordering = ["sort_order", "code"]
        constraints = [
            # One type each for the two balances the system keeps itself.
            models.UniqueConstraint(
                fields=["category"], condition=Q(category__in=["annual", "in_lieu"]), name="leave_type_one_per_balance"
            ),
            models.CheckConstraint(
                condition=~Q(category__in=["annual", "in_lieu"]) | Q(needs_balance=True),
                name="leave_type_balance_kinds_need_balance",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the reader's language (conventions.md, 17)."""
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def in_working_days(self) -> bool:
        return self.unit == self.Unit.WORKING_DAYS


# --- Requests ---------------------------------------------------------------------------------------


class LeaveRequest(TimeStampedModel):
    """A person's request for leave, decided by their supervisor. Approval writes "taken" lines to the
    ledger (for types with a balance); cancelling approved leave writes them back."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("leave request", "draft")
        PENDING = "pending", pgettext_lazy("leave request", "waiting for approval")
        APPROVED = "approved", pgettext_lazy("leave request", "approved")
        REJECTED = "rejected", pgettext_lazy("leave request", "rejected")
        WITHDRAWN = "withdrawn", pgettext_lazy("leave request", "withdrawn")
        CANCELLED = "cancelled", pgettext_lazy("leave request", "cancelled")

    #: Requests that hold their dates (another request may not overlap them).
    HOLDING = (Status.PENDING, Status.APPROVED)

    class Origin(models.TextChoices):
        PERSON = "person", _("the person")
        API = "api", _("an HR system")
        CARE = "care", _("recommended as care")
        HR = "hr", _("recorded by an HR system")

    #: The origins shown to anyone (pages, the API, the change feed): the rest show as the person's own.
    SHOWN_ORIGINS = (Origin.PERSON, Origin.API, Origin.HR)

    person = models.ForeignKey("wellbeing.Person", on_delete=models.PROTECT, related_name="leave_requests")
    leave_type = models.ForeignKey(LeaveType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    start_pm = models.BooleanField(_("first day from the afternoon"), default=False)
    end_am = models.BooleanField(_("last day until noon"), default=False)
    days = models.DecimalField(_("days"), **DAYS)
    provisional = models.BooleanField(
        _("provisional count"), default=False, help_text=_("The dates touch a year whose holidays are not announced.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    note = EncryptedTextField(_("note"), max_length=500, blank=True)
    origin = models.CharField(_("made by"), max_length=16, choices=Origin.choices, default=Origin.PERSON)
    # Set when a counsellor's "time off recommended" became this request (issue 11, item 9). Never shown
    # to anyone: the leading group counts approved care leave (k >= 5), nobody sees which it is.
    care = models.BooleanField(default=False, editable=False)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approver = models.ForeignKey(
        USER, verbose_name=_("approver"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval_followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    # Leave an HR system recorded as taken (POST /api/v1/sync/leave/, leave/services/hr.py): its id for
    # the record, in the namespace of the API client that pushed it.
    hr_external_id = models.CharField(  # noqa: DJ001 (null: no HR record; unique per client among live ones)
        _("HR record ID"), max_length=64, null=True, blank=True, editable=False
    )
    hr_client = models.ForeignKey(
        "wellbeing.ApiClient",
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Set by retention (docs/data-lifecycle.md) once the note and comments are cleared.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["person", "start_date"]),
            models.Index(fields=["status", "start_date"]),
            models.Index(
                fields=["start_date", "end_date"], name="leave_req_approved_idx", condition=Q(status="approved")
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="leave_request_dates"),
            models.CheckConstraint(condition=Q(days__gt=0), name="leave_request_days_positive"),
            # A one-day request cannot both start in the afternoon and end at noon.
            models.CheckConstraint(
                condition=~(Q(start_date=models.F("end_date")) & Q(start_pm=True) & Q(end_am=True)),
                name="leave_request_half_days",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(decided_at__isnull=False), name="leave_request_approved_decided"
            ),
            # Leave recorded by an HR system, and only that, carries the system's record ID and client.
            models.CheckConstraint(
                condition=(Q(origin="hr") & Q(hr_external_id__isnull=False) & Q(hr_client__isnull=False))
                | (~Q(origin="hr") & Q(hr_external_id__isnull=True) & Q(hr_client__isnull=True)),
                name="leave_request_hr_record",
            ),
            # One live request per HR record (a changed record cancels the old request and adds one).
            models.UniqueConstraint(
                fields=["hr_client", "hr_external_id"],
                condition=Q(status="approved"),
                name="leave_request_one_live_hr_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leave_type} {self.start_date}–{self.end_date}"

    @staticmethod
    def reference_for(pk: int) -> str:
        return f"L-{pk:06d}"

    @property
    def reference(self) -> str:
        return self.reference_for(self.pk)

    @property
    def shown_origin(self) -> str:
        """The origin as anyone may see it: a counsellor's recommendation is the person's own."""
        return self.origin if self.origin in self.SHOWN_ORIGINS else self.Origin.PERSON

    @staticmethod
    def halves(start: date, end: date, start_pm: bool, end_am: bool, day: date) -> set[str]:
        """The halves of ``day`` ("am", "pm") leave from ``start`` to ``end`` takes."""
        halves = {"am", "pm"}
        if day == start and start_pm:
            halves.discard("am")
        if day == end and end_am:
            halves.discard("pm")
        return halves

    def clashes_with(self, start: date, end: date, start_pm: bool = False, end_am: bool = False) -> bool:
        """Whether leave from ``start`` to ``end`` overlaps this request. Two may share one day only
        when they take different halves of it (one ends at noon, the other starts in the afternoon)."""
        first, last = max(self.start_date, start), min(self.end_date, end)
        if first > last:
            return False
        if first != last:
            return True
        theirs = self.halves(self.start_date, self.end_date, self.start_pm, self.end_am, first)
        return bool(theirs & self.halves(start, end, start_pm, end_am, first))

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.PENDING)


# --- Work on rest days ------------------------------------------------------------------------------


class OvertimeRecord(TimeStampedModel):
    """Work on a weekend, a public holiday or at night ("5+2", "白+黑"), confirmed by the supervisor;
    a confirmed record earns time off in lieu with a use-by date (公务员法 §82: time off first)."""

    class Kind(models.TextChoices):
        WEEKEND = "weekend", _("weekend")
        HOLIDAY = "holiday", _("public holiday")
        NIGHT = "night", _("night")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("overtime", "waiting for confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("overtime", "confirmed")
        REJECTED = "rejected", pgettext_lazy("overtime", "not confirmed")

    person = models.ForeignKey("wellbeing.Person", on_delete=models.PROTECT, related_name="overtime")
    work_date = models.DateField(_("date worked"))
    kind = models.CharField(_("when"), max_length=16, choices=Kind.choices)
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )
    purpose = models.CharField(_("what for"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirm_followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("work on a rest day")
        verbose_name_plural = _("work on rest days")
        ordering = ["-work_date", "-id"]
        indexes = [models.Index(fields=["person", "work_date"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "work_date", "kind"], name="overtime_once_per_day_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.work_date} {self.get_kind_display()} {self.hours}h"


# --- The ledger -------------------------------------------------------------------------------------


class LeaveLedgerEntry(models.Model):
    """One line of a person's leave account. Append-only: a balance is the sum of its lines, and no
    line is ever changed or deleted (a correction is a new "adjusted" line with its reason).

    Positive lines that grant days (an allocation, days carried in, time off in lieu accrued, a
    positive adjustment) are *lots*; lines that use days (taken, used, expired, carried out, a
    negative adjustment) name the lot they draw on (``lot``), earliest use-by date first, so that what
    expires is exactly what was not used."""

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("allocation")
        TAKEN = "taken", _("taken")
        CANCELLED = "cancelled", _("leave cancelled, days returned")
        CARRIED_OUT = "carried_out", _("carried over to next year")
        CARRIED_IN = "carried_in", _("carried over from last year")
        EXPIRED = "expired", _("expired")
        ADJUSTED = "adjusted", _("adjusted")
        ACCRUED = "accrued", _("time off in lieu accrued")
        USED = "used", _("time off in lieu used")

    #: Kinds that grant days (a lot).
    LOT_KINDS = (Kind.ALLOCATION, Kind.CARRIED_IN, Kind.ACCRUED, Kind.ADJUSTED)

    person = models.ForeignKey("wellbeing.Person", on_delete=models.PROTECT, related_name="leave_ledger")
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("leave year"))
    kind = models.CharField(_("entry"), max_length=16, choices=Kind.choices)
    days = models.DecimalField(_("days"), **DAYS)
    effective_on = models.DateField(_("date"))
    expires_on = models.DateField(_("use by"), null=True, blank=True)
    lot = models.ForeignKey(
        "self", verbose_name=_("drawn from"), on_delete=models.PROTECT, null=True, blank=True, related_name="draws"
    )
    request = models.ForeignKey(LeaveRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger")
    overtime = models.ForeignKey(OvertimeRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger")
    # What the line is for, as a stable code and its parameters (worded when shown) and, for an
    # adjustment, the reason as typed.
    basis = models.CharField(_("basis"), max_length=40, blank=True)
    basis_params = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("leave ledger entry")
        verbose_name_plural = _("leave ledger")
        ordering = ["effective_on", "id"]
        indexes = [
            models.Index(fields=["person", "leave_type", "year"]),
            models.Index(fields=["leave_type", "year"]),
            models.Index(fields=["expires_on"], name="leave_lot_expiry_idx", condition=Q(expires_on__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(days=0), name="leave_ledger_days_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind__in=["allocation", "adjusted"]))
                | (Q(kind__in=["carried_in", "accrued", "cancelled"]) & Q(days__gt=0))
                | (Q(kind__in=["taken", "used", "expired", "carried_out"]) & Q(days__lt=0)),
                name="leave_ledger_sign_by_kind",
            ),
            # An expiry is written once per lot; a lot is carried over once; time off is accrued once
            # per confirmed record; a request is taken once (cancelling writes "cancelled" lines).
            models.UniqueConstraint(
                fields=["lot"], condition=Q(kind="expired"), name="leave_ledger_one_expiry_per_lot"
            ),
            models.UniqueConstraint(
                fields=["lot"], condition=Q(kind="carried_out"), name="leave_ledger_one_carry_per_lot"
            ),
            models.UniqueConstraint(
                fields=["overtime"], condition=Q(kind="accrued"), name="leave_ledger_one_accrual_per_record"
            ),
            models.UniqueConstraint(
                fields=["request", "lot"],
                condition=Q(kind__in=["taken", "used"]),
                name="leave_ledger_request_once_per_lot",
            ),
            models.UniqueConstraint(
                fields=["request", "lot"], condition=Q(kind="cancelled"), name="leave_ledger_cancel_once_per_lot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_on} {self.get_kind_display()} {self.days}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_migrating", False):
            raise ValueError("The leave ledger is append-only: add an adjusting entry instead.")
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):  # the line and its year's total
            super().save(*args, **kwargs)
            LeaveYearTotal.add_line(self)

    def delete(self, *args, **kwargs):
        raise ValueError("The leave ledger is append-only: add an adjusting entry instead.")

    @property
    def reference(self) -> str:
        return f"E-{self.pk:06d}"


class LeaveYearTotal(models.Model):
    """A person's ledger summed per leave type and leave year: one row where the ledger has a dozen, so
    that the HR report (``leave.selectors_report``) reads ten thousand rows, not sixty thousand.

    Derived, never a source, and never edited by hand: saving a new line (``LeaveLedgerEntry.save``)
    adds its days in the same transaction, by one atomic upsert (``add_line``: two lines written at
    once for the same person both count); ``ledger.rebuild_totals`` (``manage.py leave_totals
    --rebuild``) recomputes rows from the ledger after a bulk load, and ``--check`` compares them. What
    a person sees as their balance, and its explanation line by line, is still read from the ledger
    itself."""

    #: How a line counts: days allocated or carried in are granted; taken, less cancelled, is taken.
    GRANTED_KINDS = ("allocation", "carried_in")
    TAKEN_KINDS = ("taken", "cancelled")
    COLUMNS = ("granted", "taken", "accrued", "balance", "lines")

    person = models.ForeignKey("wellbeing.Person", on_delete=models.CASCADE, related_name="+")
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("leave year"))
    #: Days allocated or carried in.
    granted = models.DecimalField(_("granted"), max_digits=9, decimal_places=1, default=0)
    #: Days taken, less those returned by a cancellation.
    taken = models.DecimalField(_("taken"), max_digits=9, decimal_places=1, default=0)
    #: Days of time off in lieu accrued.
    accrued = models.DecimalField(_("accrued"), max_digits=9, decimal_places=1, default=0)
    #: Every line: the balance of the type and year.
    balance = models.DecimalField(_("balance"), max_digits=9, decimal_places=1, default=0)
    lines = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("leave year total")
        verbose_name_plural = _("leave year totals")
        indexes = [models.Index(fields=["leave_type", "year"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "leave_type", "year"], name="leave_year_total_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.leave_type_id} {self.year}: {self.balance}"

    @classmethod
    def add_line(cls, line: LeaveLedgerEntry) -> None:
        """Adds a line just written to its year's total (``LeaveLedgerEntry.save``; ``bulk_create``
        skips it, so bulk loads rebuild the totals). One ``INSERT ... ON CONFLICT DO UPDATE``
        (PostgreSQL and SQLite): atomic, so lines written at once for the same person and year all
        count, whoever commits first."""
        days, kind = line.days, line.kind
        values = (
            days if kind in cls.GRANTED_KINDS else 0,
            -days if kind in cls.TAKEN_KINDS else 0,
            days if kind == "accrued" else 0,
            days,
            1,
        )
        connection = connections[router.db_for_write(cls, instance=line)]
        qn = connection.ops.quote_name
        table = qn(cls._meta.db_table)
        keys = ("person_id", "leave_type_id", "year")
        columns = ", ".join(qn(c) for c in (*keys, *cls.COLUMNS))
        adds = ", ".join(f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in cls.COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * (len(keys) + len(values)))}) "
                f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET {adds}",
                [line.person_id, line.leave_type_id, line.year, *values],
            )
