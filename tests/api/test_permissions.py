"""The web's permission matrix repeated for the API: each role's token (with every scope its organisation may
give) × each operation, with the status each must get — including who may NOT, with the reason. Every
request is one test (rolled back), so a write that succeeds does not change the next one's world."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api import services
from api.models import ApiWrite
from tests.api.conftest import api_client, token_for
from tests.visibility_world import ROLES

ONLY_PLANT = "Only people of the verified plant that owns this lot can change it."
ONLY_POSTERS = "Only people of a verified plant can post waste lots."
ONLY_PICKUP = "Only the plant or the winning processor records the pickup."
ONLY_PROCESSING = "Only the winning processor records the processing."
ONLY_BIDS = "Only the plant that owns this lot sees its bids."
PLANT_CANNOT_BID = "Only processing businesses can bid."
DECIDED = "This lot has been decided already."
PICKUP_ONCE = "A pickup is recorded once, after the award."
NO_LOTS_SCOPE = "This token does not have the “lots” scope."
NO_BID_SCOPE = "This token does not have the “bid” scope."
NO_HANDOVER_SCOPE = "This token does not have the “handover” scope."
NO_DASHBOARD_SCOPE = "This token does not have the “dashboard” scope."
PARTIES_ONLY = "The documents of a deal are only for the plant, the winning processor, platform staff and officials."
READ_REFUSED = "Questions and answers are for verified processing businesses and the plant that owns the lot."
NOT_OPEN = "This lot is not open for bids."

# Staff have no tokens (tests/api/test_tokens.py): the matrix is every other role.
TOKEN_ROLES = tuple(role for role in ROLES if role != "staff")
PLANT = ("plant_member", "plant_admin")
PROCESSORS = ("processor", "winner", "loser")


def row(default, **by_role):
    return {role: by_role.get(role, default) for role in TOKEN_ROLES}


def lot_data(world=None):
    day = timezone.localdate() + timedelta(days=1)
    return {
        "title": "Slag dari API",
        "category": "steel-slag",
        "description": "Dari sistem ERP.",
        "physical_form": "solid",
        "packaging": "bulk",
        "quantity": "120.5",
        "unit": "t",
        "site_address": "Jl. Industri 2",
        "site_kecamatan": "ciwandan",
        "available_from": day.isoformat(),
        "closes_at": (timezone.now() + timedelta(days=5)).isoformat(),
        "bidding_mode": "sealed",
        "reserve_price": -400000,
    }


def offer(world=None):
    return {
        "price_per_unit": 150000,
        "quantity": "10",
        "pickup_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "route": "recycling",
    }


PICKUP = {
    "pickup_date": timezone.localdate().isoformat(),
    "carrier": "PT Angkut",
    "vehicle": "A 1 B",
    "manifest_number": "M-1",
    "quantity_sent": "1",
}

# (label, method, url (from the world), body, expected {role: status or (status, reason)})
OPERATIONS = [
    ("me", "get", lambda w: "/api/v1/me/", None, row(200, visitor=401)),
    ("catalogue", "get", lambda w: "/api/v1/catalogue/", None, row(200, visitor=401)),
    ("browse", "get", lambda w: "/api/v1/lots/", None, row(200, visitor=401)),
    ("open lot", "get", lambda w: f"/api/v1/lots/{w.lots['open'].reference}/", None, row(200, visitor=401)),
    ("deal lot", "get", lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/", None, row(200, visitor=401)),
    (
        "draft lot",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['draft'].reference}/",
        None,
        row(404, visitor=401, plant_member=200, plant_admin=200),
    ),
    (
        "my lots",
        "get",
        lambda w: "/api/v1/my/lots/",
        None,
        row(403, visitor=401, plant_member=200, plant_admin=200, other_plant=200),
    ),
    (
        "my bids",
        "get",
        lambda w: "/api/v1/bids/",
        None,
        row(403, visitor=401, unverified=200, processor=200, winner=200, loser=200),
    ),
    (
        "a lot's bids",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/bids/",
        None,
        row((403, ONLY_BIDS), visitor=401, plant_member=200, plant_admin=200),
    ),
    (
        "a draft's bids",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['draft'].reference}/bids/",
        None,
        row(404, visitor=401, plant_member=200, plant_admin=200),
    ),
    ("notifications", "get", lambda w: "/api/v1/notifications/", None, row(200, visitor=401)),
    ("mark read", "post", lambda w: "/api/v1/notifications/read/", {}, row(200, visitor=401)),
    (
        "dashboard",
        "get",
        lambda w: "/api/v1/dashboard/",
        None,
        row((403, NO_DASHBOARD_SCOPE), visitor=401, official=200),
    ),
    (
        "create a lot",
        "post",
        lambda w: "/api/v1/lots/",
        lot_data,
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=201, plant_admin=201, other_plant=201),
    ),
    (
        "publish a draft",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['draft'].reference}/publish/",
        {},
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=200, plant_admin=200, other_plant=404),
    ),
    (
        "edit an open lot",
        "patch",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/",
        {"description": "Lebih banyak rincian."},
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=200, plant_admin=200, other_plant=(403, ONLY_PLANT)),
    ),
    (
        "close an open lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/close/",
        {},
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=200, plant_admin=200, other_plant=(403, ONLY_PLANT)),
    ),
    (
        "cancel an open lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/cancel/",
        {"reason": "Tidak jadi."},
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=200, plant_admin=200, other_plant=(403, ONLY_PLANT)),
    ),
    (
        "bid on an open lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/my-bid/",
        offer,
        row((403, NO_BID_SCOPE), visitor=401, processor=201, winner=201, loser=201),
    ),
    (
        "award a decided lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/award/",
        lambda w: {"bid": w.lots["deal"].bids.exclude(award__isnull=False).first().pk, "reason": "other", "note": "x"},
        row(
            (403, NO_LOTS_SCOPE),
            visitor=401,
            plant_member=(409, DECIDED),
            plant_admin=(409, DECIDED),
            other_plant=(403, ONLY_PLANT),
        ),
    ),
    (
        "close a decided lot unawarded",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/close-unawarded/",
        {"reason": "x"},
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=409, plant_admin=409, other_plant=(403, ONLY_PLANT)),
    ),
    (
        "record a pickup",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/pickup/",
        PICKUP,
        row(
            (403, ONLY_PICKUP),
            visitor=401,
            unverified=(403, NO_HANDOVER_SCOPE),
            official=(403, NO_HANDOVER_SCOPE),
            plant_member=(409, PICKUP_ONCE),
            plant_admin=(409, PICKUP_ONCE),
            winner=(409, PICKUP_ONCE),
        ),
    ),
    (
        "record processing",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/processing/",
        None,  # multipart without a proof: refused by role before the form
        row(
            (403, ONLY_PROCESSING),
            visitor=401,
            unverified=(403, NO_HANDOVER_SCOPE),
            official=(403, NO_HANDOVER_SCOPE),
            winner=400,
        ),
    ),
]


def award_letter_pdf(w):
    document = w.lots["deal"].documents.get(kind="award-letter", status="valid")
    return f"/api/v1/lots/{w.lots['deal'].reference}/documents/{document.number}/pdf/"


DEAL_PARTIES = row((403, PARTIES_ONLY), visitor=401, plant_member=200, plant_admin=200, winner=200, official=200)
QUESTION_READERS = row(
    (403, READ_REFUSED),
    visitor=401,
    plant_member=200,
    plant_admin=200,
    processor=200,
    winner=200,
    loser=200,
    official=200,
)
QUESTION = {"text": "Berapa kadar air rata-rata per bulan?"}

# Documents, questions and answers, addenda (issue 15): the web's rules through a token.
OPERATIONS += [
    ("a deal's documents", "get", lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/documents/", None, DEAL_PARTIES),
    ("a document's PDF", "get", award_letter_pdf, None, DEAL_PARTIES),
    (
        "a draft's documents",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['draft'].reference}/documents/",
        None,
        row(404, visitor=401, plant_member=200, plant_admin=200),
    ),
    ("questions", "get", lambda w: f"/api/v1/lots/{w.lots['open'].reference}/questions/", None, QUESTION_READERS),
    (
        "a deal's questions",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/questions/",
        None,
        QUESTION_READERS,
    ),
    (
        "a draft's questions",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['draft'].reference}/questions/",
        None,
        row(404, visitor=401, plant_member=200, plant_admin=200),
    ),
    (
        "ask on an open lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/questions/",
        QUESTION,
        row((403, NO_BID_SCOPE), visitor=401, processor=201, winner=201, loser=201),
    ),
    (
        "ask on a decided lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/questions/",
        QUESTION,
        row((403, NO_BID_SCOPE), visitor=401, processor=(403, NOT_OPEN), winner=(403, NOT_OPEN), loser=(403, NOT_OPEN)),
    ),
    (
        "answer a question",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/questions/{w.objects['question'].pk}/answer/",
        {"answer": "Ya, 3 persen; diuji bulan lalu."},
        row(
            (403, NO_LOTS_SCOPE),
            visitor=401,
            plant_member=200,
            plant_admin=200,
            other_plant=(403, READ_REFUSED),
        ),
    ),
    ("addenda", "get", lambda w: f"/api/v1/lots/{w.lots['open'].reference}/addenda/", None, row(200, visitor=401)),
    (
        "a draft's addenda",
        "get",
        lambda w: f"/api/v1/lots/{w.lots['draft'].reference}/addenda/",
        None,
        row(404, visitor=401, plant_member=200, plant_admin=200),
    ),
    (
        "publish an addendum",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['open'].reference}/addenda/",
        {"text": "Kemasan berubah menjadi jumbo bag."},
        row((403, NO_LOTS_SCOPE), visitor=401, plant_member=201, plant_admin=201, other_plant=(403, ONLY_PLANT)),
    ),
    (
        "publish an addendum on a decided lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/addenda/",
        {"text": "Kemasan berubah menjadi jumbo bag."},
        row(
            (403, NO_LOTS_SCOPE),
            visitor=401,
            plant_member=(403, "An addendum can be published only while the lot is open for bids."),
            plant_admin=(403, "An addendum can be published only while the lot is open for bids."),
            other_plant=(403, ONLY_PLANT),
        ),
    ),
]


def deal_contract(w, tail="periods/"):
    deal = w.lots["deal"]
    return f"/api/v1/lots/{deal.reference}/contracts/{deal.awards.get().pk}/{tail}"


CONTRACT_PARTIES_ONLY = (
    "A contract's periods are only for the plant, the contract's processor, platform staff and officials."
)
ONLY_END = "Only the plant or the processor of this contract can end it."
ONE_OFF_NO_END = "A one-off lot has no contract term to end."

# Contracts (issue 14): the deal lot's only contract, its period (the stream shared between processors is
# tests/api/test_contracts.py's).
OPERATIONS += [
    (
        "a contract's periods",
        "get",
        deal_contract,
        None,
        row((403, CONTRACT_PARTIES_ONLY), visitor=401, plant_member=200, plant_admin=200, winner=200, official=200),
    ),
    (
        "a period's pickup",
        "post",
        lambda w: deal_contract(w, "periods/1/pickup/"),
        PICKUP,
        row(
            (403, ONLY_PICKUP),
            visitor=401,
            unverified=(403, NO_HANDOVER_SCOPE),
            official=(403, NO_HANDOVER_SCOPE),
            plant_member=(409, PICKUP_ONCE),
            plant_admin=(409, PICKUP_ONCE),
            winner=(409, PICKUP_ONCE),
        ),
    ),
    (
        "a period's processing",
        "post",
        lambda w: deal_contract(w, "periods/1/processing/"),
        None,  # multipart without a proof: refused by role before the form
        row(
            (403, ONLY_PROCESSING),
            visitor=401,
            unverified=(403, NO_HANDOVER_SCOPE),
            official=(403, NO_HANDOVER_SCOPE),
            winner=400,
        ),
    ),
    (
        "end a one-off lot's contract",
        "post",
        lambda w: deal_contract(w, "end/"),
        {"reason": "Tidak jadi."},
        row(
            (403, ONLY_END),
            visitor=401,
            unverified=(403, NO_HANDOVER_SCOPE),
            official=(403, NO_HANDOVER_SCOPE),
            plant_member=(409, ONE_OFF_NO_END),
            plant_admin=(409, ONE_OFF_NO_END),
            winner=(409, ONE_OFF_NO_END),
        ),
    ),
    (
        "stop awarding shares of a one-off lot",
        "post",
        lambda w: f"/api/v1/lots/{w.lots['deal'].reference}/awarding-finish/",
        {},
        row(
            (403, NO_LOTS_SCOPE),
            visitor=401,
            plant_member=(409, "Only a recurring stream that has been awarded can stop awarding shares."),
            plant_admin=(409, "Only a recurring stream that has been awarded can stop awarding shares."),
            other_plant=(403, ONLY_PLANT),
        ),
    ),
]


def expected_for(expected, role):
    value = expected[role]
    return value if isinstance(value, tuple) else (value, None)


@pytest.mark.django_db
@pytest.mark.parametrize("role", TOKEN_ROLES)
@pytest.mark.parametrize(("label", "method", "url", "body", "expected"), OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_each_role_token_gets_what_the_web_gives(world, role, label, method, url, body, expected):
    person = world.person(role)
    client = api_client(token_for(person) if person else None)
    data = body(world) if callable(body) else body
    kwargs = {}
    if data is not None and method != "get":
        kwargs = {"data": json.dumps(data), "content_type": "application/json"}
    response = getattr(client, method)(url(world), **kwargs)
    status, reason = expected_for(expected, role)
    assert response.status_code == status, (label, role, response.status_code, response.content[:400])
    assert response["Cache-Control"] == "private, no-store" or "no-store" in response["Cache-Control"]
    if status >= 400:
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["title"] and problem["type"] and problem["detail"]
        if reason:
            assert problem["detail"] == reason
    if method != "get" and person is not None:
        # Every write made with a token is on record with the token, accepted or refused.
        assert ApiWrite.objects.filter(token__created_by=person, path=url(world), status=status).exists()


@pytest.mark.django_db
def test_unverified_organisations_get_read_only_tokens(world):
    organisation = world.organisations["unverified"]
    assert services.allowed_scopes(organisation) == ("read",)
    with pytest.raises(Exception, match="cannot give a token these scopes: bid"):
        services.token_create(
            organisation=organisation, acting_user=world.people["unverified"], name="x", scopes=["read", "bid"]
        )


@pytest.mark.django_db
def test_a_plant_token_cannot_bid_even_with_every_scope_a_plant_may_have(world):
    """The scopes a plant may give never include bidding; and the service refuses a plant's bid regardless."""
    secret = token_for(world.people["plant_admin"])
    response = api_client(secret).post(
        f"/api/v1/lots/{world.lots['open'].reference}/my-bid/", json.dumps(offer()), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == NO_BID_SCOPE
