from django import template
from django.utils.html import format_html

from listings.catalogue_labels import source_name as readable_source_name

register = template.Library()

BADGE_CLASSES = {
    "open": "text-bg-success",
    "draft": "text-bg-secondary",
    "cancelled": "text-bg-dark",
    "unawarded": "text-bg-dark",
    "closed": "text-bg-warning",
}


def _badge(css: str, testid: str, thing):
    return format_html(
        '<span class="badge {}" data-testid="{}" data-status="{}">{}</span>',
        css,
        testid,
        thing.status,
        thing.get_status_display(),
    )


@register.filter
def status_badge(lot):
    """The lot's status as a badge: a filter, not an include, because lists show one per row."""
    return _badge(BADGE_CLASSES.get(lot.status, "text-bg-primary"), "lot-status", lot)


BID_BADGE_CLASSES = {
    "live": "text-bg-primary",
    "accepted": "text-bg-success",
    "rejected": "bid-not-chosen",
    "withdrawn": "text-bg-light border",
}


@register.filter
def bid_badge(bid):
    """The bid's status as a badge, a colour of its own for each status (accepted green, not chosen dark)."""
    return _badge(BID_BADGE_CLASSES.get(bid.status, "text-bg-light border"), "bid-status", bid)


@register.filter
def source_name(source):
    return readable_source_name(source)
