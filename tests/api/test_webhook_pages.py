"""The webhooks page: an organisation's admins add a subscription (its secret shown once), pause, resume and
delete it, send a test delivery and read the recent deliveries; nobody else touches them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from tests.api.conftest import verify
from tests.factories import OrganisationFactory, log_in, member_of

pytestmark = pytest.mark.django_db


def page(organisation):
    return f"/org/{organisation.slug}/webhooks/"


def test_an_admin_adds_tests_pauses_and_deletes_a_webhook(
    client, plant, plant_admin, receiver, django_capture_on_commit_callbacks
):
    client.force_login(plant_admin)
    response = client.post(page(plant), {"url": receiver.url, "events": ["new_bid", "pickup_recorded"]})
    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["new_bid", "pickup_recorded"] and subscription.created_by == plant_admin
    shown = client.get(page(plant)).content.decode()
    assert subscription.secret in shown and 'data-testid="webhook-secret"' in shown
    assert subscription.secret not in client.get(page(plant)).content.decode()  # once

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{page(plant)}{subscription.pk}/test/")
    assert response.status_code == 302
    assert len(receiver.requests) == 1
    assert verify(subscription.secret, receiver.requests[0])["type"] == "ping"
    listed = client.get(page(plant)).content.decode()
    assert listed.count('data-testid="delivery"') == 1 and "delivered" in listed

    client.post(f"{page(plant)}{subscription.pk}/pause/")
    subscription.refresh_from_db()
    assert not subscription.is_active and "paused" in client.get(page(plant)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{page(plant)}{subscription.pk}/test/")
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1  # paused: no test delivery
    client.post(f"{page(plant)}{subscription.pk}/pause/")
    subscription.refresh_from_db()
    assert subscription.is_active

    client.post(f"{page(plant)}{subscription.pk}/delete/")
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_plant_is_offered_only_its_own_events(client, plant, plant_admin, processor, processor_admin):
    client.force_login(plant_admin)
    response = client.post(page(plant), {"url": "http://127.0.0.1:9/x", "events": ["award"]})
    assert response.status_code == 400 and not WebhookSubscription.objects.exists()
    content = client.get(page(plant)).content.decode()
    assert 'value="new_bid"' in content and 'value="award"' not in content and 'value="new_match"' not in content
    client.force_login(processor_admin)
    content = client.get(page(processor)).content.decode()
    assert 'value="award"' in content and 'value="new_bid"' not in content
    response = client.post(page(processor), {"url": "http://127.0.0.1:9/x", "events": []})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_who_may_not_manage_the_webhooks(client, plant, plant_admin, staff):
    webhook = WebhookSubscription.objects.create(
        organisation=plant, url="http://127.0.0.1:9/x", events=["new_bid"], secret="whsec_x", created_by=plant_admin
    )
    member = member_of(plant, role="member", email="member@pabrik.test")
    other = member_of(OrganisationFactory(name="PT Lain"), email="admin@lain.test")
    own = f"/org/{other.membership.organisation.slug}/webhooks/{webhook.pk}"
    for person, paths in [
        (member, [page(plant), f"{page(plant)}{webhook.pk}/delete/", f"{page(plant)}{webhook.pk}/test/"]),
        (other, [page(plant), f"{page(plant)}{webhook.pk}/delete/", f"{own}/delete/", f"{own}/pause/", f"{own}/test/"]),
        (staff, [page(plant), f"{page(plant)}{webhook.pk}/pause/"]),
    ]:
        log_in(client, person)
        for path in paths:
            assert client.get(path).status_code in (404, 405), path
            assert client.post(path, {"url": "http://127.0.0.1:9/y", "events": ["new_bid"]}).status_code == 404, path
    client.logout()
    assert client.get(page(plant)).status_code == 302
    webhook.refresh_from_db()
    assert webhook.is_active and WebhookSubscription.objects.count() == 1 and not WebhookDelivery.objects.exists()


def test_an_authority_has_no_events_to_subscribe(client):
    official = member_of(OrganisationFactory(authority=True), email="dlh@banten.test")
    client.force_login(official)
    organisation = official.membership.organisation
    assert "none to be told of" in client.get(page(organisation)).content.decode()
    response = client.post(page(organisation), {"url": "http://127.0.0.1:9/x", "events": ["new_bid"]})
    assert response.status_code == 400 and not WebhookSubscription.objects.exists()


def test_each_subscription_lists_its_own_ten_latest_deliveries(client, plant, plant_admin):
    busy, quiet = (
        WebhookSubscription.objects.create(
            organisation=plant,
            url=f"http://127.0.0.1:9/{n}",
            events=["new_bid"],
            secret="whsec_x",
            created_by=plant_admin,
        )
        for n in ("busy", "quiet")
    )
    old = timezone.now() - timedelta(days=3)
    WebhookDelivery.objects.create(
        subscription=quiet, key="old", event="new_bid", created_at=old, last_error="HTTP 410 Gone"
    )
    for n in range(25):  # more than ten per subscription on the page: the quiet one's must still be listed
        WebhookDelivery.objects.create(subscription=busy, key=f"k{n}", event="new_bid", status="sent")
    client.force_login(plant_admin)
    content = client.get(page(plant)).content.decode()
    assert content.count('data-testid="delivery"') == 11  # ten of the busy one, and the quiet one's old one
    assert "HTTP 410 Gone" in content


def test_old_finished_deliveries_are_purged(plant, plant_admin):
    from api.webhook_sending import purge

    subscription = WebhookSubscription.objects.create(
        organisation=plant, url="http://127.0.0.1:9/", events=["new_bid"], secret="whsec_x", created_by=plant_admin
    )
    old = timezone.now() - timedelta(days=31)
    for key, status in [("sent", "sent"), ("failed", "failed"), ("waiting", "pending")]:
        WebhookDelivery.objects.create(
            subscription=subscription, key=key, event="new_bid", status=status, created_at=old
        )
    WebhookDelivery.objects.create(subscription=subscription, key="new", event="new_bid", status="sent")
    assert purge() == 2
    assert set(WebhookDelivery.objects.values_list("key", flat=True)) == {"waiting", "new"}
