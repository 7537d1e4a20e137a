"""Reads of lots, scoped to who asks."""

import math

from django.db.models import Count, Prefetch
from django.http import Http404, QueryDict

from members.selectors import user_membership

from .filters import KM_PER_DEGREE_LATITUDE, KM_PER_DEGREE_LONGITUDE_AT_EQUATOR
from .models import LotAttachment, WasteLot


def lot_for_viewer_or_404(user, reference: str) -> WasteLot:
    """The lot if this person may see it: published lots for everyone signed in, drafts and cancelled lots
    only for the owning plant's people and staff. Everyone else gets 404, as if it did not exist."""
    lot = (
        WasteLot.objects.visible_to(user)
        .select_related("category", "category__indonesian_code_source", "category__co2e_source", "plant")
        .filter(reference=reference)
        .first()
    )
    if lot is None:
        raise Http404
    return lot


def first_photos():
    return Prefetch(
        "attachments",
        queryset=LotAttachment.objects.filter(kind=LotAttachment.Kind.PHOTO).only("id", "lot_id", "kind", "thumbnail"),
        to_attr="photo_list",
    )


def browsable_lots():
    return (
        WasteLot.objects.open()
        .select_related("category", "plant")
        .only(
            "id",
            "reference",
            "title",
            "quantity",
            "unit",
            "is_recurring",
            "frequency",
            "quantity_per_period",
            "closes_at",
            "published_at",
            "reserve_price",
            "bidding_mode",
            "site_kecamatan",
            "latitude",
            "longitude",
            "local_first_until",
            "status",
            "category__code",
            "category__name_id",
            "category__name_en",
            "category__hazardous",
            "category__group",
            "plant__name",
            "plant__slug",
        )
        .prefetch_related(first_photos())
    )


def lots_of_plant(organisation, *, status: str = ""):
    lots = WasteLot.objects.filter(plant=organisation).select_related("category").prefetch_related(first_photos())
    counts = dict(WasteLot.objects.filter(plant=organisation).values_list("status").annotate(n=Count("id")).order_by())
    if status:
        lots = lots.filter(status=status)
    return lots.order_by("-created_at", "-id"), counts


def distance_to_viewer(user, lot: WasteLot) -> float | None:
    membership = user_membership(user)
    organisation = membership.organisation if membership else None
    if not organisation or organisation.latitude is None or lot.latitude is None:
        return None
    kx = KM_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(math.radians(float(organisation.latitude)))
    dx = (float(lot.longitude) - float(organisation.longitude)) * kx
    dy = (float(lot.latitude) - float(organisation.latitude)) * KM_PER_DEGREE_LATITUDE
    return math.hypot(dx, dy)


def query_without(query: QueryDict, *names: str) -> str:
    """The query string without some parameters, for links that change only those (pagination)."""
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()
