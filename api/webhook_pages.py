"""The organisation's webhooks page (/org/<slug>/webhooks/), beside its tokens: its admins subscribe URLs to
events, pause, resume or delete them, send a test delivery, and read the recent deliveries with their status and
last error. A new subscription's secret is shown once, as a token's is (kept in the session until the page
after the redirect reads it)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import add_validation_error
from members import selectors as member_selectors

from . import webhook_urls, webhooks
from .models import WebhookDelivery, WebhookEvent, WebhookSubscription

RECENT_DELIVERIES = 10
NEW_SECRET = "api_new_webhook"  # noqa: S105 - the session key, not a secret


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        help_text=gettext_lazy("An https:// address of your system that accepts a POST with a JSON body."),
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.co.id/wastex/events"}),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = webhooks.allowed_events(organisation)
        self.fields["events"].choices = [(value, label) for value, label in WebhookEvent.choices if value in allowed]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        webhook_urls.check_url(url)
        return url


def _subscriptions_with_deliveries(organisation):
    """The organisation's subscriptions, each with its ten latest deliveries (one query for all of them)."""
    subscriptions = list(WebhookSubscription.objects.filter(organisation=organisation))
    recent = {subscription.pk: [] for subscription in subscriptions}
    if subscriptions:
        rows = (
            WebhookDelivery.objects.filter(subscription__organisation=organisation)
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=[F("subscription_id")], order_by=[F("created_at").desc(), F("id").desc()]
                )
            )
            .filter(rank__lte=RECENT_DELIVERIES)
            .defer("payload")
            .order_by("-created_at", "-id")
        )
        for delivery in rows:
            recent[delivery.subscription_id].append(delivery)
    for subscription in subscriptions:
        subscription.recent = recent[subscription.pk]
        subscription.last_failure = next((d for d in subscription.recent if d.last_error), None)
    return subscriptions


def webhooks_page(request, slug):
    organisation = member_selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    form = WebhookForm(request.POST or None, organisation=organisation)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = webhooks.subscription_create(
                    organisation=organisation,
                    acting_user=request.user,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                request.session[NEW_SECRET] = {"url": created.subscription.url, "secret": created.secret}
                return redirect("api_webhooks", slug=organisation.slug)
        status = 400
    created = request.session.pop(NEW_SECRET, None) if request.method == "GET" else None
    context = {
        "organisation": organisation,
        "form": form,
        "created": created,
        "subscriptions": _subscriptions_with_deliveries(organisation),
        "allowed_events": webhooks.allowed_events(organisation),
    }
    return render(request, "api/webhooks.html", context, status=status)


def _subscription_or_404(request, slug, pk) -> WebhookSubscription:
    organisation = member_selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    subscriptions = WebhookSubscription.objects.select_related("organisation")
    return get_object_or_404(subscriptions, pk=pk, organisation=organisation)


@require_POST
def webhook_pause(request, slug, pk):
    """Pause an active subscription, or resume a paused one."""
    subscription = _subscription_or_404(request, slug, pk)
    active = not subscription.is_active
    webhooks.subscription_set_active(subscription=subscription, acting_user=request.user, active=active)
    if active:
        messages.success(request, _("The webhook to %(url)s is active again.") % {"url": subscription.url})
    else:
        messages.success(request, _("The webhook to %(url)s is paused.") % {"url": subscription.url})
    return redirect("api_webhooks", slug=slug)


@require_POST
def webhook_delete(request, slug, pk):
    subscription = _subscription_or_404(request, slug, pk)
    url = subscription.url
    webhooks.subscription_delete(subscription=subscription, acting_user=request.user)
    messages.success(request, _("The webhook to %(url)s is deleted.") % {"url": url})
    return redirect("api_webhooks", slug=slug)


@require_POST
def webhook_test(request, slug, pk):
    subscription = _subscription_or_404(request, slug, pk)
    if not subscription.is_active:
        messages.error(request, _("The webhook is paused: resume it to send a test delivery."))
    else:
        webhooks.subscription_test(subscription=subscription, acting_user=request.user)
        messages.success(
            request,
            _("A test delivery to %(url)s is on its way: its result appears below in a moment.")
            % {"url": subscription.url},
        )
    return redirect("api_webhooks", slug=slug)
