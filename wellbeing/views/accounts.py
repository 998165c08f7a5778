"""Log-in, log-out and TOTP two-factor pages."""

import base64
from io import BytesIO
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from wellbeing.audit import audit_record
from wellbeing.forms import LoginForm, TokenForm
from wellbeing.models import AuditEvent


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return settings.LOGIN_REDIRECT_URL


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect("accounts:2fa_setup")
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                request.session.cycle_key()  # a new session id for the verified session (fixation)
                return redirect(_next_url(request))
        audit_record(actor=request.user, action=AuditEvent.Action.TWO_FACTOR_FAILED, target=request.user)
        form.add_error("token", _("That code is not valid (or too many attempts: wait and try again)."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    if TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists():
        if not request.user.is_verified():
            return redirect("accounts:2fa_verify")
        messages.info(request, _("Two-factor log-in is already set up for your account."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=_("Authenticator app"), confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session.cycle_key()  # a new session id for the verified session (fixation)
            audit_record(actor=request.user, action=AuditEvent.Action.TWO_FACTOR_ENROLLED, target=request.user)
            messages.success(request, _("Two-factor log-in is set up."))
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    url = (
        f"otpauth://totp/{quote(settings.OTP_TOTP_ISSUER)}:{quote(request.user.get_username())}"
        f"?secret={secret}&issuer={quote(settings.OTP_TOTP_ISSUER)}&digits={device.digits}&period={device.step}"
    )
    svg = BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(svg)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "secret": secret, "qr_svg": svg.getvalue().decode("utf-8"), "next": _next_url(request)},
    )
