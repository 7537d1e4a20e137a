import base64

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from . import services
from .forms import DisableForm, SetupForm, VerifyForm

# A wrong code costs a guesser time twice: django-otp's doubling delay per device, and this limit per person.
CODE_RATE = "10/5m"


def _next_url(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def manage(request):
    user = request.user
    context = {
        "device": services.totp_device(user),
        "codes_left": services.recovery_codes_left(user),
        "required": services.is_required(user),
        "disable_form": DisableForm(),
    }
    return render(request, "members/two_factor/manage.html", context)


@ratelimit(key="user_or_ip", rate=CODE_RATE, method="POST", block=True)
def setup(request):
    user = request.user
    device = services.totp_device_for_setup(user)
    form = SetupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_confirm(request=request, device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session[services.SESSION_NEW_CODES] = codes
            messages.success(request, _("Two-factor sign-in is on. Keep your recovery codes somewhere safe."))
            target = reverse("members:two_factor_recovery_codes")
            next_url = _next_url(request, "")
            return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=4, dark="#000", light="#fff"),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "replacing": services.totp_device(user) is not None,
        "required": services.is_required(user),
        "next": _next_url(request, ""),
    }
    return render(request, "members/two_factor/setup.html", context)


@ratelimit(key="user_or_ip", rate=CODE_RATE, method="POST", block=True)
def verify(request):
    if request.user.is_verified() or services.pending_step(request) is None:
        return redirect(_next_url(request))
    if services.pending_step(request) == "setup":
        return redirect("members:two_factor_setup")
    form = VerifyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_code(request=request, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if device.persistent_id.startswith("otp_static"):
                left = services.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _("You used a recovery code; %(count)s left. Make new ones on the two-factor page.")
                    % {"count": left},
                )
            return redirect(_next_url(request))
    return render(request, "members/two_factor/verify.html", {"form": form, "next": _next_url(request, "")})


def recovery_codes(request):
    """Fresh codes are shown once, right after they are made; POST makes a new set (the old one stops working)."""
    if request.method == "POST":
        try:
            codes = services.recovery_codes_regenerate(request=request)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("members:two_factor")
        request.session[services.SESSION_NEW_CODES] = codes
        messages.success(request, _("New recovery codes are made; the old ones no longer work."))
        return redirect("members:two_factor_recovery_codes")
    codes = request.session.pop(services.SESSION_NEW_CODES, None)
    context = {"codes": codes, "codes_left": services.recovery_codes_left(request.user), "next": _next_url(request, "")}
    return render(request, "members/two_factor/recovery_codes.html", context)


@require_POST
@ratelimit(key="user_or_ip", rate=CODE_RATE, method="POST", block=True)
def disable(request):
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            services.second_factor_disable(request=request, code=form.cleaned_data["code"])
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Two-factor sign-in is off."))
    else:
        messages.error(request, _("Enter a code to turn two-factor sign-in off."))
    return redirect("members:two_factor")
