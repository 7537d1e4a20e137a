"""A sealed bid's price and bidder reach nobody but that bidder before the opening: every page, export and
e-mail a person can reach is swept for them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of

pytestmark = pytest.mark.django_db

# Every sealed bid's price is distinctive, so that finding it anywhere means it leaked (a round 1000 would be
# found in any page). Quantity 10 makes each total the price × 10.
SECRET_PRICE = 777777
OTHER_PRICE = 654321
QUANTITY = 10


def printed(number: int) -> set[str]:
    """Every way the site prints a rupiah amount: "Rp 1.234.000" (id), "1,234,000" (en), "1234000" (exports)."""
    return {f"{number}", f"{number:,}", f"{number:,}".replace(",", ".")}


def secrets_of(*prices: int) -> set[str]:
    """What would give a sealed bid away: its price and its total, in every printed form."""
    return set().union(*(printed(price) | printed(price * QUANTITY) for price in prices))


ALL_SECRETS = secrets_of(SECRET_PRICE, OTHER_PRICE)


@pytest.fixture
def sealed(plant, plant_admin, django_capture_on_commit_callbacks):
    lot = LotFactory(plant=plant, bidding_mode="sealed", closes_at=timezone.now() + timedelta(hours=3))
    secret_bidder = member_of(OrganisationFactory(name="CV Rahasia Sekali", processor=True), email="rahasia@bid.test")
    other_bidder = member_of(OrganisationFactory(name="CV Pesaing", processor=True), email="pesaing@bid.test")
    with django_capture_on_commit_callbacks(execute=True):
        for person, price in ((secret_bidder, SECRET_PRICE), (other_bidder, OTHER_PRICE)):
            services.bid_place(
                lot=lot,
                acting_user=person,
                offer=BidOffer(
                    price_per_unit=price,
                    quantity=Decimal(QUANTITY),
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
        reverse("members:notifications"),
        reverse("dashboard:dashboard"),
    ]
    return urls


@pytest.mark.parametrize("who", ["plant_admin", "secret_bidder", "other_bidder", "official", "staff", "bystander"])
def test_no_page_or_export_shows_a_sealed_bid(client, request, sealed, who):
    lot, secret_bidder, other_bidder = sealed
    person = {
        "secret_bidder": secret_bidder,
        "other_bidder": other_bidder,
        "bystander": member_of(OrganisationFactory(processor=True)),
    }.get(who) or request.getfixturevalue(who)
    # Each bidder may read its own bid; nobody reads another's.
    hidden = {"secret_bidder": secrets_of(OTHER_PRICE), "other_bidder": secrets_of(SECRET_PRICE)}.get(who, ALL_SECRETS)
    log_in(client, person)
    for url in pages(lot, person):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code < 500, (who, url)
        leaked = {secret for secret in hidden if secret in body}
        assert not leaked, (who, url, leaked)
        if response.status_code == 200 and "/bids/" in url:
            assert "CV Rahasia Sekali" not in body, (who, url)


def test_the_sweep_finds_a_price_where_it_is_shown(client, sealed):
    """The sweep is not blind: each bidder's own pages print its price in one of the swept forms."""
    lot, secret_bidder, other_bidder = sealed
    for person, price in ((secret_bidder, SECRET_PRICE), (other_bidder, OTHER_PRICE)):
        log_in(client, person)
        for url in (lot.get_absolute_url(), reverse("listings:my_bids")):
            body = client.get(url).content.decode()
            assert any(form in body for form in printed(price)), url


def test_no_e_mail_carries_a_sealed_bid_before_the_opening(sealed, mailoutbox):
    # The plant's people were told of both bids by e-mail: the sweep below has mail to read.
    assert len(mailoutbox) >= 2
    assert {"admin@baja-uji.test"} <= {address for message in mailoutbox for address in message.to}
    for message in mailoutbox:
        text = message.subject + message.body
        text += "".join(content for content, _type in getattr(message, "alternatives", []))
        leaked = {secret for secret in ALL_SECRETS if secret in text}
        assert not leaked, (message.to, leaked)
        assert "Rahasia" not in text and "Pesaing" not in text


def test_refusals_do_not_reveal_other_bids(client, sealed):
    lot, _secret, other_bidder = sealed
    log_in(client, other_bidder)
    response = client.post(
        reverse("listings:bid_submit", kwargs={"reference": lot.reference}),
        {"price_per_unit": "abc", "quantity": "999999", "pickup_date": "x", "route": "reuse"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert not any(secret in body for secret in secrets_of(SECRET_PRICE)) and "Rahasia" not in body
