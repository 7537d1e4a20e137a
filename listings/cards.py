"""What a lot card on /lots/ shows, computed in Python once per lot: the card template then only prints values
(a filter or method call per value inside a 24-card template loop cost more than the rest of the page)."""

from django.template.defaultfilters import floatformat
from django.utils.timesince import timeuntil
from django.utils.translation import gettext

from core.templatetags.wastex import price_in_words, quantity


def with_cards(lots) -> list:
    """The lots, each with `card`: a dict of the display values of templates/listings/partials/lot_results.html."""
    lots = list(lots)
    for lot in lots:
        category = lot.category
        unit = lot.get_unit_display()
        photo = lot.photo_list[0] if getattr(lot, "photo_list", None) else None
        distance = getattr(lot, "distance_km", None)
        lot.card = {
            "url": lot.get_absolute_url(),
            "thumbnail": photo.get_thumbnail_url() if photo is not None and photo.thumbnail else "",
            "group": category.get_group_display(),
            "category": category.name,
            "hazardous": category.hazardous == "yes",
            "quantity": quantity(lot.quantity),
            "unit": unit,
            "frequency": lot.get_frequency_display() if lot.is_recurring else "",
            "price": price_in_words(lot.reserve_price, unit),
            "kecamatan": lot.get_site_kecamatan_display(),
            "distance": gettext("%(km)s km away") % {"km": floatformat(distance, 0)} if distance is not None else "",
            "closes_in": gettext("closes in %(when)s") % {"when": timeuntil(lot.closes_at)},
            "local_first": lot.is_local_first_now,
        }
    return lots
