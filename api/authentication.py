"""`Authorization: Bearer <token>`: the request acts as the token's organisation, through its creator."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.middleware import is_language

from . import services


def accepted_language(request) -> str | None:
    """The first of our languages the request's Accept-Language names (an API client says what it reads)."""
    for part in request.META.get("HTTP_ACCEPT_LANGUAGE", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if is_language(code):
            return code
    return None


def request_language(request, user) -> str:
    """The language of the answers: Accept-Language when it names one of ours, else the person's own."""
    return accepted_language(request) or (user.language if is_language(user.language) else settings.LANGUAGE_CODE)


class OrganisationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _sep, secret = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not secret.strip():
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer <token>”."))
        token = services.token_for_secret(secret.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is unknown, revoked or expired."))
        user = token.created_by
        language = request_language(request, user)
        translation.activate(language)
        request._request.LANGUAGE_CODE = language
        services.token_touch(token)
        return user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = OrganisationTokenAuthentication
    name = "organisationToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An organisation token (wx_…)."}
