"""Generic middleware (about HTTP, not about lots or organisations)."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

PRIVATE_DIRECTIVES = ("private", "no-store")


def _sets_a_new_cookie(request, response) -> bool:
    """A cookie with a value the request did not carry (Django's CSRF middleware re-sends the visitor's own
    token on every page with a form, only to extend its life: that tells a cache nothing new)."""
    return any(request.COOKIES.get(name) != morsel.value for name, morsel in response.cookies.items())


def _is_private(request, response) -> bool:
    """A response only this visitor may keep: they are signed in (or carry a session, or credentials in an
    Authorization header: an API token), or it hands them a new cookie (a session, a CSRF token, a language)."""
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    if settings.SESSION_COOKIE_NAME in request.COOKIES or _sets_a_new_cookie(request, response):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivateCacheControlMiddleware:
    """``Cache-Control: private, no-store`` on every response that a shared cache (a company proxy, a CDN)
    must never keep: pages for a signed-in person (a lot's bids and their CSV, my bids, the handover,
    notifications, the dashboard and its exports, documents…) and any response that sets a new cookie. Kept when the
    view chose a private policy itself (a thumbnail's ``private, max-age``); ``public`` is never left on such a
    response. Pages for visitors without a session (the landing page, robots.txt) stay cacheable: they vary on
    the cookie header, so a shared cache keeps one copy per cookie. Static files are served before this runs.

    Placed before the session middleware, so that it sees the session cookie and ``Vary`` it sets.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_private(request, response):
            existing = response.get("Cache-Control", "")
            if not any(directive in existing for directive in PRIVATE_DIRECTIVES):
                patch_cache_control(response, private=True, no_store=True)
        return response


def is_language(code) -> bool:
    """One of the site's languages (settings.LANGUAGES, read when asked)."""
    return any(code == known for known, _name in settings.LANGUAGES)


def set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 60 * 60,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


class LanguageMiddleware:
    """Bahasa Indonesia unless the person chose otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language phone in
    Cilegon would never see Indonesian first. Here the order is: the language cookie (set by the switcher),
    then the signed-in person's saved language, then LANGUAGE_CODE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not is_language(language):
            user = getattr(request, "user", None)
            language = user.language if user is not None and user.is_authenticated else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
