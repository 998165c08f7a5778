"""Log-in, log-out and failed log-ins go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from wellbeing.audit import audit_record
from wellbeing.models import AuditEvent


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    from django.utils import timezone

    from wellbeing.middleware import SESSION_LAST_SEEN, SESSION_STARTED

    now = timezone.now().timestamp()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    audit_record(actor=user, action=AuditEvent.Action.LOGIN, target=user, target_label=user.get_username())


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditEvent.Action.LOGOUT, target=user, target_label=user.get_username())


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; the user name as typed is kept for investigation.
    username = str(credentials.get("username", ""))[:150]
    audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED, target_label=username)
