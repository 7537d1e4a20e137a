"""The watchlist: follow a lot or stop following it (htmx swaps the button; without JavaScript the form posts
and comes back to the page)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services


def watch_context(user, lot) -> dict:
    """What the watch button of the lot page needs (templates/listings/partials/watch_button.html)."""
    why_not = selectors.why_cannot_follow(user, lot) if user.is_authenticated else None
    if selectors.processor_of(user) is None:
        # Only a verified processor's people follow lots: nobody else has a watch to show (and no query is made).
        return {"watching": False, "why_cannot_follow": why_not}
    return {"watching": selectors.is_watching(user, lot), "why_cannot_follow": why_not}


@require_POST
def lot_watch(request, reference):
    """POST follow=1 to follow, follow=0 to stop. Stopping is always allowed; following only for people of a
    verified processor, on an open lot (403 with the reason otherwise)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    follow = request.POST.get("follow") != "0"
    if follow:
        services.lot_follow(lot=lot, acting_user=request.user)  # PermissionDenied: 403 with the reason
    else:
        services.lot_unfollow(lot=lot, acting_user=request.user)
    if request.htmx:
        return render(request, "listings/partials/watch_button.html", {"lot": lot, **watch_context(request.user, lot)})
    if follow:
        messages.success(request, _("You follow this lot: you will be reminded before it closes."))
    else:
        messages.success(request, _("You no longer follow this lot."))
    next_url = request.POST.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(lot)
