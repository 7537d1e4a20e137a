"""The catalogue, the token's own notifications, the dashboard's headline figures, and who the token is."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.pagination import PAGE_SIZE
from dashboard import exports as dashboard_exports
from dashboard.filters import DashboardFilter, Period
from dashboard.selectors import headline_figures
from dashboard.views import dashboard_scope
from listings.models import WasteCategory
from members import notifications
from members.choices import Kecamatan
from members.models import Notification

from ..forms import request_mapping
from ..models import Scope
from ..pagination import cursor_page
from ..problems import InvalidInput, form_errors
from ..serializers import (
    CategorySerializer,
    DashboardSerializer,
    MarkedSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    TokenScopesSerializer,
    page_of,
)
from .base import ApiView


class CatalogueView(ApiView):
    @extend_schema(operation_id="catalogue", responses=CategorySerializer(many=True))
    def get(self, request):
        categories = WasteCategory.objects.order_by("group", "name_en")
        return Response(CategorySerializer(categories, many=True).data)


class MeView(ApiView):
    @extend_schema(operation_id="token_me", responses=TokenScopesSerializer)
    def get(self, request):
        return Response(TokenScopesSerializer(request.auth).data)


class NotificationListView(ApiView):
    @extend_schema(
        operation_id="notifications",
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread ones."),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses=page_of(NotificationSerializer),
        description="The inbox of the person the token acts through.",
    )
    def get(self, request):
        rows = Notification.objects.filter(recipient=request.user)
        if request.query_params.get("unread") in ("true", "1"):
            rows = rows.unread()
        items, cursor = cursor_page(request, rows.order_by("-created_at", "-id"), PAGE_SIZE)
        for item in items:
            item.text = notifications.message(item)
        return Response({"results": NotificationSerializer(items, many=True).data, "next": cursor})


class NotificationReadView(ApiView):
    scopes = {"POST": Scope.READ}

    @extend_schema(operation_id="notifications_mark_read", request=MarkReadSerializer, responses=MarkedSerializer)
    def post(self, request):
        data = request_mapping(request.data)
        ids = data.get("ids") if hasattr(data, "get") else None
        if ids is not None and (
            not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            raise InvalidInput({"ids": [_("Give a list of notification ids.")]})
        marked = notifications.mark_read(request.user, ids[:1000] if ids is not None else None)
        return Response({"marked": marked})


def exact(value) -> str | None:
    """A figure as a decimal string (exact), never a float."""
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class DashboardView(ApiView):
    scopes = {"GET": Scope.DASHBOARD}

    @extend_schema(
        operation_id="dashboard",
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, enum=[value for value, _label in Period.CHOICES]),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
            OpenApiParameter("group", OpenApiTypes.STR, enum=WasteCategory.Group.values),
            OpenApiParameter("category", OpenApiTypes.STR),
            OpenApiParameter("kecamatan", OpenApiTypes.STR, enum=Kecamatan.values),
        ],
        responses=DashboardSerializer,
        description="The headline figures of /dashboard/, with the same filters.",
    )
    def get(self, request):
        scope = dashboard_scope(request.user)
        filterset = DashboardFilter(request.query_params or None)
        if not filterset.is_valid():
            raise InvalidInput(form_errors(filterset.form))
        selection = filterset.selection()
        figures = headline_figures(selection, scope)
        headline = [
            {"name": key, "label": str(dashboard_exports.HEADLINE_LABELS[key]), "value": exact(value), "unit": unit}
            for key, value, unit in dashboard_exports.headline_rows(figures)
        ]
        body = {"scope": scope.kind, "first": selection.first, "last": selection.last, "headline": headline}
        return Response(DashboardSerializer(body).data)
