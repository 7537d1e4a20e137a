from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


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
        if language not in LANGUAGE_CODES:
            user = getattr(request, "user", None)
            language = user.language if user is not None and user.is_authenticated else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
