from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .two_factor import services as two_factor

# What a session that owes its second factor may still open (besides the step itself).
ALWAYS_OPEN = {"logout", "set_language", "healthz", "healthz_live", "healthz_ready", "metrics", "robots_txt"}
STEP_VIEWS = {"verify": "members:two_factor_verify", "setup": "members:two_factor_setup"}


class SecondFactorMiddleware:
    """After the password, a person with a second factor — and every staff member, who must have one — opens
    nothing but the code step (or, for staff without one yet, its setup) until the session is verified.

    Runs after django-otp's OTPMiddleware (which installs `request.user.is_verified()`). One gate for the whole
    site rather than a check per staff view: staff powers reach beyond /staff/ (the admin, every licence
    document, the whole-city dashboard). The staff views and the admin site also check it themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        step = two_factor.pending_step(request)
        if step is None:
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if view_name in ALWAYS_OPEN or view_name == STEP_VIEWS[step]:
            return None
        if getattr(request, "htmx", False):
            # A fragment (e.g. the unread badge's poll) must not swap the code page into the page: refuse it.
            return HttpResponseForbidden(_("Finish signing in with your second factor first."))
        target = redirect(STEP_VIEWS[step])
        if request.method == "GET":
            target["Location"] += "?" + urlencode({"next": request.get_full_path()})
        return target
