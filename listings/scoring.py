"""The matching engine: who fits a published lot, how well, and why (reads only; listings.services.matching
runs it, stores the matches and tells the people).

A processor matches a lot when one of its capabilities takes the lot's category, the lot's site is within the
capability's service radius of its facility, its monthly capacity covers the lot (when the lot is measured by
weight), and — for hazardous (B3) lots — it holds a verified licence covering the category, valid on the first
possible pickup day, with the capacity. Its live wanted notices for the category (in the lot's kecamatan or
anywhere) match too. During a lot's local-first window only Banten businesses match; the rest are matched when
the window ends. Never the lot's own plant, never an unverified organisation.

The filtering is SQL (one query for capabilities, one for notices, one for saved searches); Python only scores
the rows that passed.
"""

import re
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Concat, Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from core import numbers
from members.choices import Province
from members.models import Licence, Organisation

from .filters import distance_km, distance_km_expression
from .models import ROUTE_RANK, Capability, Route, SavedSearch, WantedNotice, WasteLot

MONTHLY_FACTOR = {"weekly": Decimal("4.345"), "monthly": Decimal(1), "quarterly": Decimal(1) / Decimal(3)}
TO_TONNES = {"t": Decimal(1), "kg": Decimal("0.001")}

# The score's parts (at most 100): the fit of category and route, distance, capacity, a local business.
POINTS_CATEGORY = 40
POINTS_WANTED = 10
POINTS_ROUTE = 10  # reuse 10 … disposal 0, along the waste hierarchy
POINTS_DISTANCE = 20  # 20 at the plant's gate, 0 at the edge of the service radius
POINTS_CAPACITY = 10
POINTS_BANTEN = 7
POINTS_JAPNAS = 3


def monthly_tonnes(lot: WasteLot, quantity: Decimal | None = None) -> Decimal | None:
    """Tonnes per month the lot asks a processor to take; None when the unit is not a weight."""
    factor = TO_TONNES.get(lot.unit)
    if factor is None:
        return None
    if lot.is_recurring and lot.quantity_per_period:
        # A bid on a stream offers a quantity per period (at most the stream's).
        per_period = quantity if quantity is not None else lot.quantity_per_period
        return per_period * MONTHLY_FACTOR.get(lot.frequency, Decimal(1)) * factor
    return (quantity if quantity is not None else lot.quantity) * factor


def first_pickup_day(lot: WasteLot):
    return max(timezone.localdate(), lot.available_from)


def covering_licence(category, day, tonnes: Decimal | None, organisation_ref="organisation_id"):
    """Exists: a verified licence of the outer organisation covering the category on `day`, with the capacity."""
    licences = Licence.objects.valid_on(day).filter(organisation_id=OuterRef(organisation_ref))
    covers = Q(categories=category)
    if category.indonesian_code:
        codes = Concat(Value(","), Replace(Upper("waste_codes"), Value(" "), Value("")), Value(","))
        licences = licences.alias(code_list=codes)
        covers |= Q(code_list__contains=f",{category.indonesian_code.upper()},")
    licences = licences.filter(covers)
    if tonnes is not None:
        licences = licences.filter(Q(capacity_tonnes_per_month__isnull=True) | Q(capacity_tonnes_per_month__gte=tonnes))
    return Exists(licences)


def lot_point(lot: WasteLot):
    if lot.latitude is not None and lot.longitude is not None:
        return lot.latitude, lot.longitude
    plant = lot.plant
    if plant.latitude is not None and plant.longitude is not None:
        return plant.latitude, plant.longitude
    return None


def score(*, lot, province, japnas_number, route=None, distance=None, radius=None, wanted=False, capacity=None):
    """The score and its reasons ([{"code": …}, …], rendered in the reader's language by `explain`)."""
    points, reasons = 0, []
    if route:
        points += POINTS_CATEGORY
        reasons.append({"code": "category"})
        points += round(POINTS_ROUTE * (1 - ROUTE_RANK.get(route, len(ROUTE_RANK)) / (len(ROUTE_RANK) - 1)))
        reasons.append({"code": "route", "route": route})
    if wanted:
        points += POINTS_WANTED if route else POINTS_CATEGORY
        reasons.append({"code": "wanted"})
    if distance is not None:
        reach = max(float(radius or 0), 1.0) if radius else 50.0
        points += round(POINTS_DISTANCE * max(0.0, 1 - distance / reach))
        reasons.append({"code": "distance", "km": round(distance, 1)})
    tonnes = monthly_tonnes(lot)
    if capacity is not None and tonnes is not None:
        points += POINTS_CAPACITY
        reasons.append({"code": "capacity", "capacity": f"{Decimal(capacity).normalize():f}"})
    if province == Province.BANTEN:
        points += POINTS_BANTEN
        reasons.append({"code": "banten"})
    if japnas_number:
        points += POINTS_JAPNAS
        reasons.append({"code": "japnas"})
    if lot.is_hazardous:
        reasons.append({"code": "licence"})
    return min(points, 100), reasons


def _processors(queryset, prefix: str, lot: WasteLot, banten_only: bool):
    """Narrow a queryset (of capabilities or notices) to verified processors other than the lot's plant."""
    queryset = queryset.filter(
        **{f"{prefix}kind": Organisation.Kind.PROCESSOR, f"{prefix}verification_status": Organisation.Status.VERIFIED}
    ).exclude(**{f"{prefix}id": lot.plant_id})
    if banten_only:
        queryset = queryset.filter(**{f"{prefix}province": Province.BANTEN})
    if lot.is_hazardous:
        queryset = queryset.filter(covering_licence(lot.category, first_pickup_day(lot), monthly_tonnes(lot)))
    return queryset


def find_matches(lot: WasteLot, *, banten_only: bool, only: int | None = None) -> dict[int, dict]:
    """{organisation id: {"score", "reasons", "distance_km", "wanted_notice_id"}} for every processor that fits
    (`only`: for that organisation alone)."""
    point = lot_point(lot)
    tonnes = monthly_tonnes(lot)
    narrow = {"organisation_id": only} if only else {}
    capabilities = _processors(
        Capability.objects.filter(category_id=lot.category_id, **narrow), "organisation__", lot, banten_only
    )
    if point:
        capabilities = capabilities.annotate(distance=distance_km_expression(*point)).filter(
            distance__lte=F("radius_km")
        )
    else:
        capabilities = capabilities.annotate(distance=Value(None))
    if tonnes is not None:
        capabilities = capabilities.filter(capacity_tonnes_per_month__gte=tonnes)
    capable = {
        row[0]: row[1:]
        for row in capabilities.values_list(
            "organisation_id",
            "route",
            "capacity_tonnes_per_month",
            "distance",
            "radius_km",
            "organisation__province",
            "organisation__japnas_number",
        )
    }
    notices = _processors(
        WantedNotice.objects.live().filter(category_id=lot.category_id, **narrow), "organisation__", lot, banten_only
    ).filter(Q(kecamatan="") | Q(kecamatan=lot.site_kecamatan) | Q(pk=lot.answers_notice_id or 0))
    wanted: dict[int, tuple] = {}
    for notice_id, organisation_id, *rest in notices.order_by("-created_at").values_list(
        "pk",
        "organisation_id",
        "organisation__province",
        "organisation__japnas_number",
        "organisation__latitude",
        "organisation__longitude",
    ):
        wanted.setdefault(organisation_id, (notice_id, *rest))  # the newest notice of each organisation

    found: dict[int, dict] = {}
    for organisation_id in capable.keys() | wanted.keys():
        route = capacity = distance = radius = notice_id = None
        if organisation_id in capable:
            route, capacity, distance, radius, province, japnas = capable[organisation_id]
        if organisation_id in wanted:
            notice_id, province, japnas, latitude, longitude = wanted[organisation_id]
            if distance is None and point and latitude is not None:
                distance = distance_km(*point, latitude, longitude)
        points, reasons = score(
            lot=lot,
            province=province,
            japnas_number=japnas,
            route=route,
            distance=distance,
            radius=radius,
            capacity=capacity,
            wanted=notice_id is not None,
        )
        found[organisation_id] = {
            "score": points,
            "reasons": reasons,
            "distance_km": distance,
            "wanted_notice_id": notice_id,
        }
    return found


def _document_words(lot: WasteLot) -> list[str]:
    return re.findall(r"\w+", lot.search_document.lower())


def terms_match(terms: str, words: list[str]) -> bool:
    """Every search word starts a word of the lot (the rule of PostgreSQL's prefix search on /lots/)."""
    return all(any(word.startswith(term) for word in words) for term in terms.split())


def saved_search_recipients(lot: WasteLot, *, banten_only: bool) -> list[int]:
    """People whose saved searches the lot satisfies: filtered in SQL, the search words checked on what is left."""
    now = timezone.now()
    seconds_left = max((lot.closes_at - now).total_seconds(), 0)
    days_needed = int(-(-seconds_left // 86400))  # closes within N days ⇔ N ≥ days_needed
    price = lot.reserve_price
    searches = SavedSearch.objects.filter(
        Q(group="") | Q(group=lot.category.group),
        Q(category__isnull=True) | Q(category_id=lot.category_id),
        Q(hazardous__isnull=True) | Q(hazardous=lot.is_hazardous),
        Q(kecamatan="") | Q(kecamatan=lot.site_kecamatan),
        Q(unit="") | Q(unit=lot.unit),
        Q(quantity_min__isnull=True) | Q(quantity_min__lte=lot.quantity),
        Q(quantity_max__isnull=True) | Q(quantity_max__gte=lot.quantity),
        Q(recurring__isnull=True) | Q(recurring=lot.is_recurring),
        Q(local_first__isnull=True) | Q(local_first=lot.is_local_first_now),
        Q(closing_within__isnull=True) | Q(closing_within__gte=days_needed),
        user__is_active=True,
    ).exclude(user__membership__organisation_id=lot.plant_id)
    if price is None:
        searches = searches.filter(price_min__isnull=True, price_max__isnull=True)
    else:
        searches = searches.filter(
            Q(price_min__isnull=True) | Q(price_min__lte=price), Q(price_max__isnull=True) | Q(price_max__gte=price)
        )
    if banten_only:  # processors outside Banten hear of it when they may bid
        searches = searches.exclude(
            Q(user__membership__organisation__kind=Organisation.Kind.PROCESSOR)
            & ~Q(user__membership__organisation__province=Province.BANTEN)
        )
    words = _document_words(lot)
    return [
        user_id for user_id, terms in searches.values_list("user_id", "terms") if not terms or terms_match(terms, words)
    ]


def find_matches_for(lot: WasteLot, organisation: Organisation) -> dict | None:
    """The rules of `find_matches`, for one organisation."""
    return find_matches(lot, banten_only=lot.is_local_first_now, only=organisation.pk).get(organisation.pk)


def explain(reasons: list[dict]) -> list[str]:
    """The reasons of a match as short phrases in the active language."""
    phrases = []
    for reason in reasons:
        code = reason.get("code")
        if code == "category":
            phrases.append(_("category match"))
        elif code == "route":
            phrases.append(Route(reason["route"]).label if reason.get("route") in Route.values else "")
        elif code == "wanted":
            phrases.append(_("your wanted notice"))
        elif code == "distance":
            phrases.append(_("%(km)s km away") % {"km": numbers.format_number(reason["km"], 1)})
        elif code == "capacity":
            capacity = numbers.quantity(reason["capacity"])
            phrases.append(_("capacity fits (%(capacity)s t per month)") % {"capacity": capacity})
        elif code == "banten":
            phrases.append(_("Banten business"))
        elif code == "japnas":
            phrases.append(_("Japnas member"))
        elif code == "licence":
            phrases.append(_("licence covers it"))
    return [phrase for phrase in phrases if phrase]
