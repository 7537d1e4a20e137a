"""What a lot page says about itself to search engines and to link previews (WhatsApp, Telegram, Facebook):
a meta description and Open Graph tags. Only what visitors may see — never the plant's name (even when the
page is a member's: a preview is built from the page a member shares), never a bid."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import numbers
from core.templatetags.wastex import price_in_words

from .models import LotAttachment, WasteLot


def lot_meta(request, lot: WasteLot, photos: list[LotAttachment]) -> dict:
    """The tags' values as plain text (the template escapes them); URLs absolute."""
    unit = lot.get_unit_display()
    values = {
        "quantity": numbers.quantity(lot.quantity, unit),
        "category": lot.category.name,
        "kecamatan": lot.get_site_kecamatan_display(),
        "deadline": date_format(timezone.localtime(lot.closes_at), "j F Y H:i"),
        "price": price_in_words(lot.reserve_price, unit),
    }
    description = (
        _("%(quantity)s of %(category)s in Kecamatan %(kecamatan)s, Cilegon. Bids until %(deadline)s WIB.") % values
    )
    # The thumbnail: what visitors (and the preview's crawler, who is one) may fetch of an open lot.
    photo = next((photo for photo in photos if photo.thumbnail), None)
    image = request.build_absolute_uri(photo.get_thumbnail_url()) if photo is not None else ""
    return {
        "title": _("%(quantity)s of %(category)s") % values + f" · {lot.title}",
        "description": description,
        "long_description": f"{description} {values['price']}." if lot.reserve_price is not None else description,
        "image": image,
        "url": request.build_absolute_uri(lot.get_absolute_url()),
    }
