"""Award: the plant's choice, its reasons, what every bidder is told, and who sees which bids when."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.models import Award, Bid, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db


def place(lot, person, price, route="recycling"):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route=route,
        ),
    )


@pytest.fixture
def bidders(db):
    names = ["CV Alfa", "CV Bravo", "CV Charlie"]
    return [
        member_of(
            OrganisationFactory(name=name, processor=True), email=f"{name.split()[1].lower()}@bid.test", language="en"
        )
        for name in names
    ]


@pytest.fixture
def auction(plant, bidders):
    lot = LotFactory(plant=plant, bidding_mode="sealed", closes_at=timezone.now() + timedelta(hours=1))
    bids = [place(lot, person, price) for person, price in zip(bidders, [300000, 450000, 200000], strict=True)]
    return lot, bids


def close(lot):
    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    lot.refresh_from_db()
    return services.lot_close_if_overdue(lot)


def test_award_best_price_after_the_deadline(auction, plant_admin, mailoutbox, django_capture_on_commit_callbacks):
    lot, (alfa, bravo, charlie) = auction
    close(lot)
    assert lot.bids_opened_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        award = services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin)
    assert award.reason == "best-price" and award.best_price == 450000
    assert lot.status == "awarded"
    assert dict(Bid.objects.filter(lot=lot).values_list("bidder__name", "status")) == {
        "CV Alfa": "rejected",
        "CV Bravo": "accepted",
        "CV Charlie": "rejected",
    }
    # The winner is told; the others learn the winning price, never the winner.
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert set(by_recipient) == {"alfa@bid.test", "bravo@bid.test", "charlie@bid.test"}
    assert "accepted" in by_recipient["bravo@bid.test"].subject
    for loser in ("alfa@bid.test", "charlie@bid.test"):
        message = by_recipient[loser]
        text = message.body + message.alternatives[0][0]
        assert "processor pays Rp\u00a0450,000\u00a0/\u00a0t" in text
        assert "Bravo" not in text and "Alfa" not in text.replace(message.to[0], "")


def test_not_the_best_price_needs_a_reason(auction, plant_admin):
    lot, (alfa, _bravo, _charlie) = auction
    close(lot)
    with pytest.raises(ValidationError) as caught:
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin)
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, reason="other", note=" ")
    award = services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, reason="local-business")
    assert award.reason == "local-business"
    assert "Local business" in lot.transitions.last().note


def test_sealed_bids_cannot_be_awarded_before_they_open(auction, plant_admin):
    lot, bids = auction
    with pytest.raises(ValidationError, match="Sealed bids are opened at the deadline"):
        services.lot_award(lot=lot, bid=bids[1], acting_user=plant_admin)
    assert not Award.objects.exists()


def test_open_mode_early_award_closes_the_lot(plant, plant_admin, bidders):
    lot = LotFactory(plant=plant, bidding_mode="open", closes_at=timezone.now() + timedelta(days=2))
    bid = place(lot, bidders[0], 100)
    services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    statuses = list(lot.transitions.values_list("to_status", flat=True))
    assert statuses[-2:] == ["closed", "awarded"]


def test_exactly_one_award(auction, plant_admin):
    lot, (alfa, bravo, _charlie) = auction
    close(lot)
    services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin)
    with pytest.raises(ValidationError):
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, reason="other", note="again")
    assert Award.objects.count() == 1 and Bid.objects.filter(status="accepted").count() == 1


def test_the_database_refuses_a_second_award_of_a_one_off_lot(auction, plant_admin):
    """An award takes the whole one-off lot: the database refuses anything more, whatever the code does."""
    from django.db import IntegrityError, transaction
    from django.db.models import F

    lot, (_alfa, bravo, _charlie) = auction
    close(lot)
    services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        WasteLot.objects.filter(pk=lot.pk).update(awarded_quantity=F("awarded_quantity") + Decimal("0.001"))


def test_withdrawn_bid_cannot_be_awarded(auction, plant_admin, bidders):
    lot, (alfa, _bravo, _charlie) = auction
    services.bid_withdraw(bid=alfa, acting_user=bidders[0])
    close(lot)
    with pytest.raises(ValidationError, match="no longer live"):
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, reason="other", note="x")


def test_only_the_plant_awards(auction, bidders, staff):
    lot, bids = auction
    close(lot)
    for person in (bidders[0], staff, member_of(OrganisationFactory())):
        with pytest.raises(PermissionDenied):
            services.lot_award(lot=lot, bid=bids[0], acting_user=person)


def test_close_without_award(auction, plant_admin, mailoutbox, django_capture_on_commit_callbacks):
    lot, _bids = auction
    with pytest.raises(ValidationError):
        services.lot_close_unawarded(lot=lot, acting_user=plant_admin, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_close_unawarded(lot=lot, acting_user=plant_admin, reason="Harga di bawah harapan")
    assert lot.status == "unawarded"
    assert not Bid.objects.filter(lot=lot, status="live").exists()
    assert len(mailoutbox) == 3 and all("without an award" in m.subject for m in mailoutbox)


# The bids page


def test_plant_sees_sealed_bids_only_after_opening(client, auction, plant_admin):
    lot, _bids = auction
    client.force_login(plant_admin)
    url = reverse("listings:lot_bids", kwargs={"reference": lot.reference})
    page = client.get(url)
    body = page.content.decode()
    assert page.context["sealed"] and page.context["bids"] == []
    assert "3 sealed bids received" in body
    for secret in ("CV Alfa", "CV Bravo", "450.000", "300.000"):
        assert secret not in body
    csv = client.get(url, {"format": "csv"})
    assert "CV Bravo" not in csv.content.decode()
    close(lot)
    page = client.get(url)
    assert [b.bidder.name for b in page.context["bids"]] == ["CV Bravo", "CV Alfa", "CV Charlie"]
    csv = client.get(url, {"format": "csv"}).content.decode()
    assert csv.splitlines()[1].startswith("CV Bravo,True,False,450000")


def test_bids_ranked_by_route(client, plant, plant_admin, bidders):
    lot = LotFactory(plant=plant, bidding_mode="open")
    place(lot, bidders[0], 500, route="disposal")
    place(lot, bidders[1], 100, route="reuse")
    client.force_login(plant_admin)
    page = client.get(reverse("listings:lot_bids", kwargs={"reference": lot.reference}), {"sort": "route"})
    assert [b.route for b in page.context["bids"]] == ["reuse", "disposal"]


def test_the_bids_page_shows_each_bidders_average_rating(client, plant, plant_admin, bidders):
    """Each bid carries its bidder's average rating (over every rating it received), or none."""
    from listings.models import Rating

    lot = LotFactory(plant=plant, bidding_mode="open")
    place(lot, bidders[0], 500)
    place(lot, bidders[1], 400)
    alfa, bravo, charlie = (person.membership.organisation for person in bidders)
    for stars, rater in ((4, plant), (5, OrganisationFactory())):
        Rating.objects.create(lot=LotFactory(plant=rater), rater=rater, rated=alfa, stars=stars)
    Rating.objects.create(lot=LotFactory(plant=plant), rater=plant, rated=charlie, stars=1)  # not a bidder here
    Rating.objects.create(lot=LotFactory(plant=plant), rater=alfa, rated=plant, stars=2)  # given, not received
    client.force_login(plant_admin)
    page = client.get(reverse("listings:lot_bids", kwargs={"reference": lot.reference}))
    assert {bid.bidder.name: bid.bidder_rating for bid in page.context["bids"]} == {alfa.name: 4.5, bravo.name: None}
    assert '<span class="fig">4.5 / 5</span>' in page.content.decode()


@pytest.mark.parametrize("who", ["processor_admin", "official", "other_plant"])
def test_who_may_not_see_the_bids_page(client, request, auction, who):
    lot, _bids = auction
    close(lot)
    person = member_of(OrganisationFactory()) if who == "other_plant" else request.getfixturevalue(who)
    client.force_login(person)
    url = reverse("listings:lot_bids", kwargs={"reference": lot.reference})
    assert client.get(url).status_code == 403
    assert client.get(url, {"format": "csv"}).status_code == 403
    assert client.post(url, {"bid": _bids[0].pk}).status_code == 403
    assert not Award.objects.exists()


def test_award_through_the_page(client, auction, plant_admin, django_capture_on_commit_callbacks):
    lot, (alfa, bravo, _c) = auction
    close(lot)
    client.force_login(plant_admin)
    url = reverse("listings:lot_bids", kwargs={"reference": lot.reference})
    refused = client.post(url, {"bid": alfa.pk, "reason": "", "note": ""})
    assert refused.status_code == 400 and "not the best price" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"bid": bravo.pk, "reason": "", "note": ""})
    assert done.status_code == 302
    assert Award.objects.get().bid == bravo


def test_bids_page_queries_do_not_grow_with_bids(client, plant, plant_admin, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lot = LotFactory(plant=plant, bidding_mode="open")
    place(lot, member_of(OrganisationFactory(processor=True)), 10)
    client.force_login(plant_admin)
    url = reverse("listings:lot_bids", kwargs={"reference": lot.reference})
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for price in range(30):
        place(lot, member_of(OrganisationFactory(processor=True)), price)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["bids"]) == 31


# What a bidder sees


def test_bidder_sees_only_its_own_sealed_bid(client, auction, bidders):
    lot, _bids = auction
    client.force_login(bidders[0])
    body = client.get(lot.get_absolute_url()).content.decode()
    assert "processor pays Rp\u00a0300,000\u00a0/\u00a0t" in body  # its own
    for secret in ("450.000", "200.000", "CV Bravo", "CV Charlie", 'data-testid="best-price"'):
        assert secret not in body


def test_open_mode_shows_the_best_price_never_who(client, plant, bidders):
    lot = LotFactory(plant=plant, bidding_mode="open")
    place(lot, bidders[1], 450000)
    client.force_login(bidders[0])
    body = client.get(lot.get_absolute_url()).content.decode()
    assert "processor pays Rp\u00a0450,000\u00a0/\u00a0t" in body
    assert "CV Bravo" not in body


def test_losing_bidder_learns_the_winning_price_not_the_winner(client, auction, plant_admin, bidders):
    lot, (_alfa, bravo, _charlie) = auction
    close(lot)
    services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin)
    client.force_login(bidders[0])
    body = client.get(lot.get_absolute_url()).content.decode()
    assert "went to another bid. Winning price: processor pays Rp\u00a0450,000\u00a0/\u00a0t" in body
    assert "CV Bravo" not in body


def test_bystander_sees_no_price_of_an_awarded_lot(client, auction, plant_admin):
    lot, (_alfa, bravo, _charlie) = auction
    close(lot)
    services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin)
    client.force_login(member_of(OrganisationFactory(processor=True, name="CV Penonton")))
    body = client.get(lot.get_absolute_url()).content.decode()
    assert "450.000" not in body and "CV Bravo" not in body


def test_my_bids_lists_own_bids_only(client, auction, bidders):
    lot, _bids = auction
    client.force_login(bidders[0])
    response = client.get(reverse("listings:my_bids"))
    assert [b.bidder.name for b in response.context["bids"]] == ["CV Alfa"]
    assert "450.000" not in response.content.decode()


def test_my_bids_is_for_processors(client, plant_admin):
    client.force_login(plant_admin)
    assert client.get(reverse("listings:my_bids")).status_code == 403


def test_bid_form_errors_are_shown_not_500(client, plant, bidders):
    lot = LotFactory(plant=plant)
    client.force_login(bidders[0])
    url = reverse("listings:bid_submit", kwargs={"reference": lot.reference})
    for data in (
        {},
        {"price_per_unit": "abc", "quantity": "-1", "pickup_date": "tomorrow", "route": "x"},
        {"price_per_unit": "9" * 30, "quantity": "1e9", "pickup_date": "2020-01-01", "route": "reuse"},
    ):
        response = client.post(url, data)
        assert response.status_code == 400
    assert not Bid.objects.exists()
    assert client.get(url).status_code == 405


def test_cancelling_a_lot_ends_its_bids_and_tells_the_bidders(
    auction, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    lot, _bids = auction
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_cancel(lot=lot, acting_user=plant_admin, reason="Dijual ke pihak lain")
    assert not Bid.objects.filter(lot=lot, status="live").exists()
    assert sorted(m.to[0] for m in mailoutbox) == ["alfa@bid.test", "bravo@bid.test", "charlie@bid.test"]
    assert all("was cancelled" in m.subject for m in mailoutbox)


def test_award_page_without_a_choice_explains(client, auction, plant_admin):
    lot, _bids = auction
    close(lot)
    client.force_login(plant_admin)
    response = client.post(reverse("listings:lot_bids", kwargs={"reference": lot.reference}), {"reason": ""})
    assert response.status_code == 400
    assert "Choose a bid to award" in response.content.decode()
    assert not Award.objects.exists()


def test_bids_page_is_ranked_and_paginated_the_csv_has_all(client, plant, plant_admin):
    from listings.views.bids import BIDS_PAGE_SIZE

    lot = LotFactory(plant=plant, bidding_mode="open")
    for price in range(BIDS_PAGE_SIZE + 5):
        place(lot, member_of(OrganisationFactory(processor=True)), price * 100)
    client.force_login(plant_admin)
    url = reverse("listings:lot_bids", kwargs={"reference": lot.reference})
    first = client.get(url)
    prices = [b.price_per_unit for b in first.context["bids"]]
    assert len(prices) == BIDS_PAGE_SIZE and prices == sorted(prices, reverse=True)
    assert first.context["has_next"] and first.context["best_price"] == (BIDS_PAGE_SIZE + 4) * 100
    second = client.get(url, {"page": 2})
    assert [b.price_per_unit for b in second.context["bids"]] == [400, 300, 200, 100, 0]
    csv = client.get(url, {"format": "csv"}).content.decode().strip().splitlines()
    assert len(csv) == BIDS_PAGE_SIZE + 5 + 1
