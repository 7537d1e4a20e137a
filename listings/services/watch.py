"""The watchlist as a service: a processor's person follows a lot or stops following it. The reminder before
the deadline is sent by the beat task (listings.notify.remind_watchers)."""

from django.core.exceptions import PermissionDenied

from members.models import User

from ..models import WasteLot, Watch
from ..selectors import why_cannot_follow


def lot_follow(*, lot: WasteLot, acting_user: User) -> Watch:
    """Follow the lot (following it twice is harmless: one watch per person and lot)."""
    reason = why_cannot_follow(acting_user, lot)
    if reason:
        raise PermissionDenied(reason)
    watch, _created = Watch.objects.get_or_create(user=acting_user, lot=lot)
    return watch


def lot_unfollow(*, lot: WasteLot, acting_user: User) -> bool:
    """Stop following the lot (always allowed, even after it closed). True when there was something to stop."""
    deleted, _rows = Watch.objects.filter(user=acting_user, lot=lot).delete()
    return deleted > 0
