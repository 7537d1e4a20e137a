"""Two-factor sign-in: who must use it, and every change to a person's devices.

A person's second factor is a TOTP device (an authenticator app) and a static device holding ten single-use
recovery codes. A session counts as verified once `django_otp.login` has recorded the device that accepted a
code in it (`request.user.is_verified()`, installed by django-otp's OTPMiddleware).
"""

from django.contrib import admin
from django.contrib.auth import user_logged_in
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
# Set at log-in when the person has a second factor: the gate then needs no query for everyone else.
SESSION_HAS_DEVICE = "wastex_second_factor"
# Fresh recovery codes wait here for the one page that shows them, once.
SESSION_NEW_CODES = "wastex_new_recovery_codes"


def is_required(user) -> bool:
    """Staff verify every organisation and licence and reach the admin: a password alone is not enough."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def has_second_factor(user) -> bool:
    return bool(user.is_authenticated and user_has_device(user, confirmed=True))


def pending_step(request) -> str | None:
    """What a signed-in session still owes before it may open anything: "verify", "setup" or nothing."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    required = is_required(user)
    if not (required or request.session.get(SESSION_HAS_DEVICE)):
        return None
    if has_second_factor(user):
        return "verify"
    request.session.pop(SESSION_HAS_DEVICE, None)  # turned off in another session meanwhile
    return "setup" if required else None


@receiver(user_logged_in)
def _remember_second_factor(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session") and has_second_factor(user):
        request.session[SESSION_HAS_DEVICE] = True


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def verify_code(*, request, code: str):
    """Check a code from the authenticator app or a recovery code; mark the session verified when it fits.

    Returns the device that accepted it. Raises ValidationError with a clear reason otherwise. django-otp
    throttles each device after a wrong code (1, 2, 4, 8 … seconds) and refuses reuse of a TOTP code. Six
    digits go to the app's device, anything else to the recovery codes: a typo in one never delays the other.
    """
    user = request.user
    code = normalise_code(code)
    model = TOTPDevice if code.isdigit() and len(code) == TOTP_DIGITS else StaticDevice
    if not user_has_device(user, confirmed=True):
        raise ValidationError(_("You have no second factor set up."))
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is not None:
            allowed, _details = device.verify_is_allowed()
            if not allowed:
                raise ValidationError(_("Too many wrong codes. Wait a minute, then enter a new code."))
            if device.verify_token(code):
                otp_login(request, device)
                request.session[SESSION_HAS_DEVICE] = True
                return device
    raise ValidationError(
        _(
            "That code is not right, or it was already used. "
            "Enter the current code from your app, or an unused recovery code."
        )
    )


def totp_device_for_setup(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up: the same secret until it is confirmed, so a reload keeps
    the QR code that was scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def _new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def totp_confirm(*, request, device: TOTPDevice, code: str) -> list[str]:
    """The person proves the app works with a first code: the device is confirmed, any older authenticator is
    replaced, ten new recovery codes are made (returned, to be shown once) and the session is verified."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied(_("This authenticator is not being set up for you."))
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(_("Too many wrong codes. Wait a minute, then enter a new code."))
        if not device.verify_token(normalise_code(code)):
            raise ValidationError(
                _("That code is not right. Check that your phone's clock is set automatically and enter the new code.")
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
    otp_login(request, device)
    request.session[SESSION_HAS_DEVICE] = True
    return codes


def recovery_codes_regenerate(*, request) -> list[str]:
    """New recovery codes (the old ones stop working); only in a session verified with a second factor."""
    if not (request.user.is_verified() and totp_device(request.user)):
        raise PermissionDenied(_("Sign in with your second factor before making new recovery codes."))
    with transaction.atomic():
        return _new_recovery_codes(request.user)


def second_factor_disable(*, request, code: str) -> None:
    """Turn two-factor sign-in off with a current code; refused to staff, for whom it is required."""
    user = request.user
    if is_required(user):
        raise PermissionDenied(_("Platform staff must keep two-factor sign-in: it cannot be turned off."))
    verify_code(request=request, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(SESSION_HAS_DEVICE, None)


class SecondFactorAdminSite(admin.AdminSite):
    """The admin opens only to staff whose session passed the second factor; it logs in through our own
    log-in page (password, then the code), never through a password-only form of its own."""

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()

    @method_decorator(login_not_required)
    def login(self, request, extra_context=None):
        if self.has_permission(request):  # signed in already, with the second factor
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        if request.user.is_authenticated:
            raise PermissionDenied(_("The admin site is for platform staff who signed in with a second factor."))
        return redirect_to_login(request.GET.get("next") or request.get_full_path())
