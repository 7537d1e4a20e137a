from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.middleware import is_language, set_language_cookie
from dashboard.selectors import public_figures
from members import selectors


@login_not_required
def landing(request):
    return render(
        request,
        "landing.html",
        {"figures": selectors.platform_figures(), "flows": public_figures()},
    )


def home(request):
    """The signed-in person's home page, built for their role."""
    role = selectors.user_role(request.user)
    membership = selectors.user_membership(request.user)
    context = {"role": role, "membership": membership}
    if role == "staff":
        context["awaiting"] = selectors.organisations_awaiting_verification()[:10]
        context["figures"] = selectors.platform_figures()
    elif role == "official":
        context["figures"] = selectors.platform_figures()
        context["by_kind"] = selectors.organisation_counts_by_kind_and_status()
        context["plants_by_kecamatan"] = selectors.plants_by_kecamatan()
    elif role in ("plant", "processor"):
        partner_kind = "processor" if role == "plant" else "plant"
        context["partners"] = (
            selectors.directory_queryset().filter(kind=partner_kind).order_by(selectors.banten_first(), "name")[:8]
            if selectors.can_see_directory(request.user)
            else []
        )
        context["team_size"] = membership.organisation.memberships.count()
    return render(request, "home.html", context)


@login_not_required
@require_POST
def set_language(request):
    """The language switcher: a plain form, so it works without JavaScript; remembered for the person too."""
    language = request.POST.get("language")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    if is_language(language):
        set_language_cookie(response, language)
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response


# Crawlers may read the public pages — the landing page, open lots, the catalogue, log-in and sign-up — and
# are kept out of members' and staff pages (which would only send them to the log-in page) and account links.
ROBOTS_TXT = (
    "User-agent: *\n"
    "Disallow: /admin/\n"
    "Disallow: /staff/\n"
    "Disallow: /my/\n"
    "Disallow: /notifications/\n"
    "Disallow: /accounts/password_reset/\n"
    "Disallow: /accounts/reset/\n"
    "Disallow: /accounts/invite/\n"
    "Disallow: /accounts/signup/confirm/\n"
    "Disallow: /accounts/profile/\n"
    "Disallow: /lots/*/files/\n"
    "Allow: /lots/*/files/*/thumbnail/\n"
    "\n"
    "Sitemap: {sitemap}\n"
)


@login_not_required
def robots_txt(request):
    """Touches no database and no session: also the framework's floor in `make bench`."""
    return HttpResponse(
        ROBOTS_TXT.format(sitemap=request.build_absolute_uri(reverse("sitemap"))), content_type="text/plain"
    )


@login_not_required
def rate_limited(request, exception):
    return render(
        request,
        "error.html",
        {
            "title": _("Too many attempts"),
            "message": _("Too many attempts from your address. Wait a few minutes and try again."),
        },
        status=429,
    )


@login_not_required
def csrf_failure(request, reason=""):
    return render(
        request,
        "error.html",
        {
            "title": _("The form expired"),
            "message": _("Your session or the form expired. Go back, reload the page and send it again."),
        },
        status=403,
    )


def bad_request(request, exception=None):
    return render(
        request,
        "error.html",
        {"title": _("Bad request"), "message": _("The request could not be understood. It may be too large.")},
        status=400,
    )


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else _("You do not have access to this page.")
    return render(request, "error.html", {"title": _("Not allowed"), "message": message}, status=403)


def page_not_found(request, exception=None):
    return render(request, "error.html", {"title": _("Not found"), "message": _("There is no such page.")}, status=404)


def server_error(request):
    return HttpResponse(
        "<!doctype html><title>WasteX</title><h1>500</h1><p>Something went wrong on our side. "
        "Kesalahan di pihak kami.</p>",
        status=500,
    )
