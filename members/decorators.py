"""View decorators: who may open a page."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import selectors


def staff_required(view):
    """For platform staff whose session is verified with the second factor. Anyone else signed in gets a 403
    that says so (visitors are sent to log in first by LoginRequiredMiddleware, and staff without the second
    factor to its step by SecondFactorMiddleware), not a login form they cannot get past."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and user.is_verified()):
            raise PermissionDenied(_("This page is for platform staff."))
        return view(request, *args, **kwargs)

    return wrapper


def verified_organisation_required(view):
    """For pages that only verified organisations (and officials and staff) may open."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.can_see_directory(request.user):
            return render(request, "members/verification_required.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
