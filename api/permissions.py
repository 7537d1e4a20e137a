"""Each API view names the scope it needs per method; a token without it gets a 403 that says which."""

from django.utils.translation import gettext as _
from rest_framework import permissions

from .models import OrganisationToken, Scope

SAFE = ("GET", "HEAD", "OPTIONS")


def required_scope(view, method: str) -> str:
    """`scopes = {"GET": "read", "POST": "lots"}` on the view; reading needs `read` unless it says otherwise."""
    scopes = getattr(view, "scopes", {})
    if method in scopes:
        return scopes[method]
    return Scope.READ if method in SAFE else scopes.get("*", "")


class TokenScopes(permissions.BasePermission):
    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, OrganisationToken):
            return False  # DRF answers 401 (no credentials) before asking this
        scope = required_scope(view, request.method)
        if scope and scope in token.scopes:
            return True
        self.message = _("This token does not have the “%(scope)s” scope.") % {"scope": scope or "?"}
        return False
