"""What a lot card on /lots/ shows, computed in Python once per lot: the card template then only prints values
(a filter or method call per value inside a 24-card template loop cost more than the rest of the page)."""

from urllib.parse import quote

from django.urls import reverse
from django.utils.timesince import timeuntil
from django.utils.translation import gettext

from core import numbers
from core.templatetags.wastex import price_in_words, quantity

PLACEHOLDER = "REFERENCE"


def with_cards(lots) -> list:
    """The lots, each with `card`: a dict of the display values of templates/listings/partials/lot_results.html."""
    lots = list(lots)
    # One reverse() for the page, not one per card: every lot's URL differs only by its reference.
    url_before, _placeholder, url_after = reverse("listings:lot_detail", args=[PLACEHOLDER]).partition(PLACEHOLDER)
    for lot in lots:
        category = lot.category
        unit = lot.get_unit_display()
        photo = lot.photo_list[0] if getattr(lot, "photo_list", None) else None
        distance = getattr(lot, "distance_km", None)
        lot.card = {
            "url": f"{url_before}{quote(lot.reference, safe='')}{url_after}",
            "thumbnail": photo.get_thumbnail_url() if photo is not None and photo.thumbnail else "",
            "group": category.get_group_display(),
            "category": category.name,
            "hazardous": category.hazardous == "yes",
            "quantity": quantity(lot.quantity),
            "unit": unit,
            "frequency": lot.get_frequency_display() if lot.is_recurring else "",
            "price": price_in_words(lot.reserve_price, unit),
            "kecamatan": lot.get_site_kecamatan_display(),
            "distance": (
                gettext("%(km)s km away") % {"km": numbers.format_number(distance, 0)} if distance is not None else ""
            ),
            "closes_in": gettext("closes in %(when)s") % {"when": timeuntil(lot.closes_at)},
            "local_first": lot.is_local_first_now,
        }
    return lots
