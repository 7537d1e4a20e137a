"""A rate per token (DRF's throttling, counted in the shared cache): 429 with Retry-After past it."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import OrganisationToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self):
        # Read when asked (not when the class is defined): settings.API_RATE_PER_MINUTE.
        return f"{settings.API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request, view):
        token = request.auth
        if not isinstance(token, OrganisationToken):
            return None  # no token: refused before any work, nothing to count
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
