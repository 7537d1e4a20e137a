"""Webhooks: an organisation's admins subscribe a URL to its events; each event becomes one delivery per
subscription, in the transaction that tells the organisation's people (members.notifications), and is sent
after the commit through the outbox (api.webhook_sending).

Who is told follows the notifications, which already obey every visibility rule: an event reaches the
organisations whose people it is addressed to; an event about one contract (a pickup, a processing, a missed
period, a contract ended early) reaches both of its sides, the plant and that contract's processor, even when
the person who caused it was the organisation's only one, and never another processor sharing the stream. The
body carries only the few values listed in `payload_for` (and, for a contract's event, the contract's id and
period number) — the lot's reference, title and links, a deadline, the winning price told to bidders not chosen
— never a bid's price or bidder: a receiver asks the API for more, where the same rules apply (a sealed bid
stays sealed, a winner is never named to the others).
"""

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from listings.models import Award, ContractPeriod, Handover, WasteLot
from members.models import Event, Membership, Organisation, User
from members.selectors import is_organisation_admin

from . import webhook_urls
from .models import WEBHOOK_EVENTS_BY_KIND, WebhookDelivery, WebhookEvent, WebhookSubscription

SECRET_PREFIX = "whsec_"  # noqa: S105 - the visible start of every webhook secret, not a secret
MAX_SUBSCRIPTIONS = 10
SEND_KIND = "webhook"  # the outbox's kind of event: send one delivery

# Notification → (webhook event, result). Events not listed here are not told to webhooks.
FROM_NOTIFICATION = {
    Event.NEW_MATCH: (WebhookEvent.NEW_MATCH, None),
    Event.NEW_BID: (WebhookEvent.NEW_BID, None),
    Event.OUTBID: (WebhookEvent.OUTBID, None),
    Event.BID_ACCEPTED: (WebhookEvent.AWARD, "won"),
    Event.BID_REJECTED: (WebhookEvent.AWARD, "not_chosen"),
    Event.CLOSING_SOON: (WebhookEvent.LOT_CLOSING, None),
    Event.PICKUP_RECORDED: (WebhookEvent.PICKUP_RECORDED, None),
    Event.PROCESSING_RECORDED: (WebhookEvent.PROCESSING_RECORDED, None),
    Event.PERIOD_MISSED: (WebhookEvent.PERIOD_MISSED, None),
    Event.CONTRACT_ENDED: (WebhookEvent.CONTRACT_ENDED, None),
}
# Events about one contract (the key ends with the id of its handover, period or award): both of its sides are
# told, the plant and that contract's processor, also when the one who caused it is their only person; never
# another processor that shares the stream.
FROM_HANDOVER = (WebhookEvent.PICKUP_RECORDED, WebhookEvent.PROCESSING_RECORDED)
CONTRACT_EVENTS = {
    WebhookEvent.PICKUP_RECORDED: "handover",
    WebhookEvent.PROCESSING_RECORDED: "handover",
    WebhookEvent.PERIOD_MISSED: "period",
    WebhookEvent.CONTRACT_ENDED: "award",
}


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


def allowed_events(organisation: Organisation) -> tuple[str, ...]:
    return tuple(WEBHOOK_EVENTS_BY_KIND.get(organisation.kind, ()))


def _require_admin(user: User, organisation: Organisation) -> None:
    if not is_organisation_admin(user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can manage its webhooks."))


def subscription_create(
    *, organisation: Organisation, acting_user: User, url: str, events: Iterable[str]
) -> NewSubscription:
    _require_admin(acting_user, organisation)
    errors = {}
    try:
        webhook_urls.check_url(url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    wanted = list(dict.fromkeys(events or []))
    refused = [event for event in wanted if event not in allowed_events(organisation)]
    if not wanted:
        errors["events"] = _("Choose at least one event.")
    elif refused:
        errors["events"] = _("This organisation is not told of these events: %(events)s.") % {
            "events": ", ".join(refused)
        }
    if WebhookSubscription.objects.filter(organisation=organisation).count() >= MAX_SUBSCRIPTIONS:
        errors["__all__"] = _("An organisation can have at most %(max)d webhooks: delete one first.") % {
            "max": MAX_SUBSCRIPTIONS
        }
    if errors:
        raise ValidationError(errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        organisation=organisation, url=url.strip(), events=wanted, secret=secret, created_by=acting_user
    )
    return NewSubscription(subscription=subscription, secret=secret)


def subscription_set_active(*, subscription: WebhookSubscription, acting_user: User, active: bool):
    """Pause (nothing new is recorded for it, nothing waiting is sent) or resume a subscription."""
    _require_admin(acting_user, subscription.organisation)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=active)
    subscription.is_active = active
    return subscription


def subscription_delete(*, subscription: WebhookSubscription, acting_user: User) -> None:
    """The subscription goes with its deliveries (an attempt under way finds nothing to mark)."""
    _require_admin(acting_user, subscription.organisation)
    subscription.delete()


def subscription_test(*, subscription: WebhookSubscription, acting_user: User) -> WebhookDelivery:
    """A "ping" delivery, signed and sent like any event (through the outbox, after the commit)."""
    _require_admin(acting_user, subscription.organisation)
    with transaction.atomic():
        return _record(subscription, f"test:{uuid.uuid4()}", "ping", {"message": "WasteX test delivery"})


# --- Events into deliveries -------------------------------------------------------------------------------


def _links(reference: str) -> dict:
    if not reference:
        return {}
    return {
        "url": settings.SITE_URL + reverse("listings:lot_detail", kwargs={"reference": reference}),
        "api_url": settings.SITE_URL + reverse("api:lot", kwargs={"reference": reference}),
    }


def payload_for(event: str, result: str | None, params: dict) -> dict:
    """The event's data: only the values named here, whatever else the notification carries."""
    reference = str(params.get("reference", ""))
    data = {"lot": {"reference": reference, "title": str(params.get("title", "")), **_links(reference)}}
    if result is not None:
        data["result"] = result
    if result == "not_chosen" and params.get("winning_price") is not None:  # the price, never the winner
        data["winning_price_per_unit"] = params["winning_price"]
        data["unit"] = params.get("unit", "")
        if params.get("winning_prices"):  # a stream shared among processors: each winning price, highest first
            data["winning_prices_per_unit"] = list(params["winning_prices"])
    if event == WebhookEvent.LOT_CLOSING and params.get("closes_at"):
        data["lot"]["closes_at"] = params["closes_at"]
    return data


def _contract_of(kind: str, key: str) -> dict | None:
    """The contract an event is about, from its key's last part (the id of its handover, period or award): its
    lot's reference and plant, its processor, its id and the period's number (none for an award's event)."""
    tail = key.rpartition(":")[2]
    if not tail.isdigit():
        return None
    if kind == "award":
        rows, prefix, number = Award.objects.filter(pk=int(tail)), "", None
    elif kind == "period":
        rows, prefix, number = ContractPeriod.objects.filter(pk=int(tail)), "award__", F("number")
    else:
        rows, prefix, number = Handover.objects.filter(pk=int(tail)), "period__award__", F("period__number")
    return rows.values(
        reference=F(f"{prefix}lot__reference"),
        plant_id=F(f"{prefix}lot__plant_id"),
        recurring=F(f"{prefix}lot__is_recurring"),
        processor_id=F(f"{prefix}bid__bidder_id"),
        contract_id=F(f"{prefix}id"),
        **({"period_number": number} if number is not None else {}),
    ).first()


def _deal_organisations(reference: str, contract: dict | None) -> set[int]:
    """Both sides of the contract: the plant and that contract's processor (never another processor that shares
    the stream). Without a contract, the lot's plant and its winner when it has one."""
    if contract is not None and contract["reference"] == reference:
        return {contract["plant_id"], contract["processor_id"]}
    lot = WasteLot.objects.filter(reference=reference).values("pk", "plant_id").first()
    if lot is None:
        return set()
    winners = list(Award.objects.filter(lot_id=lot["pk"]).values_list("bid__bidder_id", flat=True))
    return {lot["plant_id"], *winners} if len(winners) == 1 else {lot["plant_id"]}


def on_notification(event: str, key: str, recipient_ids: list[int], params: dict, url: str = "") -> int:
    """Called by members.notifications in the transaction that fills the inboxes: one delivery per subscription
    of the organisations told. Returns how many deliveries were recorded now."""
    mapped = FROM_NOTIFICATION.get(event)
    if mapped is None:
        return 0
    webhook_event, result = mapped
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True).select_related("organisation")
        if webhook_event in subscription.events and webhook_event in allowed_events(subscription.organisation)
    ]
    if not subscriptions:
        return 0
    data = payload_for(webhook_event, result, params)
    if webhook_event in CONTRACT_EVENTS:
        contract = _contract_of(CONTRACT_EVENTS[webhook_event], key)
        told = _deal_organisations(params.get("reference", ""), contract)
        if contract is not None and (contract["recurring"] or webhook_event not in FROM_HANDOVER):
            # Which contract (the API's contracts/<id>/periods/) and, for a period's event, which period.
            data["contract"] = {"id": contract["contract_id"]}
            if "period_number" in contract:
                data["contract"]["period"] = contract["period_number"]
    else:  # the subscribing organisations with a person among the recipients (a fan-out may reach thousands)
        recipients = set(recipient_ids)
        people = Membership.objects.filter(
            organisation_id__in={subscription.organisation_id for subscription in subscriptions}, user__is_active=True
        ).values_list("organisation_id", "user_id")
        told = {organisation_id for organisation_id, user_id in people if user_id in recipients}
    recorded = 0
    for subscription in subscriptions:
        if subscription.organisation_id in told:
            recorded += _record(subscription, key, webhook_event, data) is not None
    return recorded


def _record(subscription: WebhookSubscription, key: str, event: str, data: dict) -> WebhookDelivery | None:
    """The delivery, once per (subscription, key); its sending published in the outbox (after the commit)."""
    if WebhookDelivery.objects.filter(subscription=subscription, key=key).exists():
        return None
    event_id = uuid.uuid4()
    now = timezone.now()
    payload = {"id": str(event_id), "type": event, "created_at": now.isoformat(), "data": data}
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                subscription=subscription,
                key=key[:160],
                event_id=event_id,
                event=event,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
    except IntegrityError:  # recorded at the same moment by another run
        return None
    outbox.publish(SEND_KIND, f"webhook:{delivery.pk}", {"delivery": delivery.pk})
    return delivery
