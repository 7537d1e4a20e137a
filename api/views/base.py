"""What every API view shares: token authentication instead of the session (LoginRequiredMiddleware leaves
the API to it), `Cache-Control: private, no-store`, and a record of every write made with a token."""

from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from .. import services
from ..authentication import accepted_language
from ..models import OrganisationToken
from ..permissions import SAFE


class ApiView(APIView):
    scopes: dict[str, str] = {}

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False  # the token is checked by the view (401 with problem details)
        return view

    def initial(self, request, *args, **kwargs):
        # Problems before authentication (no token, a bad one) speak the language asked for too.
        language = accepted_language(request)
        if language:
            translation.activate(language)
            request._request.LANGUAGE_CODE = language
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # An answer for one organisation: no shared or browser cache keeps it (also its 401s and 429s).
        patch_cache_control(response, private=True, no_store=True)
        response["Content-Language"] = translation.get_language()
        token = getattr(request, "auth", None)
        if request.method not in SAFE and isinstance(token, OrganisationToken):
            services.write_record(token=token, method=request.method, path=request.path, status=response.status_code)
        return response


class NotFoundView(ApiView):
    schema = None  # not an operation
    permission_classes = []
    authentication_classes = []
    throttle_classes = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound(_("There is no such API address."))


not_found = NotFoundView.as_view()
