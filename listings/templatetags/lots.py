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


@register.filter
def status_badge(lot):
    """The lot's status as a badge: a filter, not an include, because lists show one per row."""
    return format_html(
        '<span class="badge {}" data-testid="lot-status">{}</span>',
        BADGE_CLASSES.get(lot.status, "text-bg-primary"),
        lot.get_status_display(),
    )


BID_BADGE_CLASSES = {
    "live": "text-bg-primary",
    "accepted": "text-bg-success",
    "rejected": "bid-not-chosen",
    "withdrawn": "text-bg-light border",
}


@register.filter
def bid_badge(bid):
    """The bid's status as a badge, a colour of its own for each status (accepted green, not chosen dark)."""
    return format_html(
        '<span class="badge {}" data-testid="bid-status" data-status="{}">{}</span>',
        BID_BADGE_CLASSES.get(bid.status, "text-bg-light border"),
        bid.status,
        bid.get_status_display(),
    )


@register.filter
def source_name(source):
    return readable_source_name(source)
