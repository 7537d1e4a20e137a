"""The inbox (/notifications/), its unread count, and each person's choices per event."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .. import notifications
from ..models import Event, Notification, NotificationPreference

INBOX_PAGE = 30


def inbox(request):
    from core.pagination import offset_page

    show = request.GET.get("show") or ""
    rows = Notification.objects.filter(recipient=request.user)
    if show == "unread":
        rows = rows.unread()
    page = offset_page(request, rows.order_by("-created_at", "-id"), size=INBOX_PAGE)
    for item in page["items"]:
        item.text = notifications.message(item)
    context = {
        **page,
        "notifications": page["items"],
        "show": show,
        "unread_count": Notification.objects.filter(recipient=request.user).unread().count(),
    }
    return render(request, "members/notifications.html", context)


@never_cache
def unread_badge(request):
    """The navigation's count, fetched by htmx on load and every 30 seconds (the page itself stays cacheable)."""
    count = Notification.objects.filter(recipient=request.user).unread().count()
    return HttpResponse(render_to_string("members/partials/unread_badge.html", {"count": count}, request=request))


@require_POST
def open_notification(request, pk):
    """Mark one notification read and go to what it is about."""
    item = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(request.user, [item.pk])
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect(item.url)
    return redirect("members:notifications")


@require_POST
def mark_all_read(request):
    count = notifications.mark_read(request.user)
    messages.success(request, _("%(n)d notifications marked read.") % {"n": count})
    return redirect("members:notifications")


class PreferencesForm(forms.Form):
    """One choice per event: in-app only, e-mail at once, or the daily digest."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "channel"))
        for event in Event:
            self.fields[event.value] = forms.ChoiceField(
                label=event.label,
                choices=NotificationPreference.Channel.choices,
                initial=chosen.get(event.value, notifications.DEFAULT_CHANNELS.get(event, "in_app")),
                widget=forms.RadioSelect,
            )


def preferences(request):
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for event, channel in form.cleaned_data.items():
                NotificationPreference.objects.update_or_create(
                    user=request.user, event=event, defaults={"channel": channel}
                )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("members:notification_preferences")
    return render(
        request,
        "members/notification_preferences.html",
        {"form": form, "digest_note": gettext_lazy("The daily digest is sent at 07:00 WIB.")},
        status=400 if form.errors else 200,
    )
