"""The site visits' pages: the slots with places left, booking and cancelling without JavaScript, the plant's
slot form, the gate list it prints; who may not (with the reason, or a 404 for someone else's booking)."""

from datetime import time, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from django.utils.html import escape

from listings import services
from listings.models import VisitBooking, VisitSlot
from listings.services import SlotOffer
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of

pytestmark = pytest.mark.django_db

GATE_REFUSED = "Only the plant that owns this lot and platform staff print its gate list."
READ_REFUSED = "Site visits are for verified processing businesses and the plant that owns the lot."


def slot_on(lot, person, days=2, capacity=10):
    return services.slot_offer(
        lot=lot,
        acting_user=person,
        offer=SlotOffer(
            day=timezone.localdate() + timedelta(days=days),
            start=time(9, 0),
            end=time(11, 0),
            capacity=capacity,
            meeting_point="Pos satpam gerbang 2",
        ),
    )


def visits_url(lot, rest=""):
    return f"/lots/{lot.reference}/visits/{rest}"


@pytest.fixture
def lot(plant):
    return LotFactory(plant=plant)


@pytest.fixture
def rival(db):
    return member_of(OrganisationFactory(name="CV Pesaing Rahasia", processor=True), full_name="Rahasia Pesaing")


def test_the_plant_offers_a_slot_through_the_form(client, lot, plant_admin):
    client.force_login(plant_admin)
    assert client.get(visits_url(lot, "new/")).status_code == 200
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = {"day": day, "start": "10:00", "end": "09:00", "capacity": "8", "meeting_point": "Gerbang 1"}
    response = client.post(visits_url(lot, "new/"), data)
    assert response.status_code == 400 and 'data-testid="error-summary"' in response.content.decode()
    assert "The visit ends after it starts" in response.content.decode()
    response = client.post(visits_url(lot, "new/"), {**data, "capacity": "60", "end": "11:30"})
    assert response.status_code == 400 and "Ensure this value is less than or equal to 50" in response.content.decode()
    response = client.post(visits_url(lot, "new/"), {**data, "end": "11:30"})
    assert response.status_code == 302 and response["Location"] == visits_url(lot)
    slot = VisitSlot.objects.get(lot=lot)
    assert slot.capacity == 8 and timezone.localtime(slot.ends_at).strftime("%H:%M") == "11:30"


def test_a_processor_books_sees_only_its_own_booking_and_cancels(client, lot, plant_admin, processor_admin, rival):
    slot = slot_on(lot, plant_admin, capacity=5)
    services.visit_book(slot=slot, acting_user=rival, visitors=["Nama Rahasia Pesaing"], plate="B 777 RHS")
    client.force_login(processor_admin)
    page = client.get(visits_url(lot)).content.decode()
    assert "4 of 5 places left" in page
    for secret in ("CV Pesaing Rahasia", "Nama Rahasia Pesaing", "B 777 RHS"):
        assert secret not in page
    response = client.post(
        visits_url(lot, f"{slot.pk}/book/"), {"visitors": "Budi Santoso\nSiti Aminah", "plate": "a1234bc"}
    )
    assert response.status_code == 302
    page = client.get(visits_url(lot)).content.decode()
    assert 'data-testid="my-booking"' in page and "A 1234 BC" in page and "2 of 5 places left" in page
    assert "CV Pesaing Rahasia" not in page
    booking = VisitBooking.objects.get(organisation=processor_admin.membership.organisation)
    assert client.post(visits_url(lot, f"bookings/{booking.pk}/cancel/")).status_code == 302
    booking.refresh_from_db()
    assert booking.is_cancelled


def test_a_bad_booking_comes_back_with_the_reason(client, lot, plant_admin, processor_admin, rival):
    slot = slot_on(lot, plant_admin, capacity=1)
    client.force_login(processor_admin)
    response = client.post(visits_url(lot, f"{slot.pk}/book/"), {"visitors": "Budi Santoso", "plate": "12 AB 34"})
    assert response.status_code == 400 and escape('"A 1234 BC"') in response.content.decode()
    services.visit_book(slot=slot, acting_user=rival, visitors=["Nama Rahasia"], plate="B 1 A")
    response = client.post(visits_url(lot, f"{slot.pk}/book/"), {"visitors": "Budi Santoso", "plate": "B 2 A"})
    assert response.status_code == 400 and "This site visit is full" in response.content.decode()
    assert not VisitBooking.objects.filter(organisation=processor_admin.membership.organisation).exists()


def test_nobody_cancels_someone_elses_booking(client, lot, plant_admin, processor_admin, rival):
    booking = services.visit_book(
        slot=slot_on(lot, plant_admin), acting_user=rival, visitors=["Nama Rahasia"], plate="B 1 A"
    )
    for person in (processor_admin, plant_admin):
        client.force_login(person)
        assert client.post(visits_url(lot, f"bookings/{booking.pk}/cancel/")).status_code == 404
    booking.refresh_from_db()
    assert not booking.is_cancelled


def test_the_plant_cancels_a_slot_others_may_not(client, lot, plant_admin, processor_admin):
    slot = slot_on(lot, plant_admin)
    client.force_login(processor_admin)
    response = client.post(visits_url(lot, f"{slot.pk}/cancel/"))
    assert response.status_code == 403 and "Only people of the verified plant" in response.content.decode()
    client.force_login(plant_admin)
    assert client.post(visits_url(lot, f"{slot.pk}/cancel/")).status_code == 302
    slot.refresh_from_db()
    assert slot.is_cancelled


def test_the_gate_list_prints_names_organisation_and_plate(client, lot, plant_admin, processor_admin, staff):
    slot = slot_on(lot, plant_admin)
    services.visit_book(slot=slot, acting_user=processor_admin, visitors=["Budi Santoso", "Siti Aminah"], plate="B1A")
    day = timezone.localtime(slot.starts_at).date().isoformat()
    for person in (plant_admin, staff):
        log_in(client, person)
        for url in (visits_url(lot, f"{slot.pk}/gate-list/"), visits_url(lot, f"day/{day}/gate-list/")):
            page = client.get(url).content.decode()
            assert page.count('data-testid="gate-row"') == 1, url
            for text in ("Budi Santoso", "Siti Aminah", "B 1 A", processor_admin.membership.organisation.name):
                assert text in page
            assert "css/gate_list.css" in page
    other_day = (timezone.localtime(slot.starts_at).date() + timedelta(days=1)).isoformat()
    assert (
        'data-testid="gate-list-empty"' in client.get(visits_url(lot, f"day/{other_day}/gate-list/")).content.decode()
    )


def test_the_print_stylesheet_leaves_the_navigation_off_the_paper():
    css = Path(finders.find("css/gate_list.css")).read_text(encoding="utf-8")
    assert "@media print" in css and "nav.navbar" in css


@pytest.mark.parametrize("who", ["processor", "other_plant", "official"])
def test_the_gate_list_is_refused_with_its_reason(client, lot, plant_admin, processor_admin, official, who):
    slot = slot_on(lot, plant_admin)
    person = {"processor": processor_admin, "other_plant": member_of(OrganisationFactory()), "official": official}[who]
    client.force_login(person)
    response = client.get(visits_url(lot, f"{slot.pk}/gate-list/"))
    assert response.status_code == 403 and escape(GATE_REFUSED) in response.content.decode()


def test_unverified_and_visitors_are_kept_out(client, lot, plant_admin):
    slot = slot_on(lot, plant_admin)
    response = client.get(visits_url(lot))
    assert response.status_code == 302 and "/login" in response["Location"] or "login" in response["Location"]
    client.force_login(member_of(OrganisationFactory(processor=True, unverified=True)))
    response = client.get(visits_url(lot))
    assert response.status_code == 403 and escape(READ_REFUSED) in response.content.decode()
    response = client.post(visits_url(lot, f"{slot.pk}/book/"), {"visitors": "Budi Santoso", "plate": "B 1 A"})
    assert response.status_code == 403
    assert not VisitBooking.objects.exists()


def test_the_lot_page_links_to_the_visits_with_places_left(client, lot, plant_admin, processor_admin):
    client.force_login(processor_admin)
    assert 'data-testid="visits-link"' not in client.get(lot.get_absolute_url()).content.decode()
    slot = slot_on(lot, plant_admin, capacity=6)
    services.visit_book(slot=slot, acting_user=processor_admin, visitors=["Budi Santoso"], plate="B 1 A")
    page = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="visits-link"' in page and "1 slot, 5 places left" in page


def test_the_pages_speak_indonesian(client, lot, plant_admin, processor_admin):
    slot = slot_on(lot, plant_admin)
    client.force_login(processor_admin)
    client.cookies["django_language"] = "id"
    page = client.get(visits_url(lot)).content.decode()
    assert "Kunjungan lokasi" in page and "10 dari 10 tempat tersisa" in page
    page = client.get(visits_url(lot, f"{slot.pk}/book/")).content.decode()
    assert "Pesan kunjungan" in page
