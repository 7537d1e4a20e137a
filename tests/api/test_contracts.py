"""Contracts through the API, on a recurring stream shared between processors A (60 t per month) and B (40 t):
the lot's `awards` per viewer (a processor never learns the other winner), a contract's periods with their
handovers, each period's pickup and processing, ending a contract early, awarding shares — who may, and who
may NOT, with the reasons; and every answer as the schema says."""

import json
import tempfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery
from listings import services
from listings.models import Bid
from listings.services import BidOffer
from members.models import Event
from tests.api.conftest import api_client, token_for
from tests.api.test_contract import CHECKS, in_process_requests, schema  # noqa: F401 - the fixture is used
from tests.contracts_world import (
    A_NAME,
    A_RECEIVED_1,
    A_SENT_1,
    A_SENT_2,
    B_NAME,
    B_SENT_1,
    PDF,
    PRICE_A,
    SHARE_A,
    SHARE_B,
    build_shared_stream,
)
from tests.factories import LotFactory
from wastex.wsgi import application

pytestmark = pytest.mark.django_db

ONLY_PICKUP = "Only the plant or the winning processor records the pickup."
ONLY_PROCESSING = "Only the winning processor records the processing."
ONLY_END = "Only the plant or the processor of this contract can end it."
CONTRACT_PARTIES_ONLY = (
    "A contract's periods are only for the plant, the contract's processor, platform staff and officials."
)
NO_HANDOVER_SCOPE = "This token does not have the “handover” scope."


@pytest.fixture(scope="module")
def stream(django_db_setup, django_db_blocker):
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_shared_stream()
        transaction.set_rollback(True)


def client(stream, side: str):
    return api_client(token_for(stream.people[side]))


def lot_url(stream) -> str:
    return f"/api/v1/lots/{stream.lot.reference}/"


def contract_url(stream, side: str, tail: str = "periods/") -> str:
    return f"{lot_url(stream)}contracts/{stream.awards[side].pk}/{tail}"


def post_json(api, url: str, body: dict):
    return api.post(url, json.dumps(body), content_type="application/json")


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


PICKUP = {"carrier": "PT Angkut Periode", "vehicle": "A 3333 CC", "quantity_sent": "41.5"}


def pickup_today() -> dict:
    return {**PICKUP, "pickup_date": timezone.localdate().isoformat()}


# --- The lot's contracts, per viewer ---------------------------------------------------------------------------


def test_the_plant_sees_each_contract_with_its_processor_and_progress(stream):
    body = client(stream, "plant").get(lot_url(stream)).json()
    assert body["award"] is None and body["handover"] is None  # a stream shared among processors: see `awards`
    a, b = body["awards"]
    assert (a["id"], b["id"]) == (stream.awards["a"].pk, stream.awards["b"].pk)
    assert a["bidder"]["name"] == A_NAME and b["bidder"]["name"] == B_NAME
    assert (a["quantity"], b["quantity"]) == (f"{SHARE_A:.3f}", f"{SHARE_B:.3f}")
    assert a["per_period"] is True and a["price_per_unit"] == PRICE_A and a["mine"] is False
    assert (a["periods"], a["pickups"], a["processed"]) == (6, 2, 1)
    assert (b["periods"], b["pickups"], b["processed"]) == (6, 1, 0)
    assert Decimal(a["delivered"]) == A_SENT_1 + A_SENT_2 and Decimal(b["delivered"]) == B_SENT_1
    assert a["periods_url"] == contract_url(stream, "a") and a["ended_at"] is None and a["end_reason"] == ""


@pytest.mark.parametrize(
    ("side", "other", "own_name", "other_name"), [("a", "b", A_NAME, B_NAME), ("b", "a", B_NAME, A_NAME)]
)
def test_a_processor_sharing_the_stream_never_learns_the_other_winner(stream, side, other, own_name, other_name):
    response = client(stream, side).get(lot_url(stream))
    assert response.status_code == 200
    contracts = {contract["id"]: contract for contract in response.json()["awards"]}
    own, others = contracts[stream.awards[side].pk], contracts[stream.awards[other].pk]
    assert own["mine"] is True and own["bidder"]["name"] == own_name and own["periods_url"]
    assert others["mine"] is False
    assert others["bidder"] is None and others["reason"] is None and others["end_reason"] is None
    assert others["periods_url"] is None
    body = response.content.decode()
    assert other_name not in body and stream.organisations[other].slug not in body


def test_officials_see_every_contract(stream):
    contracts = client(stream, "official").get(lot_url(stream)).json()["awards"]
    assert [contract["bidder"]["name"] for contract in contracts] == [A_NAME, B_NAME]


@pytest.mark.parametrize("side", ["c", "outsider", "other_plant"])
def test_others_see_no_contract(stream, side):
    response = client(stream, side).get(lot_url(stream))
    assert response.status_code == 200 and response.json()["awards"] == []
    assert A_NAME not in response.content.decode() and B_NAME not in response.content.decode()


# --- A contract's periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["plant", "a", "official"])
def test_the_contracts_parties_read_its_periods_with_their_handovers(stream, side):
    response = client(stream, side).get(contract_url(stream, "a"))
    assert response.status_code == 200, response.content[:400]
    body = response.json()
    assert body["contract"]["id"] == stream.awards["a"].pk and body["contract"]["bidder"]["name"] == A_NAME
    periods = body["periods"]
    assert [period["number"] for period in periods] == [1, 2, 3, 4, 5, 6]
    assert [period["state"] for period in periods] == ["processed", "picked_up"] + ["upcoming"] * 4
    first, second = periods[0]["handover"], periods[1]["handover"]
    assert Decimal(first["quantity_sent"]) == A_SENT_1 and Decimal(first["quantity_received"]) == A_RECEIVED_1
    assert Decimal(second["quantity_sent"]) == A_SENT_2 and second["quantity_received"] is None
    assert periods[2]["handover"] is None and periods[0]["ends_on"] < periods[1]["starts_on"]


@pytest.mark.parametrize(
    ("side", "contract"), [("a", "b"), ("b", "a"), ("c", "a"), ("outsider", "b"), ("other_plant", "a")]
)
def test_who_may_not_read_a_contracts_periods(stream, side, contract):
    response = client(stream, side).get(contract_url(stream, contract))
    assert problem(response, 403)["detail"] == CONTRACT_PARTIES_ONLY
    assert (B_NAME if contract == "b" else A_NAME) not in response.content.decode()


def test_a_contract_of_another_lot_or_unknown_is_not_found(stream):
    plant = client(stream, "plant")
    other_lot = LotFactory(plant=stream.organisations["plant"])
    problem(plant.get(f"/api/v1/lots/{other_lot.reference}/contracts/{stream.awards['a'].pk}/periods/"), 404)
    problem(plant.get(f"{lot_url(stream)}contracts/999999/periods/"), 404)
    problem(plant.get(f"/api/v1/lots/WX-1999-00001/contracts/{stream.awards['a'].pk}/periods/"), 404)
    problem(plant.post(contract_url(stream, "a", "periods/99/pickup/"), pickup_today()), 404)


# --- A period's pickup and processing ------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["plant", "b"])
def test_the_plant_or_the_contracts_processor_records_a_periods_pickup(stream, side):
    response = post_json(client(stream, side), contract_url(stream, "b", "periods/2/pickup/"), pickup_today())
    assert response.status_code == 200, response.content[:400]
    period = response.json()
    assert period["number"] == 2 and period["state"] == "picked_up"
    assert period["handover"]["quantity_sent"] == "41.500" and period["handover"]["carrier"] == "PT Angkut Periode"
    assert stream.period("b", 2).handover.quantity_sent == Decimal("41.5")


@pytest.mark.parametrize(
    ("side", "status", "detail"),
    [
        ("a", 403, ONLY_PICKUP),
        ("c", 403, ONLY_PICKUP),
        ("outsider", 403, ONLY_PICKUP),
        ("official", 403, NO_HANDOVER_SCOPE),
    ],
)
def test_who_may_not_record_a_periods_pickup(stream, side, status, detail):
    response = post_json(client(stream, side), contract_url(stream, "b", "periods/2/pickup/"), pickup_today())
    assert problem(response, status)["detail"] == detail
    assert not hasattr(stream.period("b", 2), "handover") or stream.period("b", 2).handover is None


def test_a_pickup_is_refused_before_its_period_twice_and_with_bad_input(stream):
    api = client(stream, "plant")
    early = post_json(api, contract_url(stream, "a", "periods/3/pickup/"), pickup_today())
    assert problem(early, 409)["detail"].startswith("This period starts on")
    twice = post_json(api, contract_url(stream, "a", "periods/1/pickup/"), pickup_today())
    assert problem(twice, 409)["detail"] == "A pickup is recorded once, after the award."
    invalid = post_json(api, contract_url(stream, "b", "periods/2/pickup/"), {"carrier": "x"})
    assert set(problem(invalid, 400)["errors"]) >= {"pickup_date", "vehicle", "quantity_sent"}
    future = {**pickup_today(), "pickup_date": (timezone.localdate() + timedelta(days=2)).isoformat()}
    assert (
        "pickup_date" in problem(post_json(api, contract_url(stream, "b", "periods/2/pickup/"), future), 400)["errors"]
    )


def processing_body(quantity="39.5"):
    return {
        "quantity_received": quantity,
        "route_used": "recycling",
        "proof": SimpleUploadedFile("bukti.pdf", PDF, content_type="application/pdf"),
    }


def test_the_contracts_processor_records_a_periods_processing(stream):
    response = client(stream, "b").post(contract_url(stream, "b", "periods/1/processing/"), processing_body())
    assert response.status_code == 200, response.content[:400]
    period = response.json()
    assert period["state"] == "processed" and period["handover"]["quantity_received"] == "39.500"


@pytest.mark.parametrize(
    ("side", "status", "detail"),
    [
        ("plant", 403, ONLY_PROCESSING),
        ("a", 403, ONLY_PROCESSING),
        ("c", 403, ONLY_PROCESSING),
        ("official", 403, NO_HANDOVER_SCOPE),
    ],
)
def test_who_may_not_record_a_periods_processing(stream, side, status, detail):
    response = client(stream, side).post(contract_url(stream, "b", "periods/1/processing/"), processing_body())
    assert problem(response, status)["detail"] == detail


def test_processing_is_refused_twice_before_the_pickup_and_with_bad_input(stream):
    api = client(stream, "a")
    twice = api.post(contract_url(stream, "a", "periods/1/processing/"), processing_body())
    assert problem(twice, 409)["detail"] == "This period's processing is recorded already."
    before = api.post(contract_url(stream, "a", "periods/3/processing/"), processing_body())
    assert problem(before, 409)["detail"] == "Processing is recorded after the pickup, before the plant confirms."
    invalid = api.post(contract_url(stream, "a", "periods/2/processing/"), {"quantity_received": "-1"})
    assert set(problem(invalid, 400)["errors"]) >= {"quantity_received", "route_used", "proof"}


# --- Ending a contract early --------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["plant", "b"])
def test_either_side_ends_a_contract_early_with_a_reason(stream, side):
    response = post_json(client(stream, side), contract_url(stream, "b", "end/"), {"reason": "Armada tidak tersedia."})
    assert response.status_code == 200, response.content[:400]
    contract = response.json()
    assert contract["id"] == stream.awards["b"].pk and contract["ended_at"]
    assert contract["end_reason"] == "Armada tidak tersedia."
    # The other processor sees that it ended, not why (the reason may name the processor).
    other = next(c for c in client(stream, "a").get(lot_url(stream)).json()["awards"] if c["id"] == contract["id"])
    assert other["ended_at"] == contract["ended_at"] and other["end_reason"] is None
    # The period under way stays due; the later ones are not.
    states = [period["state"] for period in client(stream, "plant").get(contract_url(stream, "b")).json()["periods"]]
    assert states == ["picked_up", "due"] + ["not_due"] * 4
    later = post_json(client(stream, "plant"), contract_url(stream, "b", "periods/3/pickup/"), pickup_today())
    assert problem(later, 409)["detail"] == "This contract was ended early: its later periods are not due."
    assert (
        post_json(client(stream, "b"), contract_url(stream, "b", "periods/2/pickup/"), pickup_today()).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("side", "status", "detail"),
    [("a", 403, ONLY_END), ("c", 403, ONLY_END), ("other_plant", 403, ONLY_END), ("official", 403, NO_HANDOVER_SCOPE)],
)
def test_who_may_not_end_a_contract(stream, side, status, detail):
    response = post_json(client(stream, side), contract_url(stream, "b", "end/"), {"reason": "Tidak cocok."})
    assert problem(response, status)["detail"] == detail
    stream.awards["b"].refresh_from_db()
    assert stream.awards["b"].ended_at is None


def test_ending_needs_a_reason_and_happens_once(stream):
    api = client(stream, "plant")
    assert "reason" in problem(post_json(api, contract_url(stream, "a", "end/"), {"reason": "  "}), 400)["errors"]
    assert "reason" in problem(post_json(api, contract_url(stream, "a", "end/"), {"reason": "x" * 2001}), 400)["errors"]
    assert post_json(api, contract_url(stream, "a", "end/"), {"reason": "Selesai lebih awal."}).status_code == 200
    again = post_json(api, contract_url(stream, "a", "end/"), {"reason": "Lagi."})
    assert problem(again, 409)["detail"] == "This contract has ended already."


# --- Awarding shares ---------------------------------------------------------------------------------------------


def new_stream_with_bids(stream, *, recurring=True):
    extra = {"is_recurring": True, "frequency": "weekly", "quantity_per_period": Decimal("20"), "contract_months": 2}
    lot = LotFactory(
        plant=stream.organisations["plant"],
        bidding_mode="open",
        quantity=Decimal("200"),
        **(extra if recurring else {}),
    )
    bids = {}
    for side, price, quantity in (("a", 150_000, "15"), ("b", 140_000, "12"), ("c", 130_000, "9")):
        bids[side] = services.bid_place(
            lot=lot,
            acting_user=stream.people[side],
            offer=BidOffer(
                price_per_unit=price, quantity=Decimal(quantity), pickup_date=timezone.localdate(), route="recycling"
            ),
        )
    return lot, bids


def test_the_plant_awards_shares_of_a_stream_then_stops(stream):
    lot, bids = new_stream_with_bids(stream)
    api = client(stream, "plant")
    url = f"/api/v1/lots/{lot.reference}/award/"
    response = post_json(api, url, {"bid": bids["a"].pk, "quantity": "12.5"})
    assert response.status_code == 200, response.content[:400]
    [contract] = response.json()["awards"]
    assert contract["quantity"] == "12.500" and contract["periods"] == 9 and contract["bidder"]["name"] == A_NAME
    # The second share: B's is now the best live price, so no reason is needed.
    response = post_json(api, url, {"bid": bids["b"].pk, "quantity": 7.5})
    assert response.status_code == 200, response.content[:400]
    assert [c["quantity"] for c in response.json()["awards"]] == ["12.500", "7.500"]
    # Nothing is left to share: C's bid was not chosen.
    bids["c"].refresh_from_db()
    assert bids["c"].status == Bid.Status.REJECTED


@pytest.mark.parametrize(
    ("quantity", "field_error"),
    [
        ("16", "This bid offered"),  # more than the bid offered (15 t)
        ("0", "A share must be more than zero."),
        ("-3", "A share must be more than zero."),
        ("abc", "Enter a number."),
        ("1.2345", "Ensure that there are no more than 3 decimal places."),
        ("1e40", "Ensure that there are no more than 12 digits in total."),
        ([1], "Give one value, not a list or an object."),
    ],
)
def test_a_bad_share_is_refused_as_invalid_input(stream, quantity, field_error):
    lot, bids = new_stream_with_bids(stream)
    response = post_json(
        client(stream, "plant"), f"/api/v1/lots/{lot.reference}/award/", {"bid": bids["a"].pk, "quantity": quantity}
    )
    assert problem(response, 400)["errors"]["quantity"][0].startswith(field_error)
    assert not lot.awards.exists()


def test_a_share_beyond_what_is_left_is_refused(stream):
    lot, bids = new_stream_with_bids(stream)
    api = client(stream, "plant")
    url = f"/api/v1/lots/{lot.reference}/award/"
    assert post_json(api, url, {"bid": bids["a"].pk, "quantity": "15"}).status_code == 200
    response = post_json(api, url, {"bid": bids["b"].pk, "quantity": "6"})
    assert problem(response, 400)["errors"]["quantity"][0].startswith("Only 5")


def test_a_share_is_not_for_a_one_off_lot(stream):
    lot, bids = new_stream_with_bids(stream, recurring=False)
    response = post_json(
        client(stream, "plant"), f"/api/v1/lots/{lot.reference}/award/", {"bid": bids["a"].pk, "quantity": "5"}
    )
    assert problem(response, 400)["errors"]["quantity"] == [
        "A share per period is for a recurring stream: leave it out."
    ]
    # Without it, the one-off lot is awarded whole, as before: its `award` and one contract.
    response = post_json(client(stream, "plant"), f"/api/v1/lots/{lot.reference}/award/", {"bid": bids["a"].pk})
    body = response.json()
    assert response.status_code == 200 and body["award"]["winner"]["name"] == A_NAME
    assert [(c["per_period"], c["periods"]) for c in body["awards"]] == [(False, 1)]


def test_awarding_finish_stops_the_shares_and_only_the_plant_may(stream):
    lot, bids = new_stream_with_bids(stream)
    api = client(stream, "plant")
    assert (
        post_json(api, f"/api/v1/lots/{lot.reference}/award/", {"bid": bids["a"].pk, "quantity": "5"}).status_code
        == 200
    )
    refused = post_json(client(stream, "a"), f"/api/v1/lots/{lot.reference}/awarding-finish/", {})
    assert problem(refused, 403)["detail"] == "This token does not have the “lots” scope."
    refused = post_json(client(stream, "other_plant"), f"/api/v1/lots/{lot.reference}/awarding-finish/", {})
    problem(refused, 403)
    response = post_json(api, f"/api/v1/lots/{lot.reference}/awarding-finish/", {})
    assert response.status_code == 200
    assert set(lot.bids.exclude(pk=bids["a"].pk).values_list("status", flat=True)) == {Bid.Status.REJECTED}
    again = post_json(api, f"/api/v1/lots/{lot.reference}/awarding-finish/", {})
    assert problem(again, 409)["detail"] == "No bid is waiting: awarding is already finished."


# --- Webhooks: a period's pickup reaches the plant and that contract's processor only ---------------------------


@pytest.mark.parametrize(
    ("event", "key_of", "expected"),
    [
        (
            Event.PICKUP_RECORDED,
            lambda s: s.period("b", 1).handover.pk,
            lambda s: {"id": s.awards["b"].pk, "period": 1},
        ),
        (
            Event.PROCESSING_RECORDED,
            lambda s: s.period("b", 1).handover.pk,
            lambda s: {"id": s.awards["b"].pk, "period": 1},
        ),
        (Event.PERIOD_MISSED, lambda s: s.period("b", 3).pk, lambda s: {"id": s.awards["b"].pk, "period": 3}),
        (Event.CONTRACT_ENDED, lambda s: s.awards["b"].pk, lambda s: {"id": s.awards["b"].pk}),
    ],
)
def test_a_contracts_event_is_told_to_the_plant_and_that_contracts_processor_only(stream, event, key_of, expected):
    subscriptions = {
        side: webhooks.subscription_create(
            organisation=stream.organisations[side],
            acting_user=stream.people[side],
            url="http://127.0.0.1:9/hook",
            events=[event],
        ).subscription
        for side in ("plant", "a", "b")
    }
    key = f"{event}:{key_of(stream)}"
    params = {"reference": stream.lot.reference, "title": stream.lot.title, "reason": "Armada Beta rusak"}
    # Told to no one's people (e.g. the one who recorded it was their only person): both sides still hear of it.
    assert webhooks.on_notification(event, key, [], params) == 2
    deliveries = WebhookDelivery.objects.filter(key=key)
    assert {d.subscription_id for d in deliveries} == {subscriptions["plant"].pk, subscriptions["b"].pk}
    for delivery in deliveries:
        assert delivery.payload["type"] == event
        assert delivery.payload["data"]["contract"] == expected(stream)
        body = json.dumps(delivery.payload)
        assert B_NAME not in body and str(PRICE_A) not in body and "Armada" not in body


def test_a_one_off_lots_pickup_event_is_as_before(stream):
    lot, bids = new_stream_with_bids(stream, recurring=False)
    award = services.lot_award(lot=lot, bid=bids["a"], acting_user=stream.people["plant"])
    lot.refresh_from_db()
    handover = services.pickup_record(
        lot=lot,
        acting_user=stream.people["plant"],
        pickup_date=timezone.localdate(),
        carrier="X",
        vehicle="Y",
        manifest_number="",
        quantity_sent=Decimal("5"),
    )
    subscription = webhooks.subscription_create(
        organisation=stream.organisations["a"],
        acting_user=stream.people["a"],
        url="http://127.0.0.1:9/hook",
        events=["pickup_recorded"],
    ).subscription
    key = f"pickup_recorded:{handover.pk}"
    assert webhooks.on_notification(Event.PICKUP_RECORDED, key, [], {"reference": lot.reference}) == 1
    delivery = WebhookDelivery.objects.get(key=key)
    assert delivery.subscription == subscription and award.bid.bidder == stream.organisations["a"]
    assert set(delivery.payload["data"]) == {"lot"}


# --- Every answer as the schema says, with real data -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "side", "parameters", "status"),
    [
        ("GET", "/api/v1/lots/{reference}/", "a", lambda s: {"reference": s.lot.reference}, 200),
        ("GET", "/api/v1/lots/{reference}/", "plant", lambda s: {"reference": s.lot.reference}, 200),
        (
            "GET",
            "/api/v1/lots/{reference}/contracts/{id}/periods/",
            "plant",
            lambda s: {"reference": s.lot.reference, "id": s.awards["a"].pk},
            200,
        ),
        (
            "GET",
            "/api/v1/lots/{reference}/contracts/{id}/periods/",
            "a",
            lambda s: {"reference": s.lot.reference, "id": s.awards["b"].pk},
            403,
        ),
    ],
)
def test_contract_answers_keep_the_schema(stream, in_process_requests, method, path, side, parameters, status):  # noqa: F811
    case = schema[path][method].Case(path_parameters=parameters(stream))
    response = case.call(
        app=application,
        headers={"Authorization": f"Bearer {token_for(stream.people[side])}", "Accept-Encoding": "identity"},
    )
    assert response.status_code == status, response.content[:400]
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize(
    ("path", "side", "body", "status"),
    [
        ("/api/v1/lots/{reference}/contracts/{id}/periods/{number}/pickup/", "b", pickup_today, 200),
        ("/api/v1/lots/{reference}/contracts/{id}/end/", "b", lambda: {"reason": "Tidak cocok lagi."}, 200),
        ("/api/v1/lots/{reference}/contracts/{id}/end/", "a", lambda: {"reason": "Bukan milik saya."}, 403),
    ],
)
def test_contract_writes_keep_the_schema(stream, in_process_requests, path, side, body, status):  # noqa: F811
    parameters = {"reference": stream.lot.reference, "id": stream.awards["b"].pk}
    if "{number}" in path:
        parameters["number"] = 2
    case = schema[path]["POST"].Case(path_parameters=parameters, body=body(), media_type="application/json")
    response = case.call(
        app=application,
        headers={"Authorization": f"Bearer {token_for(stream.people[side])}", "Accept-Encoding": "identity"},
    )
    assert response.status_code == status, response.content[:400]
    case.validate_response(response, checks=CHECKS)


# --- Documents: each processor its own contract's -----------------------------------------------------------------


@pytest.mark.parametrize(("side", "other"), [("a", "b"), ("b", "a")])
def test_a_processor_lists_and_downloads_only_its_own_contracts_documents(stream, side, other):
    api = client(stream, side)
    response = api.get(f"{lot_url(stream)}documents/")
    assert response.status_code == 200
    listed = response.json()
    own = stream.awards[side]
    assert listed and {item["contract"] for item in listed} == {own.pk}
    assert sorted((item["kind"], item["period"]) for item in listed if item["kind"] != "processing-certificate") == (
        [("award-letter", None), ("handover-record", 1), ("handover-record", 2)]
        if side == "a"
        else [("award-letter", None), ("handover-record", 1)]
    )
    for document in stream.awards[other].documents.all():
        assert document.number not in response.content.decode()
        problem(api.get(f"{lot_url(stream)}documents/{document.number}/pdf/"), 404)
    plant = client(stream, "plant").get(f"{lot_url(stream)}documents/").json()
    assert {item["contract"] for item in plant} == {stream.awards["a"].pk, stream.awards["b"].pk}
