"""Chinese for the admin's third-party sections: django-axes (log-in lock-out) and django-otp (TOTP
devices), and the few admin texts Django itself ships without Chinese.

Why this module exists. Our catalogue (``LOCALE_PATHS``) wins over a package's own, so a package's
message is translated by giving it a msgstr in ``locale/``. But ``makemessages`` keeps only the msgids
it finds in our source, and drops the rest as stale. So:

- Texts a package marks for translation but ships no Chinese for (django-axes has no zh_Hans catalogue;
  Django's admin lacks a few of its newer captions; django-axes' lock-out messages) are listed below
  with ``gettext_noop``: exactly the package's msgid, so our translation is the one used.
- Texts a package does not mark for translation at all (django-otp's model and field names, both
  packages' app names, the objects' names django-axes builds with f-strings) get lazily translated
  labels from ``apply()``, called from ``WellbeingConfig.ready()``. The English text stays the msgid
  (and equal to the package's own), so ``makemigrations`` sees no change: field verbose names are not
  part of a migration's state, and a lazy help text equals the package's while migrations run untranslated.

The column and action django-axes' admin names in code (its "status" column, its clean-up message) are
translated by our own admin for it (``wellbeing/admin/third_party.py``).
"""

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext_lazy
from django.utils.translation import gettext_lazy as _

#: django-axes' own msgids (axes/models.py, axes/admin.py, axes/conf.py): translated in locale/.
AXES_MSGIDS = [
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
]

#: Django's own msgids that its Simplified Chinese catalogue lacks (Django 5.2), on pages we use.
DJANGO_MSGIDS = [
    gettext_noop("Model name"),  # the admin index's table captions, read by screen readers
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
]

#: Validation messages the product shows (form and API errors), worded by Django, django.contrib.auth
#: and Django REST framework. Their Simplified Chinese reads like a machine's ("确保该变量..."), with
#: half-width punctuation and brackets inside brackets; ours (in locale/) is natural Chinese with
#: full-width punctuation, and wins. Exactly the packages' msgids.
DJANGO_VALIDATION_MSGIDS = [
    gettext_noop("This field is required."),
    gettext_noop("Enter a valid value."),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Enter a valid integer."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid time."),
    gettext_noop("Enter a valid date/time."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    ),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit before the decimal point.",
        "Ensure that there are no more than %(max)s digits before the decimal point.",
    ),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("This field cannot be null."),
    gettext_noop("This field cannot be blank."),
    gettext_noop("%(model_name)s with this %(field_label)s already exists."),
    gettext_noop("%(model_name)s with this %(field_labels)s already exists."),
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("Enter a list of values."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("(Hidden field %(name)s) %(error)s"),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop(
        "%(datetime)s couldn’t be interpreted in time zone %(current_timezone)s; "
        "it may be ambiguous or it may not exist."
    ),
    gettext_noop("Please correct the duplicate data for %(field)s."),
    gettext_noop("Please correct the duplicate data for %(field)s, which must be unique."),
    gettext_noop("Please correct the duplicate values below."),
    gettext_noop("CSRF verification failed. Request aborted."),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    gettext_noop("Please enter a correct %(username)s and password. Note that both fields may be case-sensitive."),
]
DRF_VALIDATION_MSGIDS = [
    gettext_noop("This field may not be blank."),
    gettext_noop("This field may not be null."),
    gettext_noop("Not a valid string."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("A valid integer is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Time has wrong format. Use one of these formats instead: {format}."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("This selection may not be empty."),
    gettext_noop("This list may not be empty."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("Invalid input."),
    gettext_noop("Malformed request."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop('Invalid pk "{pk_value}" - object does not exist.'),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop("Object with {slug_name}={value} does not exist."),
    gettext_noop("This field must be unique."),
    gettext_noop("The fields {field_names} must make a unique set."),
]


#: The apps' names on the admin index (neither package gives one).
APP_NAMES = {"axes": _("Log-in lock-out"), "otp_totp": _("Two-factor log-in")}

#: django-otp's TOTP device: model and field names (not marked for translation in the package).
TOTP_MODEL = (_("two-factor device"), _("two-factor devices"))
TOTP_FIELDS = {
    "user": (_("user"), _("The user that this device belongs to.")),
    "name": (_("name"), _("The human-readable name of this device.")),
    "confirmed": (_("confirmed"), _("Is this device ready for use?")),
    "created_at": (_("created at"), _("The date and time when this device was initially created in the system.")),
    "last_used_at": (_("last used at"), _("The most recent date and time this device was used.")),
}


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}" if value else "-"


def _attempt_str(self) -> str:
    return gettext("Log-in attempt at %(time)s") % {"time": _when(self.attempt_time)}


def _log_str(self) -> str:
    return gettext("Log-in by %(username)s at %(time)s") % {"username": self.username, "time": _when(self.attempt_time)}


def _failure_str(self) -> str:
    return gettext("Failed log-in by %(username)s at %(time)s") % {
        "username": self.username,
        "time": _when(self.attempt_time),
    }


def apply() -> None:
    """Give the third-party admin sections translated names. Idempotent."""
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    if "otp_totp" in apps.app_configs:
        opts = apps.get_model("otp_totp", "TOTPDevice")._meta
        opts.verbose_name, opts.verbose_name_plural = TOTP_MODEL
        for field_name, (verbose_name, help_text) in TOTP_FIELDS.items():
            model_field = opts.get_field(field_name)
            model_field.verbose_name, model_field.help_text = verbose_name, help_text
    if "axes" in apps.app_configs:
        # django-axes builds these names with f-strings in English (change pages, delete confirmations).
        apps.get_model("axes", "AccessAttempt").__str__ = _attempt_str
        apps.get_model("axes", "AccessLog").__str__ = _log_str
        apps.get_model("axes", "AccessFailureLog").__str__ = _failure_str
