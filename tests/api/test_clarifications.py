"""Questions and answers and addenda through the API: the web's rules, limits and messages (listings'
clarification forms and services), refusals as problem details, and never who asked a question."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings import clarifications
from listings.models import LotAddendum, LotQuestion, WasteLot
from tests.api.conftest import api_client, token_for
from tests.visibility_world import NAMES, WINNER_EMAIL_DOMAIN, WINNER_ORGANISATION, WINNER_SLUG

READERS = ("plant_member", "plant_admin", "processor", "winner", "loser", "official")


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def fresh(world, key="open") -> WasteLot:
    """The lot as the database has it now (the world's objects are shared by the module's tests)."""
    return WasteLot.objects.get(pk=world.lots[key].pk)


def questions_url(lot) -> str:
    return f"/api/v1/lots/{lot.reference}/questions/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", READERS)
def test_the_questions_never_say_who_asked(world, role):
    """The winner's organisation asked the open lot's question: no reader learns it from the list (the asker's
    own organisation sees only `mine`)."""
    response = api_client(token_for(world.person(role))).get(questions_url(world.lots["open"]))
    assert response.status_code == 200
    body = response.content.decode()
    for secret in (WINNER_ORGANISATION, WINNER_SLUG, WINNER_EMAIL_DOMAIN, NAMES["winner"], "asked_by"):
        assert secret not in body, (role, secret)
    [question] = response.json()["results"]
    assert question["id"] == world.objects["question"].pk
    assert question["text"] == "Apakah kadar air di bawah 5 persen?"
    assert question["answer"] == "Ya, 3 persen."
    assert question["mine"] is (role == "winner")
    assert set(question) == {"id", "text", "answer", "asked_at", "answered_at", "answer_edited_at", "mine"}


@pytest.mark.django_db
def test_a_processor_asks_and_the_question_is_kept_with_its_asker_for_staff_only(world):
    client = api_client(token_for(world.person("loser")))
    response = _post(client, questions_url(world.lots["open"]), {"text": "  Apakah tersedia uji TCLP terbaru?  "})
    assert response.status_code == 201, response.content
    asked = response.json()
    assert asked["text"] == "Apakah tersedia uji TCLP terbaru?" and asked["mine"] is True and asked["answer"] == ""
    stored = LotQuestion.objects.get(pk=asked["id"])
    assert stored.asked_by == world.person("loser")
    assert stored.asked_by_organisation == world.organisations["loser"]
    assert NAMES["loser"] not in response.content.decode()


@pytest.mark.django_db
def test_a_question_too_short_gets_the_forms_message(world):
    response = _post(
        api_client(token_for(world.person("processor"))), questions_url(world.lots["open"]), {"text": "Kapan?"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"]["text"] == ["Ensure this value has at least 10 characters (it has 6)."]
    assert not LotQuestion.objects.filter(text="Kapan?").exists()


@pytest.mark.django_db
def test_the_limit_of_unanswered_questions_is_the_webs(world):
    lot, client = world.lots["open"], api_client(token_for(world.person("processor")))
    for n in range(clarifications.MAX_UNANSWERED_PER_ORGANISATION):
        assert _post(client, questions_url(lot), {"text": f"Pertanyaan nomor {n} tentang lot ini?"}).status_code == 201
    refused = _post(client, questions_url(lot), {"text": "Satu pertanyaan lagi tentang lot ini?"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"Your organisation has {clarifications.MAX_UNANSWERED_PER_ORGANISATION} questions on this lot waiting for "
        "an answer: wait for the plant's answers."
    )
    assert not LotQuestion.objects.filter(text__startswith="Satu pertanyaan lagi").exists()


@pytest.mark.django_db
def test_after_questions_close_nobody_asks_and_an_answer_no_longer_changes(world):
    lot = world.lots["open"]
    WasteLot.objects.filter(pk=lot.pk).update(questions_close_at=timezone.now() - timedelta(minutes=1))
    asked = _post(api_client(token_for(world.person("processor"))), questions_url(lot), {"text": "Masih bisa tanya?"})
    assert asked.status_code == 403
    assert asked.json()["detail"].startswith("Questions on this lot closed on ")
    question = LotQuestion.objects.get(pk=world.objects["question"].pk)
    changed = _post(
        api_client(token_for(world.person("plant_admin"))),
        f"{questions_url(lot)}{question.pk}/answer/",
        {"answer": "Jawaban yang diubah."},
    )
    assert changed.status_code == 403
    assert changed.json()["detail"].startswith("Answers can be changed only until questions close")
    question.refresh_from_db()
    assert question.answer == "Ya, 3 persen."


@pytest.mark.django_db
def test_the_plant_answers_and_changes_its_answer(world):
    lot, question = world.lots["open"], LotQuestion.objects.get(pk=world.objects["question"].pk)
    client = api_client(token_for(world.person("plant_member")))
    url = f"{questions_url(lot)}{question.pk}/answer/"
    assert _post(client, url, {"answer": "   "}).json()["errors"] == {"answer": ["This field is required."]}
    response = _post(client, url, {"answer": "Ya, 3,2 persen menurut uji terbaru."})
    assert response.status_code == 200
    assert response.json()["answer"] == "Ya, 3,2 persen menurut uji terbaru."
    assert response.json()["answer_edited_at"] is not None
    question.refresh_from_db()
    assert question.answer == "Ya, 3,2 persen menurut uji terbaru." and question.answered_by == world.person(
        "plant_member"
    )


@pytest.mark.django_db
def test_a_question_of_another_lot_is_not_found(world):
    deal, question = world.lots["deal"], LotQuestion.objects.get(pk=world.objects["question"].pk)
    response = _post(
        api_client(token_for(world.person("plant_admin"))),
        f"{questions_url(deal)}{question.pk}/answer/",
        {"answer": "Salah lot."},
    )
    assert response.status_code == 404  # the open lot's question, asked for under the deal's reference
    question.refresh_from_db()
    assert question.answer == "Ya, 3 persen."
    missing = _post(
        api_client(token_for(world.person("plant_admin"))),
        f"{questions_url(world.lots['open'])}{question.pk + 10_000}/answer/",
        {"answer": "Tidak ada."},
    )
    assert missing.status_code == 404


@pytest.mark.django_db
def test_an_addendum_corrects_the_quantity_and_moves_the_deadline(world):
    lot = fresh(world)
    quantity = (lot.quantity * Decimal("1.08")).quantize(Decimal("0.001"))
    closes_at = lot.closes_at + timedelta(days=3)
    response = _post(
        api_client(token_for(world.person("plant_admin"))),
        f"/api/v1/lots/{lot.reference}/addenda/",
        {
            "text": "Jumlah dikoreksi setelah penimbangan ulang.",
            "quantity": str(quantity),
            "closes_at": closes_at.isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quantity_before"] == f"{lot.quantity:.3f}" and body["quantity_after"] == f"{quantity:.3f}"
    assert isinstance(body["quantity_after"], str)
    lot.refresh_from_db()
    assert lot.quantity == quantity and lot.closes_at == closes_at
    listed = api_client(token_for(world.person("loser"))).get(f"/api/v1/lots/{lot.reference}/addenda/").json()
    assert [item["id"] for item in listed] == list(LotAddendum.objects.filter(lot=lot).values_list("pk", flat=True))
    assert "published_by" not in listed[0] and NAMES["plant_admin"] not in json.dumps(listed)


@pytest.mark.django_db
def test_an_addendum_beyond_the_rules_gets_the_webs_messages_and_changes_nothing(world):
    lot = fresh(world)
    before = (lot.quantity, lot.closes_at, LotAddendum.objects.count())
    response = _post(
        api_client(token_for(world.person("plant_admin"))),
        f"/api/v1/lots/{lot.reference}/addenda/",
        {
            "text": "Jumlah dan tenggat berubah.",
            "quantity": str(lot.quantity * 2),
            "closes_at": (lot.closes_at - timedelta(hours=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["quantity"][0].startswith("An addendum corrects the quantity by at most 10 %: between ")
    assert errors["closes_at"] == ["An addendum can only move the deadline later."]
    lot.refresh_from_db()
    assert (lot.quantity, lot.closes_at, LotAddendum.objects.count()) == before
    floaty = _post(
        api_client(token_for(world.person("plant_admin"))),
        f"/api/v1/lots/{lot.reference}/addenda/",
        {"text": "Jumlah dikoreksi sedikit.", "quantity": "12.3456"},
    )
    assert floaty.status_code == 400 and "quantity" in floaty.json()["errors"]


@pytest.mark.django_db
def test_bad_input_is_a_4xx_with_a_reason_never_a_5xx(world):
    open_lot = world.lots["open"].reference
    plant = api_client(token_for(world.person("plant_admin")))
    processor = api_client(token_for(world.person("processor")))
    huge = plant.post(
        f"/api/v1/lots/{open_lot}/questions/{10**25}/answer/",
        json.dumps({"answer": "x"}),
        content_type="application/json",
    )
    assert huge.status_code == 404
    not_an_object = processor.post(f"/api/v1/lots/{open_lot}/questions/", "[1]", content_type="application/json")
    assert not_an_object.status_code == 400 and not_an_object.json()["errors"] == {"__all__": ["Send a JSON object."]}
    nonsense = _post(plant, f"/api/v1/lots/{open_lot}/addenda/", {"text": ["a"], "quantity": 1e308, "closes_at": 5})
    assert nonsense.status_code == 400 and set(nonsense.json()["errors"]) >= {"text"}
    far = _post(
        plant,
        f"/api/v1/lots/{open_lot}/addenda/",
        {"text": "Kemasan berubah lagi.", "quantity": "1e5", "closes_at": "9999-12-31T23:59:59+14:00"},
    )
    assert far.status_code == 400 and "quantity" in far.json()["errors"]
    assert LotAddendum.objects.filter(lot__reference=open_lot).count() == 1
