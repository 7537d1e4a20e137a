"""Wording that read wrong: the catalogue's sources and routes in Indonesian, the processing step of the
timeline, a pickup without manifest, an early-closed lot's deadline, the bid status badges, the log-in error."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from listings import selectors, services
from listings.models import Bid
from listings.templatetags.lots import bid_badge
from tests.factories import LotFactory
from tests.listings.test_handover import awarded_lot, proof, record_pickup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded_catalogue(db):
    """The catalogue of migration listings 0002, also after a transactional test flushed the database."""
    from listings.catalogue import ensure_catalogue

    ensure_catalogue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_catalogue_in_indonesian_names_its_sources_and_routes_in_indonesian(client):
    client.cookies["django_language"] = "id"
    body = client.get("/catalogue/").content.decode()
    assert "[b3-dcodes-secondhand]" not in body and ">b3-dcodes-secondhand<" not in body
    assert "Dokumen permohonan limbah B3 (sumber tangan kedua)" in body
    assert "daur ulang tertutup dibanding TPA (DEFRA HDPE)" in body
    assert "closed-loop recycling vs landfill" not in body
    assert "Belum diverifikasi (asosiasi industri, sumber tangan kedua)." in body


def test_the_processing_step_and_a_pickup_without_manifest_read_right(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    record_pickup(lot, processor_admin, manifest_number="", quantity_sent=Decimal("119.5"))
    services.processing_record(
        lot=lot, acting_user=processor_admin, quantity_received=Decimal("119.5"), route_used="recycling", proof=proof()
    )
    steps = selectors.timeline_for_viewer(plant_admin, lot)
    collected, processed = steps[-2], steps[-1]
    assert collected.status_label == "Collected"
    assert collected.note == "119.5\u00a0t weighed out, carrier PT Angkut Banten."  # no "Manifest —"
    assert processed.status_label == "Processing recorded"  # not "Collected" a second time
    assert processed.note.startswith("Processing recorded: 119.5\u00a0t received")


def test_the_timeline_writes_quantities_in_the_language_it_is_written_in(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    with translation.override("id"):
        record_pickup(lot, processor_admin, quantity_sent=Decimal("119.5"))
    assert (
        lot.transitions.last().note
        == "Manifes FESTRONIK-0001, 119,5\u00a0t ditimbang keluar, pengangkut PT Angkut Banten."
    )


def test_an_early_closed_lot_shows_when_it_closed_not_its_old_deadline(plant, plant_admin):
    lot = LotFactory(plant=plant)
    before = timezone.now()
    services.lot_close_early(lot=lot, acting_user=plant_admin)
    lot.refresh_from_db()
    assert lot.status == "closed" and before <= lot.closes_at <= timezone.now()


def test_accepted_and_not_chosen_bids_have_badges_of_their_own():
    accepted, rejected = str(bid_badge(Bid(status="accepted"))), str(bid_badge(Bid(status="rejected")))
    assert "text-bg-success" in accepted and "bid-not-chosen" in rejected
    assert accepted.split('class="')[1] != rejected.split('class="')[1]


def test_the_log_in_error_is_a_correct_sentence_in_indonesian(client, plant_admin):
    client.cookies["django_language"] = "id"
    response = client.post("/accounts/login/", {"username": plant_admin.email, "password": "salah"})
    body = response.content.decode()
    assert "Masukkan alamat email dan sandi yang benar." in body
    assert "nama pengguna alamat email" not in body
