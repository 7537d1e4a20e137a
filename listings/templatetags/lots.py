from django import template
from django.utils.html import format_html

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
