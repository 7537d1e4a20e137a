"""The questions page, the answer form, the addendum page and what the lot page shows of them: who may do what
(refused with the reason otherwise), bad input answered with the form's errors, and never who asked."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from listings import services
from listings.models import LotAddendum, LotQuestion, WasteLot
from members.models import Membership
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of
from tests.listings.test_questions import QUESTION, ask

pytestmark = pytest.mark.django_db


def questions_url(lot):
    return reverse("listings:lot_questions", args=[lot.reference])


def answer_url(question):
    return reverse("listings:question_answer", args=[question.lot.reference, question.pk])


def addendum_url(lot):
    return reverse("listings:lot_addendum", args=[lot.reference])


def asker_traces(person):
    organisation = person.membership.organisation
    return (organisation.name, organisation.slug, person.full_name, person.email)


def test_a_processor_asks_on_the_page_and_every_reader_sees_it_without_who_asked(
    client, plant, plant_admin, processor_admin, staff, official
):
    lot = LotFactory(plant=plant)
    client.force_login(processor_admin)
    page = client.get(questions_url(lot)).content.decode()
    assert 'data-testid="ask-form"' in page and 'data-testid="no-questions"' in page
    response = client.post(questions_url(lot), {"text": QUESTION})
    assert response.status_code == 302 and response["Location"] == questions_url(lot)
    question = LotQuestion.objects.get()
    services.question_answer(question=question, acting_user=plant_admin, answer="Sekitar empat persen.")
    own = client.get(questions_url(lot)).content.decode()
    assert 'data-testid="mine"' in own  # the asker sees its own question marked, for itself alone
    other = member_of(OrganisationFactory(name="CV Pembaca Lain", processor=True))
    for reader in (other, plant_admin, member_of(plant, role=Membership.Role.MEMBER), official, staff):
        log_in(client, reader)
        response = client.get(questions_url(lot))
        page = response.content.decode()
        assert response.status_code == 200, reader
        assert escape(QUESTION) in page and "Sekitar empat persen." in page
        assert 'data-testid="mine"' not in page
        for trace in asker_traces(processor_admin):
            assert trace not in page, (reader, trace)


@pytest.mark.parametrize("who", ["other_plant", "unverified"])
def test_other_plants_and_unverified_businesses_cannot_read(client, plant, processor_admin, who):
    lot = LotFactory(plant=plant)
    ask(lot, processor_admin)
    person = {
        "other_plant": member_of(OrganisationFactory()),
        "unverified": member_of(OrganisationFactory(processor=True, unverified=True)),
    }[who]
    client.force_login(person)
    response = client.get(questions_url(lot))
    assert response.status_code == 403
    assert "Questions and answers are for verified processing businesses" in response.content.decode()
    assert escape(QUESTION) not in response.content.decode()
    assert 'data-testid="questions-link"' not in client.get(lot.get_absolute_url()).content.decode()


def test_a_visitor_is_asked_to_sign_in_and_a_draft_does_not_exist(client, plant, processor_admin):
    lot = LotFactory(plant=plant)
    response = client.get(questions_url(lot))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert 'data-testid="questions-link"' not in client.get(lot.get_absolute_url()).content.decode()
    draft = LotFactory(plant=plant, status=WasteLot.Status.DRAFT, published_at=None)
    client.force_login(processor_admin)
    assert client.get(questions_url(draft)).status_code == 404
    assert client.post(questions_url(draft), {"text": QUESTION}).status_code == 404


def test_after_questions_close_the_page_says_so_and_a_forged_post_is_refused(client, plant, processor_admin):
    lot = LotFactory(
        plant=plant,
        closes_at=timezone.now() + timedelta(days=2),
        questions_close_at=timezone.now() - timedelta(minutes=5),
    )
    client.force_login(processor_admin)
    page = client.get(questions_url(lot)).content.decode()
    assert 'data-testid="ask-form"' not in page
    assert "Questions on this lot closed on" in page and "Questions closed on" in page
    response = client.post(questions_url(lot), {"text": QUESTION})
    assert response.status_code == 403 and "Questions on this lot closed on" in response.content.decode()
    assert not LotQuestion.objects.exists()


def test_bad_questions_come_back_with_the_reason(client, plant, processor_admin):
    lot = LotFactory(plant=plant)
    client.force_login(processor_admin)
    for text in ("", "Berapa?", "x" * 1001):
        response = client.post(questions_url(lot), {"text": text})
        assert response.status_code == 400 and 'data-testid="error-summary"' in response.content.decode()
    for i in range(5):
        ask(lot, processor_admin, f"{QUESTION} {i}")
    response = client.post(questions_url(lot), {"text": QUESTION})
    assert response.status_code == 400 and "waiting for an answer" in response.content.decode()
    assert LotQuestion.objects.count() == 5


def test_the_plant_answers_on_the_page_and_changes_it_until_questions_close(
    client, plant, plant_admin, processor_admin
):
    lot = LotFactory(plant=plant)
    question = ask(lot, processor_admin)
    client.force_login(plant_admin)
    page = client.get(questions_url(lot)).content.decode()
    assert 'data-testid="answer-form"' in page and 'data-testid="ask-form"' not in page
    response = client.post(answer_url(question), {f"q{question.pk}-answer": ""})
    assert response.status_code == 400 and 'data-testid="error-summary"' in response.content.decode()
    response = client.post(answer_url(question), {f"q{question.pk}-answer": "Empat persen."})
    assert response.status_code == 302 and response["Location"].endswith(f"#q-{question.pk}")
    question.refresh_from_db()
    assert question.answer == "Empat persen."
    WasteLot.objects.filter(pk=lot.pk).update(questions_close_at=timezone.now() - timedelta(minutes=1))
    assert 'data-testid="answer-form"' not in client.get(questions_url(lot)).content.decode()
    response = client.post(answer_url(question), {f"q{question.pk}-answer": "Lima persen."})
    assert response.status_code == 403 and "Answers can be changed only until questions close" in (
        response.content.decode()
    )
    question.refresh_from_db()
    assert question.answer == "Empat persen."


def test_a_question_of_another_lot_is_not_found(client, plant, plant_admin, processor_admin):
    question = ask(LotFactory(plant=plant), processor_admin)
    mine = LotFactory(plant=plant)
    client.force_login(plant_admin)
    url = reverse("listings:question_answer", args=[mine.reference, question.pk])
    assert client.post(url, {f"q{question.pk}-answer": "Ya."}).status_code == 404


def test_the_lot_page_links_the_questions_with_their_number_and_shows_addenda(
    client, plant, plant_admin, processor_admin
):
    lot = LotFactory(plant=plant)
    ask(lot, processor_admin)
    ask(lot, processor_admin, QUESTION + " Lagi.")
    services.addendum_publish(
        lot=lot,
        acting_user=plant_admin,
        change=services.AddendumChange(text="Jumlah dikoreksi setelah penimbangan.", quantity=Decimal("105")),
    )
    client.force_login(processor_admin)
    page = client.get(lot.get_absolute_url()).content.decode()
    assert "Questions &amp; answers (2)" in page
    assert 'data-testid="addendum"' in page and "Jumlah dikoreksi setelah penimbangan." in page
    assert "Addendum published" in page  # on the timeline
    assert 'data-testid="addendum-link"' not in page
    client.force_login(plant_admin)
    assert 'data-testid="addendum-link"' in client.get(lot.get_absolute_url()).content.decode()
    client.logout()
    page = client.get(lot.get_absolute_url()).content.decode()  # a visitor reads the addendum too
    assert "Jumlah dikoreksi setelah penimbangan." in page and 'data-testid="questions-link"' not in page


def test_the_plant_publishes_an_addendum_on_its_page(client, plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant, quantity=Decimal("100"))
    client.force_login(plant_admin)
    assert client.get(addendum_url(lot)).status_code == 200
    response = client.post(addendum_url(lot), {"text": "Jumlah dikoreksi.", "quantity": "150"})
    assert response.status_code == 400 and "at most 10 %" in response.content.decode()
    later = timezone.localtime(lot.closes_at + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(addendum_url(lot), {"text": "Jumlah dikoreksi.", "quantity": "95", "closes_at": later})
    assert response.status_code == 302 and response["Location"] == lot.get_absolute_url()
    lot.refresh_from_db()
    assert lot.quantity == Decimal("95") and timezone.localtime(lot.closes_at).strftime("%Y-%m-%dT%H:%M") == later
    assert LotAddendum.objects.get().published_by == plant_admin
    client.force_login(processor_admin)
    response = client.post(addendum_url(lot), {"text": "Palsu dari pemroses."})
    assert response.status_code == 403 and LotAddendum.objects.count() == 1


def test_no_addendum_on_a_closed_lot(client, plant, plant_admin):
    lot = LotFactory(plant=plant, status=WasteLot.Status.CLOSED)
    client.force_login(plant_admin)
    response = client.get(addendum_url(lot))
    assert response.status_code == 302 and response["Location"] == lot.get_absolute_url()
    response = client.post(addendum_url(lot), {"text": "Diperbarui setelah tutup."})
    assert response.status_code == 403 and "only while the lot is open for bids" in response.content.decode()
    assert not LotAddendum.objects.exists()


def test_the_lot_form_sets_when_questions_close(client, plant_admin):
    from tests.listings.test_views import form_data

    client.force_login(plant_admin)
    deadline = timezone.localtime() + timedelta(days=5)
    response = client.post(
        reverse("listings:lot_create"),
        form_data(
            closes_at=deadline.strftime("%Y-%m-%dT%H:%M"),
            questions_close_at=(deadline + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert response.status_code == 200 and "Questions must close before the bid deadline." in response.content.decode()
    chosen = deadline - timedelta(days=2)
    response = client.post(
        reverse("listings:lot_create"),
        form_data(closes_at=deadline.strftime("%Y-%m-%dT%H:%M"), questions_close_at=chosen.strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 302
    lot = WasteLot.objects.get()
    assert timezone.localtime(lot.questions_close_at).strftime("%Y-%m-%dT%H:%M") == chosen.strftime("%Y-%m-%dT%H:%M")
