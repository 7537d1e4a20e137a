"""Clarifications on a lot (aanwijzing): processors ask, the plant answers (and may change an answer until
questions close), the plant publishes addenda. Who asked is never shown; each answer and addendum reaches the
bidders and matched processors once, through the outbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import OutboxEvent
from listings import services
from listings.clarifications import MAX_QUESTIONS_PER_ORGANISATION, MAX_UNANSWERED_PER_ORGANISATION
from listings.models import Bid, LotAddendum, LotQuestion, Match, WasteLot
from listings.selectors import timeline_for_viewer
from listings.services import AddendumChange, BidOffer
from members import notifications
from members.models import Event, Membership, Notification
from tests.factories import LotFactory, OrganisationFactory, member_of
from tests.listings.test_services import lot_fields

pytestmark = pytest.mark.django_db

QUESTION = "Berapa kadar air rata-rata per pengiriman?"


def a_processor(name):
    return member_of(OrganisationFactory(name=name, processor=True), full_name=f"Orang {name}")


def bid(lot, person, quantity="10"):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=50_000,
            quantity=Decimal(quantity),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route="recycling",
        ),
    )


def ask(lot, person, text=QUESTION):
    return services.question_ask(lot=lot, acting_user=person, text=text)


# --- Asking -------------------------------------------------------------------------------------------------


def test_a_verified_processor_asks_and_the_question_is_kept_with_who_asked(plant, processor_admin):
    lot = LotFactory(plant=plant)
    question = ask(lot, processor_admin, f"  {QUESTION}  ")
    assert question.text == QUESTION and not question.is_answered
    assert question.asked_by == processor_admin
    assert question.asked_by_organisation == processor_admin.membership.organisation


@pytest.mark.parametrize("who", ["plant_admin", "other_plant", "unverified", "official", "staff"])
def test_only_verified_processors_ask(plant, plant_admin, official, staff, who):
    lot = LotFactory(plant=plant)
    person = {
        "plant_admin": plant_admin,
        "other_plant": member_of(OrganisationFactory()),
        "unverified": member_of(OrganisationFactory(processor=True, unverified=True)),
        "official": official,
        "staff": staff,
    }[who]
    with pytest.raises(PermissionDenied, match="Only people of verified processing businesses can ask questions."):
        ask(lot, person)
    assert not LotQuestion.objects.exists()


def test_no_question_once_questions_close_nor_on_a_lot_not_open(plant, processor_admin):
    closed_questions = LotFactory(
        plant=plant,
        closes_at=timezone.now() + timedelta(days=3),
        questions_close_at=timezone.now() - timedelta(minutes=1),
    )
    with pytest.raises(PermissionDenied, match="Questions on this lot closed on"):
        ask(closed_questions, processor_admin)
    # By default questions close 24 hours before the deadline.
    default = LotFactory(plant=plant, closes_at=timezone.now() + timedelta(hours=23))
    assert default.questions_deadline == default.closes_at - timedelta(hours=24)
    with pytest.raises(PermissionDenied, match="Questions on this lot closed on"):
        ask(default, processor_admin)
    with pytest.raises(PermissionDenied, match="This lot is not open for bids."):
        ask(LotFactory(plant=plant, status=WasteLot.Status.CLOSED), processor_admin)
    assert not LotQuestion.objects.exists()


@pytest.mark.parametrize("text", ["Berapa?", "x" * 1001, "          "])
def test_a_question_has_bounds(plant, processor_admin, text):
    with pytest.raises(ValidationError):
        ask(LotFactory(plant=plant), processor_admin, text)
    assert not LotQuestion.objects.exists()


def test_at_most_five_unanswered_questions_per_organisation_and_lot(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    colleague = member_of(processor_admin.membership.organisation, role=Membership.Role.MEMBER)
    asked = [ask(lot, processor_admin if i % 2 else colleague, f"{QUESTION} {i}") for i in range(5)]
    assert MAX_UNANSWERED_PER_ORGANISATION == 5
    with pytest.raises(ValidationError, match="5 questions on this lot waiting for an answer"):
        ask(lot, colleague)
    ask(LotFactory(plant=plant), processor_admin)  # another lot: its own count
    ask(lot, a_processor("CV Lain"))  # another organisation: its own count
    services.question_answer(question=asked[0], acting_user=plant_admin, answer="Sekitar 4 persen.")
    ask(lot, processor_admin)  # one was answered: room for one more
    assert lot.questions.filter(asked_by_organisation=processor_admin.membership.organisation).count() == 6


def test_at_most_twenty_questions_per_organisation_and_lot(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    for i in range(MAX_QUESTIONS_PER_ORGANISATION):
        question = ask(lot, processor_admin, f"{QUESTION} {i}")
        services.question_answer(question=question, acting_user=plant_admin, answer="Ya.")
    with pytest.raises(ValidationError, match="the most questions allowed on one lot"):
        ask(lot, processor_admin)


# --- Answering ----------------------------------------------------------------------------------------------


def audience(plant, processor_admin):
    """An open lot with a bidder, a matched processor, an asker that neither bid nor was matched, and a
    processor that has nothing to do with it."""
    lot = LotFactory(plant=plant)
    bidder = a_processor("CV Penawar")
    bid(lot, bidder)
    matched = a_processor("CV Cocok")
    Match.objects.create(lot=lot, organisation=matched.membership.organisation, score=60, reasons=[])
    stranger = a_processor("CV Asing")
    question = ask(lot, processor_admin)
    return lot, question, bidder, matched, stranger


def test_an_answer_reaches_bidders_matched_processors_and_the_asker_never_the_plant(
    plant, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    lot, question, bidder, matched, stranger = audience(plant, processor_admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.question_answer(question=question, acting_user=plant_admin, answer="Rata-rata 4 persen.")
    question.refresh_from_db()
    assert question.answer == "Rata-rata 4 persen." and question.answered_by == plant_admin
    told = set(Notification.objects.filter(event=Event.QUESTION_ANSWERED).values_list("recipient_id", flat=True))
    assert told == {bidder.pk, matched.pk, processor_admin.pk}
    note = Notification.objects.get(recipient=bidder, event=Event.QUESTION_ANSWERED)
    text = notifications.message(note)
    assert text == f"The plant answered a question on lot {lot.reference} ({lot.title})"
    # Nothing in the notification says who asked.
    assert set(note.params) == {"reference", "title", "how"}
    assert note.key == f"{Event.QUESTION_ANSWERED}:{lot.pk}:{question.pk}:0"
    for secret in ("CV Olah Uji", "olah-uji", processor_admin.email, processor_admin.full_name):
        assert secret not in str(note.params) + note.url + text


def test_an_answer_is_told_once_and_a_change_once_more(plant, plant_admin, processor_admin):
    lot, question, bidder, *_rest = audience(plant, processor_admin)
    services.question_answer(question=question, acting_user=plant_admin, answer="Empat persen.")
    services.question_answer(question=question, acting_user=plant_admin, answer="Empat persen.")  # unchanged
    assert OutboxEvent.objects.filter(key__startswith=f"{Event.QUESTION_ANSWERED}:").count() == 1
    services.question_answer(question=question, acting_user=plant_admin, answer="Lima persen, dikoreksi.")
    question.refresh_from_db()
    assert question.answer_edited_at is not None and question.answered_at <= question.answer_edited_at
    events = OutboxEvent.objects.filter(key__startswith=f"{Event.QUESTION_ANSWERED}:").order_by("pk")
    assert [event.payload["params"]["how"] for event in events] == ["answered", "edited"]
    # Delivering the same event twice makes one inbox row per person.
    payload = events[1].payload
    for _ in range(2):
        notifications.deliver(payload["event"], payload["key"], payload["recipients"], payload["params"])
    assert Notification.objects.filter(recipient=bidder, key=payload["key"]).count() == 1
    edited = Notification.objects.get(recipient=bidder, key=payload["key"])
    assert notifications.message(edited).startswith("The plant changed an answer on lot")


@pytest.mark.parametrize("who", ["processor", "other_plant", "staff"])
def test_only_the_plant_answers(plant, processor_admin, staff, who):
    lot = LotFactory(plant=plant)
    question = ask(lot, processor_admin)
    person = {"processor": processor_admin, "other_plant": member_of(OrganisationFactory()), "staff": staff}[who]
    with pytest.raises(PermissionDenied, match="answer its questions"):
        services.question_answer(question=question, acting_user=person, answer="Tidak.")
    question.refresh_from_db()
    assert not question.is_answered


def test_a_plain_member_of_the_plant_answers(plant, processor_admin):
    question = ask(LotFactory(plant=plant), processor_admin)
    member = member_of(plant, role=Membership.Role.MEMBER)
    services.question_answer(question=question, acting_user=member, answer="Ya, tersedia.")
    question.refresh_from_db()
    assert question.answered_by == member


def test_answers_change_only_until_questions_close(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    answered, waiting = ask(lot, processor_admin), ask(lot, processor_admin, QUESTION + " Kedua.")
    services.question_answer(question=answered, acting_user=plant_admin, answer="Ya.")
    WasteLot.objects.filter(pk=lot.pk).update(questions_close_at=timezone.now() - timedelta(minutes=1))
    answered.refresh_from_db()
    with pytest.raises(PermissionDenied, match="Answers can be changed only until questions close"):
        services.question_answer(question=answered, acting_user=plant_admin, answer="Tidak.")
    # A question asked in time still gets its first answer while the lot is open.
    services.question_answer(question=waiting, acting_user=plant_admin, answer="Bisa.")
    WasteLot.objects.filter(pk=lot.pk).update(status=WasteLot.Status.CLOSED)
    third = LotQuestion.objects.create(lot=lot, asked_by_organisation=processor_admin.membership.organisation, text="?")
    with pytest.raises(PermissionDenied, match="only while the lot is open for bids"):
        services.question_answer(question=third, acting_user=plant_admin, answer="Telat.")
    answered.refresh_from_db()
    assert answered.answer == "Ya."


def test_an_answer_has_bounds(plant, plant_admin, processor_admin):
    question = ask(LotFactory(plant=plant), processor_admin)
    for answer in ("", "   ", "x" * 2001):
        with pytest.raises(ValidationError):
            services.question_answer(question=question, acting_user=plant_admin, answer=answer)


# --- When questions close: the lot's field ------------------------------------------------------------------


def test_questions_close_before_the_deadline_and_not_in_the_past(plant_admin):
    deadline = timezone.now() + timedelta(days=5)
    with pytest.raises(ValidationError, match="Questions must close before the bid deadline."):
        services.lot_create(acting_user=plant_admin, fields=lot_fields(closes_at=deadline, questions_close_at=deadline))
    with pytest.raises(ValidationError, match="The time questions close must be in the future."):
        services.lot_create(
            acting_user=plant_admin, fields=lot_fields(questions_close_at=timezone.now() - timedelta(hours=1))
        )
    chosen = deadline - timedelta(days=2)
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields(closes_at=deadline, questions_close_at=chosen))
    assert lot.questions_deadline == chosen
    # A draft whose questions would close in the past cannot be published.
    WasteLot.objects.filter(pk=lot.pk).update(questions_close_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="The time questions close must be in the future."):
        services.lot_publish(lot=lot, acting_user=plant_admin)


def test_an_open_lot_s_questions_only_close_later(plant, plant_admin):
    lot = LotFactory(plant=plant, closes_at=timezone.now() + timedelta(days=5))
    with pytest.raises(ValidationError, match="Questions on an open lot can only close later."):
        services.lot_update(
            lot=lot, acting_user=plant_admin, fields={"questions_close_at": timezone.now() + timedelta(days=1)}
        )
    later = timezone.now() + timedelta(days=4, hours=12)
    services.lot_update(lot=lot, acting_user=plant_admin, fields={"questions_close_at": later})
    lot.refresh_from_db()
    assert lot.questions_close_at == later
    # Once questions closed, editing the rest of the lot is not refused for it.
    WasteLot.objects.filter(pk=lot.pk).update(questions_close_at=timezone.now() - timedelta(hours=1))
    lot.refresh_from_db()
    services.lot_update(lot=lot, acting_user=plant_admin, fields={"description": "Lebih rinci."})


# --- Addenda ------------------------------------------------------------------------------------------------


def publish(lot, person, text="Kadar air diperbarui menurut uji lab terbaru.", **change):
    return services.addendum_publish(lot=lot, acting_user=person, change=AddendumChange(text=text, **change))


def test_an_addendum_is_kept_with_who_and_when_and_tells_the_bidders(
    plant, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    lot = LotFactory(plant=plant)
    bid(lot, processor_admin)
    matched = a_processor("CV Cocok")
    Match.objects.create(lot=lot, organisation=matched.membership.organisation, score=60, reasons=[])
    stranger = a_processor("CV Asing")
    with django_capture_on_commit_callbacks(execute=True):
        addendum = publish(lot, plant_admin)
    assert addendum.published_by == plant_admin and addendum.created_at is not None
    assert addendum.quantity_after is None and addendum.closes_at_after is None
    told = set(Notification.objects.filter(event=Event.ADDENDUM_PUBLISHED).values_list("recipient_id", flat=True))
    assert told == {processor_admin.pk, matched.pk}
    assert stranger.pk not in told and plant_admin.pk not in told
    note = Notification.objects.get(recipient=processor_admin, event=Event.ADDENDUM_PUBLISHED)
    assert notifications.message(note) == (
        f"Addendum to lot {lot.reference} ({lot.title}): Kadar air diperbarui menurut uji lab terbaru."
    )


def test_an_addendum_corrects_the_quantity_by_ten_percent_at_most_in_all(plant, plant_admin):
    lot = LotFactory(plant=plant, quantity=Decimal("100"))
    with pytest.raises(ValidationError, match="at most 10 %"):
        publish(lot, plant_admin, quantity=Decimal("110.001"))
    with pytest.raises(ValidationError, match="at most 10 %"):
        publish(lot, plant_admin, quantity=Decimal("89.999"))
    publish(lot, plant_admin, quantity=Decimal("108"))
    lot.refresh_from_db()
    assert lot.quantity == Decimal("108")
    # The bound is on the quantity published, not on the last correction: addenda do not add up past it.
    with pytest.raises(ValidationError, match="between 90 and 110"):
        publish(lot, plant_admin, quantity=Decimal("115"))
    second = publish(lot, plant_admin, quantity=Decimal("90"))
    assert (second.quantity_before, second.quantity_after) == (Decimal("108"), Decimal("90"))


def test_an_addendum_moves_the_deadline_only_later_and_a_sealed_lot_stays_sealed(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant, bidding_mode=WasteLot.BiddingMode.SEALED)
    bid(lot, processor_admin)
    old = lot.closes_at
    with pytest.raises(ValidationError, match="only move the deadline later"):
        publish(lot, plant_admin, closes_at=old - timedelta(hours=1))
    with pytest.raises(ValidationError, match="at most 60 days"):
        publish(lot, plant_admin, closes_at=old + timedelta(days=61))
    addendum = publish(lot, plant_admin, closes_at=old + timedelta(days=3))
    lot.refresh_from_db()
    assert lot.closes_at == old + timedelta(days=3) and lot.status == WasteLot.Status.OPEN
    assert (addendum.closes_at_before, addendum.closes_at_after) == (old, old + timedelta(days=3))
    assert lot.bids_opened_at is None and lot.is_sealed  # nothing opened the sealed bids
    assert Bid.objects.get(lot=lot).status == Bid.Status.LIVE


def test_an_addendum_keeps_the_deadline_within_the_availability(plant, plant_admin):
    lot = LotFactory(plant=plant, available_until=timezone.localdate() + timedelta(days=8))
    with pytest.raises(ValidationError, match="extend its availability"):
        publish(lot, plant_admin, closes_at=timezone.now() + timedelta(days=20))


def test_only_the_plant_publishes_an_addendum_and_only_on_an_open_lot(plant, plant_admin, processor_admin, staff):
    lot = LotFactory(plant=plant)
    for person in (processor_admin, member_of(OrganisationFactory()), staff):
        with pytest.raises(PermissionDenied, match="Only people of the verified plant"):
            publish(lot, person)
    closed = LotFactory(plant=plant, status=WasteLot.Status.CLOSED)
    with pytest.raises(PermissionDenied, match="only while the lot is open for bids"):
        publish(closed, plant_admin)
    for text in ("kurang", "x" * 2001):
        with pytest.raises(ValidationError):
            publish(lot, plant_admin, text=text)
    assert not LotAddendum.objects.exists()


def test_the_addendum_is_on_the_timeline_with_who_only_for_the_parties(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    publish(lot, plant_admin)
    for user, actor in ((plant_admin, str(plant_admin)), (processor_admin, None)):
        steps = [step for step in timeline_for_viewer(user, lot) if step.status == "addendum"]
        assert len(steps) == 1
        assert steps[0].note == "Kadar air diperbarui menurut uji lab terbaru." and steps[0].actor == actor
