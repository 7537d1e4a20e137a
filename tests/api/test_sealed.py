"""Sealed bids through the API: before the deadline nobody — the plant included — learns a sealed price or
bidder, from a response or an error; after the close the plant sees them, and losing bidders learn the
winning price, never the winner."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings import services
from listings.services import BidOffer
from tests.api.conftest import api_client, token_for
from tests.factories import LotFactory, OrganisationFactory, member_of

SEALED_PRICE = 987_654
OTHER_PRICE = 123_456
SEALED_BIDDER = "CV Harga Tersegel"


@pytest.fixture
def market(db):
    plant = OrganisationFactory(name="PT Pabrik Tersegel")
    sealed_bidder = OrganisationFactory(name=SEALED_BIDDER, processor=True)
    rival = OrganisationFactory(name="CV Saingan", processor=True)
    people = {
        "plant": member_of(plant),
        "bidder": member_of(sealed_bidder),
        "rival": member_of(rival),
        "official": member_of(OrganisationFactory(authority=True)),
    }
    lot = LotFactory(plant=plant, bidding_mode="sealed", quantity=Decimal("50"))
    day = timezone.localdate() + timedelta(days=1)
    bids = {
        "bidder": services.bid_place(
            lot=lot,
            acting_user=people["bidder"],
            offer=BidOffer(price_per_unit=SEALED_PRICE, quantity=Decimal("50"), pickup_date=day, route="recycling"),
        ),
        "rival": services.bid_place(
            lot=lot,
            acting_user=people["rival"],
            offer=BidOffer(price_per_unit=OTHER_PRICE, quantity=Decimal("50"), pickup_date=day, route="disposal"),
        ),
    }
    return {"lot": lot, "people": people, "bids": bids}


def _leaks(body: bytes) -> list[str]:
    text = body.decode()
    return [secret for secret in (str(SEALED_PRICE), "987.654", SEALED_BIDDER) if secret in text]


@pytest.mark.django_db
def test_before_the_deadline_nobody_learns_a_sealed_price_or_bidder(market):
    lot, people = market["lot"], market["people"]
    reference = lot.reference
    plant = api_client(token_for(people["plant"]))
    rival = api_client(token_for(people["rival"]))
    official = api_client(token_for(people["official"]))

    bids = plant.get(f"/api/v1/lots/{reference}/bids/")
    assert bids.status_code == 200
    assert bids.json() == {"sealed": True, "live_count": 2, "best_price": None, "bids": [], "next": None}

    responses = [
        bids,
        plant.get(f"/api/v1/lots/{reference}/"),
        rival.get(f"/api/v1/lots/{reference}/"),
        rival.get(f"/api/v1/lots/{reference}/my-bid/"),
        rival.get("/api/v1/bids/"),
        rival.get("/api/v1/lots/?sort=price"),
        official.get(f"/api/v1/lots/{reference}/"),
        rival.get("/api/v1/notifications/"),
        plant.get("/api/v1/notifications/"),
        # errors: a plant awarding before the deadline, a rival asking for the plant's view, a second bid
        plant.post(
            f"/api/v1/lots/{reference}/award/",
            json.dumps({"bid": market["bids"]["bidder"].pk}),
            content_type="application/json",
        ),
        rival.get(f"/api/v1/lots/{reference}/bids/"),
        rival.post(
            f"/api/v1/lots/{reference}/my-bid/",
            json.dumps(
                {"price_per_unit": 1, "quantity": "1", "pickup_date": str(timezone.localdate()), "route": "reuse"}
            ),
            content_type="application/json",
        ),
    ]
    for response in responses:
        assert not _leaks(response.content), (response.request["PATH_INFO"], response.content[:300])
    detail = responses[1].json()
    assert detail["best_price"] is None and detail["award"] is None and detail["my_bid"] is None
    assert responses[3].json()["price_per_unit"] == OTHER_PRICE  # the rival sees its own bid only
    award = responses[9]
    assert award.status_code == 409
    assert award.json()["detail"] == "Sealed bids are opened at the deadline. Close the lot first to open them."
    assert responses[10].status_code == 403
    assert responses[11].status_code == 409  # one live bid per organisation: revise it instead
    lot.refresh_from_db()
    assert lot.status == "open" and lot.bids_opened_at is None


@pytest.mark.django_db
def test_after_the_close_the_plant_sees_the_bids_and_losers_learn_only_the_winning_price(market):
    lot, people = market["lot"], market["people"]
    plant = api_client(token_for(people["plant"]))
    closed = plant.post(f"/api/v1/lots/{lot.reference}/close/", content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    bids = plant.get(f"/api/v1/lots/{lot.reference}/bids/").json()
    assert bids["sealed"] is False
    assert [bid["price_per_unit"] for bid in bids["bids"]] == [SEALED_PRICE, OTHER_PRICE]
    assert bids["bids"][0]["bidder"]["name"] == SEALED_BIDDER

    awarded = plant.post(
        f"/api/v1/lots/{lot.reference}/award/",
        json.dumps({"bid": market["bids"]["bidder"].pk}),
        content_type="application/json",
    )
    assert awarded.status_code == 200, awarded.content
    assert awarded.json()["award"]["winner"]["name"] == SEALED_BIDDER
    assert awarded.json()["award"]["price_per_unit"] == SEALED_PRICE

    rival = api_client(token_for(people["rival"]))
    mine = rival.get("/api/v1/bids/").json()["results"]
    assert mine[0]["status"] == "rejected" and mine[0]["winning_price"] == SEALED_PRICE
    assert SEALED_BIDDER not in rival.get(f"/api/v1/lots/{lot.reference}/").content.decode()
    assert SEALED_BIDDER not in rival.get("/api/v1/notifications/").content.decode()
    assert rival.get(f"/api/v1/lots/{lot.reference}/").json()["award"] is None

    # exactly one award: a second one is refused with the reason
    again = plant.post(
        f"/api/v1/lots/{lot.reference}/award/",
        json.dumps({"bid": market["bids"]["rival"].pk, "reason": "other", "note": "x"}),
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "This lot has been decided already."


@pytest.mark.django_db
def test_money_is_exact_integers_and_decimal_strings_never_floats(market):
    people = market["people"]
    body = api_client(token_for(people["plant"])).get(f"/api/v1/lots/{market['lot'].reference}/").json()
    assert isinstance(body["reserve_price"], int)
    assert body["quantity"] == "50.000"
    floats = []

    def walk(value):
        if isinstance(value, float):
            floats.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for url in ("/api/v1/lots/", f"/api/v1/lots/{market['lot'].reference}/", "/api/v1/catalogue/"):
        walk(api_client(token_for(people["rival"])).get(url).json())
    walk(api_client(token_for(people["official"])).get("/api/v1/dashboard/").json())
    assert floats == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_awarding_a_bid_below_the_best_price_needs_a_reason_as_on_the_web(market, language):
    lot, people = market["lot"], market["people"]
    plant = api_client(token_for(people["plant"]))
    plant.post(f"/api/v1/lots/{lot.reference}/close/", content_type="application/json")
    lower = market["bids"]["rival"].pk
    refused = plant.post(
        f"/api/v1/lots/{lot.reference}/award/",
        json.dumps({"bid": lower}),
        content_type="application/json",
        headers={"accept-language": language},
    )
    assert refused.status_code == 400, refused.content
    expected = {
        "en": "This is not the best price offered: say why you choose it.",
        "id": "Ini bukan harga terbaik yang ditawarkan: sebutkan alasan Anda memilihnya.",
    }
    assert expected[language] in json.dumps(refused.json(), ensure_ascii=False)
    awarded = plant.post(
        f"/api/v1/lots/{lot.reference}/award/",
        json.dumps({"bid": lower, "reason": "better-route"}),
        content_type="application/json",
    )
    assert awarded.status_code == 200, awarded.content
    assert awarded.json()["award"]["price_per_unit"] == OTHER_PRICE


@pytest.mark.django_db
def test_questions_addenda_and_documents_of_a_sealed_lot_keep_it_sealed(market):
    """The sealed bidder asks a question and the plant publishes an addendum that moves the deadline: neither the
    questions, the addenda, the addendum's own answer nor a refused documents request names the sealed bidder
    or its price, and the bids stay sealed."""
    lot, people = market["lot"], market["people"]
    reference = lot.reference
    plant = api_client(token_for(people["plant"]))
    bidder = api_client(token_for(people["bidder"]))
    rival = api_client(token_for(people["rival"]))
    asked = bidder.post(
        f"/api/v1/lots/{reference}/questions/",
        json.dumps({"text": f"Apakah harga {SEALED_PRICE} masuk akal untuk {SEALED_BIDDER}?"}),
        content_type="application/json",
    )
    assert asked.status_code == 201
    # The question's own words are the asker's choice (the form tells them not to name themselves); what the
    # API adds to it names nobody.
    assert set(asked.json()) == {"id", "text", "answer", "asked_at", "answered_at", "answer_edited_at", "mine"}
    added = plant.post(
        f"/api/v1/lots/{reference}/addenda/",
        json.dumps(
            {"text": "Tenggat diperpanjang dua hari.", "closes_at": (lot.closes_at + timedelta(days=2)).isoformat()}
        ),
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    responses = [
        added,
        rival.get(f"/api/v1/lots/{reference}/addenda/"),
        plant.get(f"/api/v1/lots/{reference}/addenda/"),
        rival.get(f"/api/v1/lots/{reference}/documents/"),
        plant.get(f"/api/v1/lots/{reference}/documents/"),
        plant.get(f"/api/v1/lots/{reference}/bids/"),
    ]
    for response in responses:
        assert not _leaks(response.content), (response.request["PATH_INFO"], response.content[:300])
    assert responses[3].status_code == 403 and responses[4].json() == []
    assert responses[5].json()["sealed"] is True
    questions = rival.get(f"/api/v1/lots/{reference}/questions/").json()["results"]
    assert [question["mine"] for question in questions] == [False]
    assert "bidder" not in json.dumps(questions) and "asked_by" not in json.dumps(questions)
    lot.refresh_from_db()
    assert lot.bids_opened_at is None
