"""A sealed bid's price and bidder reach nobody but that bidder before the opening: every page, export and
e-mail a person can reach is swept for them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db

SECRET_PRICE = 777777
SECRET_TEXT = ("777.777", "777777", "777,777")


@pytest.fixture
def sealed(plant, django_capture_on_commit_callbacks):
    lot = LotFactory(plant=plant, bidding_mode="sealed", closes_at=timezone.now() + timedelta(hours=3))
    secret_bidder = member_of(OrganisationFactory(name="CV Rahasia Sekali", processor=True), email="rahasia@bid.test")
    other_bidder = member_of(OrganisationFactory(name="CV Pesaing", processor=True), email="pesaing@bid.test")
    with django_capture_on_commit_callbacks(execute=True):
        for person, price in ((secret_bidder, SECRET_PRICE), (other_bidder, 1000)):
            services.bid_place(
                lot=lot,
                acting_user=person,
                offer=BidOffer(
                    price_per_unit=price,
                    quantity=Decimal("10"),
                    pickup_date=timezone.localdate() + timedelta(days=1),
                    route="recycling",
                ),
            )
    return lot, secret_bidder, other_bidder


def pages(lot, person):
    urls = [
        reverse("home"),
        reverse("listings:lot_list"),
        reverse("listings:lot_list") + "?sort=price",
        lot.get_absolute_url(),
        reverse("listings:lot_bids", kwargs={"reference": lot.reference}),
        reverse("listings:lot_bids", kwargs={"reference": lot.reference}) + "?format=csv",
        reverse("listings:my_bids"),
        reverse("listings:my_lots"),
        reverse("members:directory"),
    ]
    return urls


@pytest.mark.parametrize("who", ["plant_admin", "other_bidder", "official", "staff", "bystander"])
def test_no_page_or_export_shows_the_sealed_bid(client, request, sealed, who):
    lot, secret_bidder, other_bidder = sealed
    person = {
        "other_bidder": other_bidder,
        "bystander": member_of(OrganisationFactory(processor=True)),
    }.get(who) or request.getfixturevalue(who)
    client.force_login(person)
    for url in pages(lot, person):
        response = client.get(url)
        body = response.content.decode()
        for secret in SECRET_TEXT:
            assert secret not in body, (who, url)
        if response.status_code == 200 and "/bids/" in url:
            assert "CV Rahasia Sekali" not in body, (who, url)


def test_the_bidder_itself_sees_its_own_price(client, sealed):
    lot, secret_bidder, _other = sealed
    client.force_login(secret_bidder)
    assert "777.777" in client.get(lot.get_absolute_url()).content.decode()
    assert "777.777" in client.get(reverse("listings:my_bids")).content.decode()


def test_no_e_mail_carries_the_sealed_bid_before_the_opening(sealed):
    for message in mail.outbox:
        text = message.body + "".join(content for content, _type in getattr(message, "alternatives", []))
        assert not any(secret in text for secret in SECRET_TEXT)
        assert "Rahasia" not in text


def test_refusals_do_not_reveal_other_bids(client, sealed):
    lot, _secret, other_bidder = sealed
    client.force_login(other_bidder)
    response = client.post(
        reverse("listings:bid_submit", kwargs={"reference": lot.reference}),
        {"price_per_unit": "abc", "quantity": "999999", "pickup_date": "x", "route": "reuse"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert not any(secret in body for secret in SECRET_TEXT) and "Rahasia" not in body
