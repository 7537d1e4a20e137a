"""Site visits (the tender's inspection): the plant offers slots on an open lot, a verified processor books one
per lot for the people it names and its vehicle, either side cancels, and both hear the day before. Capacity is
counted in people under the slot's lock; a processor never reads another processor's booking."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings import notify, services, visits
from listings.models import MAX_SLOTS_PER_LOT, VisitBooking, VisitSlot, WasteLot
from listings.services import SlotOffer
from members import notifications
from members.models import Event, Notification
from tests.factories import LotFactory, OrganisationFactory, member_of
from tests.listings.test_concurrency import run_together

pytestmark = pytest.mark.django_db

PLATE = "B 1234 XYZ"


def a_processor(name="CV Pengunjung"):
    return member_of(OrganisationFactory(name=name, processor=True), full_name=f"Orang {name}")


def offer(days=2, start=time(9, 0), end=time(11, 0), capacity=10, point="Pos satpam gerbang 2"):
    return SlotOffer(
        day=timezone.localdate() + timedelta(days=days), start=start, end=end, capacity=capacity, meeting_point=point
    )


def slot_on(lot, person, **kwargs):
    return services.slot_offer(lot=lot, acting_user=person, offer=offer(**kwargs))


def book(slot, person, names=("Budi Santoso",), plate=PLATE):
    return services.visit_book(slot=slot, acting_user=person, visitors=list(names), plate=plate)


# --- Offering slots ----------------------------------------------------------------------------------------


def test_the_plant_offers_a_slot_in_jakarta_time(plant, plant_admin):
    lot = LotFactory(plant=plant)
    slot = slot_on(lot, plant_admin, point="  Gerbang 2  ")
    local = timezone.localtime(slot.starts_at)
    assert (local.hour, local.minute, str(local.tzinfo)) == (9, 0, "Asia/Jakarta")
    assert slot.meeting_point == "Gerbang 2" and slot.capacity == 10 and slot.created_by == plant_admin


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"days": -1}, "start"),
        ({"days": 30}, "day"),  # after the lot's deadline (the factory's lot closes in 7 days)
        ({"start": time(11, 0), "end": time(9, 0)}, "end"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 51}, "capacity"),
        ({"point": "ab"}, "meeting_point"),
    ],
)
def test_a_slot_must_fit(plant, plant_admin, kwargs, field):
    lot = LotFactory(plant=plant)
    with pytest.raises(ValidationError) as caught:
        slot_on(lot, plant_admin, **kwargs)
    assert field in caught.value.message_dict
    assert not VisitSlot.objects.exists()


def test_at_most_twenty_slots_per_lot(plant, plant_admin):
    lot = LotFactory(plant=plant)
    for hour in range(MAX_SLOTS_PER_LOT):
        slot_on(lot, plant_admin, days=1 + hour % 5, start=time(hour % 4 + 7, 0), end=time(hour % 4 + 8, 0))
    with pytest.raises(ValidationError, match="at most 20"):
        slot_on(lot, plant_admin)
    assert VisitSlot.objects.filter(lot=lot).count() == MAX_SLOTS_PER_LOT


def test_only_the_plant_offers_on_its_open_lot(plant, plant_admin, processor_admin, staff):
    lot = LotFactory(plant=plant)
    other = member_of(OrganisationFactory(name="PT Lain"))
    for person in (processor_admin, other, staff):
        with pytest.raises(PermissionDenied, match="Only people of the verified plant"):
            slot_on(lot, person)
    closed = LotFactory(plant=plant, status=WasteLot.Status.CLOSED)
    with pytest.raises(PermissionDenied, match="only while the lot is open"):
        slot_on(closed, plant_admin)


# --- Booking -----------------------------------------------------------------------------------------------


def test_a_verified_processor_books_with_names_and_a_normalised_plate(plant, plant_admin, processor_admin):
    slot = slot_on(LotFactory(plant=plant), plant_admin)
    booking = book(slot, processor_admin, names=["  Budi   Santoso ", "", "Siti Aminah"], plate="  b1234   xyz ")
    assert booking.visitors == ["Budi Santoso", "Siti Aminah"] and booking.people == 2
    assert booking.plate == "B 1234 XYZ"
    assert booking.organisation == processor_admin.membership.organisation
    assert services.visits.places_taken(slot) == 2


@pytest.mark.parametrize(("raw", "plate"), [("a 1 b", "A 1 B"), ("BE1234", "BE 1234"), ("b 9876 rhs", "B 9876 RHS")])
def test_plates_are_read_loosely(raw, plate):
    assert services.normalise_plate(raw) == plate


@pytest.mark.parametrize("raw", ["", "1234", "ABC 1234 D", "B 12345 X", "B 1234 ABCD", "B-1234-XY"])
def test_a_plate_that_is_no_plate_is_refused(raw):
    with pytest.raises(ValidationError, match="A 1234 BC"):
        services.normalise_plate(raw)


@pytest.mark.parametrize(
    "names",
    [[], ["A"], ["x" * 81], [f"Orang Nomor {i}" for i in range(6)], ["Budi Santoso", "budi  santoso"]],
    ids=["none", "too-short", "too-long", "six", "twice"],
)
def test_the_names_are_bounded(plant, plant_admin, processor_admin, names):
    slot = slot_on(LotFactory(plant=plant), plant_admin)
    with pytest.raises(ValidationError) as caught:
        book(slot, processor_admin, names=names)
    assert "visitors" in caught.value.message_dict
    assert not VisitBooking.objects.exists()


def test_one_booking_per_organisation_per_lot(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    first, second = slot_on(lot, plant_admin), slot_on(lot, plant_admin, days=3)
    colleague = member_of(processor_admin.membership.organisation, email="rekan@proses.test")
    book(first, processor_admin)
    with pytest.raises(ValidationError, match="already booked"):
        book(second, colleague)
    # cancelled, it may book again
    services.visit_cancel(booking=VisitBooking.objects.get(), acting_user=colleague)
    assert book(second, colleague).slot == second


def test_a_full_slot_refuses_and_names_the_places_left(plant, plant_admin, processor_admin):
    slot = slot_on(LotFactory(plant=plant), plant_admin, capacity=3)
    book(slot, a_processor("CV Satu"), names=["Ani Wijaya", "Bayu Pratama"])
    with pytest.raises(ValidationError, match="Only 1 place is left"):
        book(slot, processor_admin, names=["Citra Dewi", "Dodi Hartono"])
    book(slot, processor_admin, names=["Citra Dewi"])
    with pytest.raises(ValidationError, match="This site visit is full"):
        book(slot, a_processor("CV Tiga"))
    assert services.visits.places_taken(slot) == 3


@pytest.mark.parametrize("who", ["plant_admin", "unverified", "other_plant", "staff"])
def test_who_may_not_book(plant, plant_admin, unverified_admin, staff, who):
    slot = slot_on(LotFactory(plant=plant), plant_admin)
    person = {
        "plant_admin": plant_admin,
        "unverified": member_of(OrganisationFactory(processor=True, unverified=True)),
        "other_plant": member_of(OrganisationFactory(name="PT Lain")),
        "staff": staff,
    }[who]
    with pytest.raises(PermissionDenied, match="Only people of verified processing businesses"):
        book(slot, person)
    assert not VisitBooking.objects.exists()


def test_no_booking_on_a_cancelled_or_started_slot(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    cancelled = slot_on(lot, plant_admin)
    services.slot_cancel(slot=cancelled, acting_user=plant_admin)
    with pytest.raises(PermissionDenied, match="cancelled this site visit"):
        book(cancelled, processor_admin)
    started = slot_on(lot, plant_admin, days=3)
    VisitSlot.objects.filter(pk=started.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    started.refresh_from_db()
    with pytest.raises(PermissionDenied, match="already started"):
        book(started, processor_admin)


# --- Cancelling and who hears ------------------------------------------------------------------------------


def test_booking_and_cancelling_tell_the_plant_and_free_the_places(
    plant, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    lot = LotFactory(plant=plant)
    slot = slot_on(lot, plant_admin, capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(slot, processor_admin, names=["Ani Wijaya", "Bayu Pratama"])
    note = Notification.objects.get(recipient=plant_admin, event=Event.VISIT_BOOKING)
    assert processor_admin.membership.organisation.name in notifications.message(note)
    assert "for 2 people" in notifications.message(note) and note.url.endswith("/visits/")
    assert not Notification.objects.filter(recipient=processor_admin, event=Event.VISIT_BOOKING).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_cancel(booking=booking, acting_user=processor_admin)
    assert services.visits.places_taken(slot) == 0
    lines = [notifications.message(n) for n in Notification.objects.filter(recipient=plant_admin)]
    assert any("cancelled its site visit" in line for line in lines)


def test_only_the_booking_organisation_cancels_and_only_before_the_start(plant, plant_admin, processor_admin):
    slot = slot_on(LotFactory(plant=plant), plant_admin)
    booking = book(slot, processor_admin)
    for person in (a_processor("CV Lain"), plant_admin):
        with pytest.raises(PermissionDenied, match="Only the organisation that booked"):
            services.visit_cancel(booking=booking, acting_user=person)
    VisitSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="already started"):
        services.visit_cancel(booking=booking, acting_user=processor_admin)
    assert VisitBooking.objects.get().cancelled_at is None


def test_the_plant_cancels_a_slot_and_its_bookers_hear(
    plant, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    lot = LotFactory(plant=plant)
    slot, other_slot = slot_on(lot, plant_admin), slot_on(lot, plant_admin, days=3)
    book(slot, processor_admin)
    bystander = a_processor("CV Slot Lain")
    book(other_slot, bystander)
    with django_capture_on_commit_callbacks(execute=True):
        services.slot_cancel(slot=slot, acting_user=plant_admin)
    assert VisitBooking.objects.get(organisation=processor_admin.membership.organisation).is_cancelled
    assert not VisitBooking.objects.get(organisation=bystander.membership.organisation).is_cancelled
    note = Notification.objects.get(recipient=processor_admin, event=Event.VISIT_CANCELLED)
    assert "The plant cancelled the site visit" in notifications.message(note)
    assert not Notification.objects.filter(recipient=bystander, event=Event.VISIT_CANCELLED).exists()
    with pytest.raises(PermissionDenied):
        services.slot_cancel(slot=other_slot, acting_user=processor_admin)


# --- Reminders ---------------------------------------------------------------------------------------------


def test_the_reminder_comes_once_the_day_before_to_both_sides(
    plant, plant_admin, processor_admin, mailoutbox, django_capture_on_commit_callbacks
):
    lot = LotFactory(plant=plant)
    tomorrow = slot_on(lot, plant_admin, days=1)
    later = slot_on(lot, plant_admin, days=3)
    book(tomorrow, processor_admin, names=["Ani Wijaya", "Bayu Pratama"])
    late_booker = a_processor("CV Nanti")
    book(later, late_booker)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_visits() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_visits() == 0  # the next run: never twice
    visitor_note = Notification.objects.get(recipient=processor_admin, event=Event.VISIT_REMINDER)
    plant_note = Notification.objects.get(recipient=plant_admin, event=Event.VISIT_REMINDER)
    assert "your site visit" in notifications.message(visitor_note) and PLATE in notifications.message(visitor_note)
    assert processor_admin.membership.organisation.name in notifications.message(plant_note)
    assert not Notification.objects.filter(recipient=late_booker, event=Event.VISIT_REMINDER).exists()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([processor_admin.email, plant_admin.email])
    # even if the flag were reset, the inbox never doubles (one per booking and side)
    VisitBooking.objects.update(reminded_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        notify.remind_visits()
    assert Notification.objects.filter(event=Event.VISIT_REMINDER).count() == 2


def test_no_reminder_for_a_cancelled_booking_or_a_lot_no_longer_open(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    booking = book(slot_on(lot, plant_admin, days=1), processor_admin)
    services.visit_cancel(booking=booking, acting_user=processor_admin)
    other = LotFactory(plant=plant)
    book(slot_on(other, plant_admin, days=1), a_processor("CV Batal"))
    WasteLot.objects.filter(pk=other.pk).update(status=WasteLot.Status.CANCELLED)
    # a visit later today (booked on the day) is not "tomorrow"
    today = book(slot_on(LotFactory(plant=plant), plant_admin, days=2), a_processor("CV Hari Ini"))
    later_today = timezone.now() + timedelta(minutes=30)
    if timezone.localtime(later_today).date() == timezone.localdate():
        VisitSlot.objects.filter(pk=today.slot_id).update(
            starts_at=later_today, ends_at=later_today + timedelta(minutes=10)
        )
    assert notify.remind_visits() == 0


# --- What a processor reads --------------------------------------------------------------------------------


def test_a_processor_reads_places_left_and_its_own_booking_only(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    slot = slot_on(lot, plant_admin, capacity=5)
    other = a_processor("CV Rahasia")
    book(slot, other, names=["Nama Rahasia", "Nama Kedua"])
    [seen] = visits.slots_for_viewer(processor_admin, lot)
    assert seen.places_left == 3 and not hasattr(seen, "booking_list")
    assert visits.own_booking(processor_admin, lot) is None
    [plant_sees] = visits.slots_for_viewer(plant_admin, lot)
    assert [b.organisation.name for b in plant_sees.booking_list] == ["CV Rahasia"]
    assert visits.visit_summary(WasteLot.objects.get(pk=lot.pk)) == (1, 3)


def test_the_lot_pages_visit_summary_counts_only_upcoming_slots_and_live_bookings(plant, plant_admin):
    """The lot page's "N slots, M places left", read in the lot's own query: cancelled and past slots, and
    cancelled bookings, count for nothing."""
    lot = LotFactory(plant=plant)
    assert visits.visit_summary(WasteLot.objects.get(pk=lot.pk)) == (0, 0)
    first, second = slot_on(lot, plant_admin, capacity=5), slot_on(lot, plant_admin, days=3, capacity=4)
    book(first, a_processor("CV Satu"), names=["Ani", "Budi"])
    services.visit_cancel(booking=book(second, visitor := a_processor("CV Dua"), names=["Citra"]), acting_user=visitor)
    book(second, a_processor("CV Tiga"), names=["Dewi"])
    cancelled = slot_on(lot, plant_admin, days=4, capacity=7)
    book(cancelled, a_processor("CV Empat"), names=["Eka"])
    services.slot_cancel(slot=cancelled, acting_user=plant_admin)
    past = slot_on(lot, plant_admin, days=5, capacity=6)
    book(past, a_processor("CV Lima"), names=["Fajar"])
    VisitSlot.objects.filter(pk=past.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    # Another lot's slots are not this lot's.
    slot_on(LotFactory(plant=plant), plant_admin, capacity=50)
    assert visits.visit_summary(WasteLot.objects.get(pk=lot.pk)) == (2, 9 - 3)


# --- Races -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("transactional_db")
def test_two_bookings_for_the_last_place_make_exactly_one(plant, plant_admin):
    slot = slot_on(LotFactory(plant=plant), plant_admin, capacity=1)
    people = [a_processor(f"CV Balapan {i}") for i in range(2)]
    results = run_together(*[lambda p=p: book(slot, p) for p in people])
    booked = [r for r in results if isinstance(r, VisitBooking)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(booked) == 1 and len(refused) == 1, results
    assert "This site visit is full" in refused[0].messages[0]
    assert VisitBooking.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1


@pytest.mark.usefixtures("transactional_db")
def test_two_people_of_one_organisation_book_at_once_and_one_wins(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    first, second = slot_on(lot, plant_admin), slot_on(lot, plant_admin, days=3)
    colleague = member_of(processor_admin.membership.organisation, email="rekan2@proses.test")
    results = run_together(lambda: book(first, processor_admin), lambda: book(second, colleague))
    assert sum(isinstance(r, VisitBooking) for r in results) == 1, results
    assert VisitBooking.objects.filter(lot=lot).count() == 1


def test_the_reminder_runs_on_the_beat(settings, plant, plant_admin, processor_admin):
    from listings import tasks

    assert settings.CELERY_BEAT_SCHEDULE["remind-visits"]["task"] == "listings.tasks.remind_visits"
    book(slot_on(LotFactory(plant=plant), plant_admin, days=1), processor_admin)
    assert tasks.remind_visits.delay().get() == 1
    assert tasks.remind_visits.delay().get() == 0


# --- Visits end with the bidding ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["close_early", "cancel"])
def test_visits_still_to_come_end_when_bidding_ends_and_bookers_hear(
    plant, plant_admin, processor_admin, django_capture_on_commit_callbacks, how
):
    """A lot closed early or cancelled takes its coming site visits with it: the slots and their bookings are
    cancelled, and each booking organisation is told (nobody is left to drive to a gate for nothing)."""
    lot = LotFactory(plant=plant)
    booked, empty = slot_on(lot, plant_admin), slot_on(lot, plant_admin, days=3)
    booking = book(booked, processor_admin)
    other_lot = LotFactory(plant=plant)
    elsewhere = book(slot_on(other_lot, plant_admin), a_processor("CV Lot Lain"))
    with django_capture_on_commit_callbacks(execute=True):
        if how == "close_early":
            services.lot_close_early(lot=lot, acting_user=plant_admin)
        else:
            services.lot_cancel(lot=lot, acting_user=plant_admin, reason="Limbah sudah diambil")
    booked.refresh_from_db()
    empty.refresh_from_db()
    booking.refresh_from_db()
    elsewhere.refresh_from_db()
    assert booked.is_cancelled and empty.is_cancelled and booking.is_cancelled
    assert not elsewhere.is_cancelled and not elsewhere.slot.is_cancelled  # another lot's visits stay
    note = Notification.objects.get(recipient=processor_admin, event=Event.VISIT_CANCELLED)
    assert lot.reference in notifications.message(note)


def test_a_visit_that_has_started_stays_on_record_when_bidding_ends(plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant)
    slot = slot_on(lot, plant_admin)
    booking = book(slot, processor_admin)
    started = timezone.now() - timedelta(minutes=5)
    VisitSlot.objects.filter(pk=slot.pk).update(starts_at=started, ends_at=started + timedelta(hours=1))
    services.lot_close_early(lot=lot, acting_user=plant_admin)
    booking.refresh_from_db()
    assert not booking.is_cancelled and not VisitSlot.objects.get(pk=slot.pk).is_cancelled
